"""In chromium: the health page's tables fit a desktop screen (no column behind a horizontal
scrollbar at 1280 px, in Chinese or English), and on a 375 px phone neither it nor the quarantine
scrolls sideways (a wide table scrolls inside its box)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.bootstrap import Container
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.feeds.models import FeedHealthDay, FeedImport
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.feeds.conftest import READING_BROKE_OFF, break_off_reading, build_city

pytestmark = pytest.mark.browser

MEASURE = """() => ({
  page: document.documentElement.scrollWidth,
  tables: [...document.querySelectorAll('.table-wrap')].map(w => ({
    box: w.clientWidth, table: w.querySelector('table').getBoundingClientRect().width,
    scroll: w.scrollWidth})),
})"""


@pytest.fixture
def health(container: Container, live_server: str, browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """A city whose 18 interfaces all delivered a year's figures (files with long names, one import
    stopped by an error), and a function measuring the health page at a width in a language."""
    city = build_city(container)
    for iface in feeds.list_interfaces():
        name = iface.name
        path = tmp_path / f"{name}-2026-11-25-department-full-export-batch-0001.csv"
        import_file(container, interface=name, path=city.write(path, name, 12, bad=3))
    stopped = tmp_path / "volunteer_hours-2026-11-25-second-export-of-the-day.csv"
    city.write(stopped, "volunteer_hours", 5, seed=3)
    break_off_reading(monkeypatch)
    with pytest.raises(OSError, match=READING_BROKE_OFF):
        import_file(container, interface="volunteer_hours", path=stopped)
    with container.uow() as uow:  # the figures of a Yuyao year: 444,444 records an interface
        for table in (FeedHealthDay, FeedImport):
            counts = ("received", "accepted", "duplicates", "quarantined", "held_for_consent")
            uow.db.execute(update(table).values({c: getattr(table, c) * 37_037 for c in counts}))
        auth.create_user(
            uow, username="admin", display_name="市管理员", role=Role.CITY_ADMIN, password="a long password 1"
        )
        token = auth.user_session(uow, username="admin").token
        uow.commit()

    def open_at(width: int, lang: str, path: str = "/staff/feeds") -> dict:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
        page = context.new_page()
        page.goto(f"{live_server}{path}?lang={lang}")
        measured = page.evaluate(MEASURE)
        context.close()
        return measured

    return open_at


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_health_tables_fit_a_desktop_screen(health, lang: str) -> None:  # noqa: ANN001
    for width in (1280, 1920):
        m = health(width, lang)
        assert m["page"] <= width, (width, m)
        assert len(m["tables"]) == 2
        for t in m["tables"]:
            assert t["table"] <= t["box"] and t["scroll"] <= t["box"], (width, m)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_on_a_phone_the_pages_do_not_scroll_sideways(health, lang: str) -> None:  # noqa: ANN001
    for path in ("/staff/feeds", "/staff/feeds/quarantine"):
        m = health(375, lang, path)
        assert m["page"] <= 375, (path, m)
