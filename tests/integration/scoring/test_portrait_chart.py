"""The portrait's score-over-time chart agrees with the headline score and has a readable time axis."""

from __future__ import annotations

import re
from datetime import date, timedelta
from xml.etree import ElementTree

import pytest

from moralbank.auth.domain import Role
from moralbank.kernel.clock import local_date
from moralbank.scoring import service
from tests.integration.scoring.world import G1, build_town, create_user
from tests.support import signed_in as client

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    with container.uow() as uow:
        service.recompute(uow, full=True)
        uow.commit()
    return t


def _today(container) -> date:  # noqa: ANN001
    return local_date(container.clock.now())


def _chart(html: str) -> dict:
    """The line chart's points (day, total, x), axis ends and axis end x, and the headline total."""
    svg = ElementTree.fromstring(re.search(r'<svg class="chart line".*?</svg>', html, re.S).group(0))
    points = []
    for circle in svg.iter(f"{SVG}circle"):
        day, total = circle.find(f"{SVG}title").text.split(": ")
        points.append((date.fromisoformat(day), int(total), float(circle.get("cx"))))
    texts = list(svg.iter(f"{SVG}text"))
    axis_start, axis_end = [t for t in texts if re.fullmatch(r"\d{4}-\d\d-\d\d", t.text or "")]
    last_value = [t.text for t in texts if t.get("class") == "last-value"]
    return {
        "points": points,
        "axis": (date.fromisoformat(axis_start.text), date.fromisoformat(axis_end.text)),
        "end_x": float(axis_end.get("x")),
        "last_value": int(last_value[0]) if last_value else None,
        "headline": int(re.search(r'data-total="(-?\d+)"', html).group(1)),
    }


def test_a_deed_posted_after_todays_run_ends_the_chart_on_the_headline_score(town, container) -> None:  # noqa: ANN001
    c = client(container, resident_id=town.ids["zhang"])
    assert _chart(c.get("/me/portrait").text)["headline"] == 80  # 60 + 4 × 5, recorded by today's run
    town.post("zhang", "SM01", 5, days_ago=0)  # the headline is computed from the ledger now: 85

    chart = _chart(c.get("/me/portrait").text)
    today = _today(container)
    assert chart["headline"] == 85
    assert [(d, v) for d, v, _x in chart["points"]] == [(today, 85)]  # one point a day: today's score
    assert chart["last_value"] == 85
    start, end = chart["axis"]
    assert end == today and start < end  # an axis of days, not one date at both ends
    assert chart["points"][-1][2] == chart["end_x"]  # today sits at the right end


def test_history_over_several_days_runs_left_to_right_up_to_today(town, container) -> None:  # noqa: ANN001
    first_day = _today(container)
    container.clock.advance(days=10)
    town.post("zhang", "PE01", 10, days_ago=1)
    with container.uow() as uow:
        service.recompute(uow)
        uow.commit()
    container.clock.advance(days=2)
    today = _today(container)

    chart = _chart(client(container, resident_id=town.ids["zhang"]).get("/me/portrait").text)
    assert [(d, v) for d, v, _x in chart["points"]] == [
        (first_day, 80),
        (first_day + timedelta(days=10), 90),
        (today, 90),
    ]
    xs = [x for _d, _v, x in chart["points"]]
    assert xs == sorted(xs) and len(set(xs)) == 3
    assert chart["axis"] == (today - timedelta(days=30), today) and xs[-1] == chart["end_x"]


def test_staff_see_the_same_chart_for_a_resident_scored_once(town, container) -> None:  # noqa: ANN001
    create_user(container, "grid1", Role.GRID_WORKER, G1)
    html = client(container, username="grid1").get(f"/residents/{town.ids['li']}/portrait").text
    chart = _chart(html)
    today = _today(container)
    assert chart["headline"] == 60
    assert [(d, v) for d, v, _x in chart["points"]] == [(today, 60)]
    assert chart["axis"][0] < chart["axis"][1] == today
    assert chart["points"][0][2] == chart["end_x"]
