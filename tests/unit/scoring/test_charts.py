"""The inline SVG charts."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree

from moralbank.web import svgcharts


def test_radar_is_valid_svg_with_one_axis_per_aspect_and_escaped_labels() -> None:
    svg = svgcharts.radar(["社会公德", "<b>", "家庭美德", "个人品德"], [30, 10, -5, 0], [30, 30, 30, 30])
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}line")) == 4 and len(root.findall(f"{ns}text")) == 4
    assert "&lt;b&gt;" in svg


def test_line_has_a_point_per_value_and_threshold_lines() -> None:
    svg = svgcharts.line(
        [(date(2026, 1, 1), 60), (date(2026, 6, 1), 75), (date(2026, 11, 25), 83)],
        low=0,
        high=110,
        thresholds=[(60, "常规"), (80, "绿码")],
    )
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f"{ns}circle")) == 3 and len(root.findall(f"{ns}path")) == 1
    assert svg.count("stroke-dasharray") == 2
