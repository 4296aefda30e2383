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


def test_line_of_a_single_day_has_an_axis_of_days_ending_on_that_day() -> None:
    day = date(2026, 12, 5)
    for points in ([(day, 88)], []):
        svg = svgcharts.line(points, low=0, high=110, end=day)
        root = ElementTree.fromstring(svg)
        ns = "{http://www.w3.org/2000/svg}"
        texts = {t.get("class"): t for t in root.iter(f"{ns}text") if t.get("class")}
        assert texts["axis-start"].text == "2026-11-05" and texts["axis-end"].text == "2026-12-05"
        circles = root.findall(f"{ns}circle")
        end_x = float(texts["axis-end"].get("x"))
        assert [float(c.get("cx")) for c in circles] == [end_x] * len(points)
    assert ">88</text>" in svgcharts.line([(day, 88)], low=0, high=110)  # the last value, labelled


def test_line_holds_each_value_until_the_next_and_up_to_the_axis_end() -> None:
    svg = svgcharts.line(
        [(date(2026, 11, 5), 60), (date(2026, 11, 25), 80)], low=0, high=100, end=date(2026, 12, 5)
    )
    path = ElementTree.fromstring(svg).find("{http://www.w3.org/2000/svg}path").get("d")
    assert path.count(" H") == 2 and path.endswith(" H334.0")
