"""The health page's 30-day chart shows the month as it was: every day a slot, days without arrivals
empty, the first and last dates written, and its description in the page's language."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.feeds.importer import import_file
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE

from .conftest import City

HTML = {"accept": "text/html"}


def _watcher(city: City) -> TestClient:
    """An auditor's browser, signed in now."""
    with city.container.uow() as uow:
        auth.create_user(
            uow, username="au", display_name="审计员", role=Role.AUDITOR, password="a long password 1"
        )
        s = auth.user_session(uow, username="au")
        uow.commit()
    client = TestClient(create_app(city.container))
    client.cookies.set(SESSION_COOKIE, s.token)
    return client


def _chart(page: str, interface: str) -> str:
    row = re.search(rf'<tr data-interface="{interface}">.*?</tr>', page, re.S).group(0)
    return re.search(r"<svg.*?</svg>", row, re.S).group(0)


def test_the_chart_has_a_slot_for_each_of_30_days_and_says_its_dates(city: City, tmp_path: Path) -> None:
    first_day = city.today
    import_file(
        city.container, interface="blood_donation", path=city.write(tmp_path / "a.csv", "blood_donation", 8)
    )
    city.container.clock.advance(days=3)
    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 4, seed=2),
    )
    today = city.today
    watcher = _watcher(city)
    chart = _chart(watcher.get("/staff/feeds", headers=HTML).text, "blood_donation")
    days = re.findall(r'<g data-day="([\d-]+)">(.*?)</g>', chart, re.S)
    assert [d for d, _ in days] == [(today - timedelta(days=29 - i)).isoformat() for i in range(30)]
    with_bars = {
        d: re.findall(r'<rect x="([\d.]+)"[^>]* width="([\d.]+)"', g) for d, g in days if "<rect" in g
    }
    assert set(with_bars) == {first_day.isoformat(), today.isoformat()}
    # the slots are a thirtieth of the chart each: the last day at the right, three days after the other
    assert with_bars[today.isoformat()][0] == ("174.0", "5.0")
    assert with_bars[first_day.isoformat()][0] == ("156.0", "5.0")
    dates = re.findall(r"<text[^>]*>([\d-]+)</text>", chart)
    assert dates == [(today - timedelta(days=29)).isoformat(), today.isoformat()]
    label = unescape(re.search(r'aria-label="([^"]*)"', chart).group(1))
    assert label == f"每日接收量，{dates[0]} 至 {dates[1]}：共接收 12，入库 12"
    en = _chart(watcher.get("/staff/feeds?lang=en", headers=HTML).text, "blood_donation")
    assert unescape(re.search(r'aria-label="([^"]*)"', en).group(1)) == (
        f"Daily volumes, {dates[0]} to {dates[1]}: 12 received, 12 accepted"
    )
    # an interface that received nothing has its 30 empty slots too
    assert _chart(watcher.get("/staff/feeds", headers=HTML).text, "rent").count("<g data-day=") == 30
