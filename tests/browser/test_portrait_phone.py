"""In Chromium on a 375px-wide phone: the portrait fits the screen, entries and all, in both languages
and for staff as for the resident."""

from __future__ import annotations

import pytest

from moralbank.auth.domain import Role
from moralbank.scoring import service as scoring
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.scoring.world import G1, build_town, create_user, session_token

pytestmark = pytest.mark.browser

SHA = "764c4bfd1ee109dfd6336474bbebd98b060f68690dd65fad0c2a84dc8ceed218"


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    """Zhang's ledger as the evaluation path and department feeds write it: long rule texts and
    reasons, evidence of every kind, a deduction."""
    t = build_town(container)
    trail = ("evaluation:3", f"file:sha256:{SHA}", "confirm:user:4", "approval:user:demo-village_officer-1")
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days, evidence=trail, source_ref="evaluation:3")
    t.post("zhang", "PC01", 3, days_ago=4, evidence=("record:volunteering/demo-330281001001-G01-vol-1",))
    t.post("zhang", "PE05", -10, days_ago=5, severity="general", source="department")
    with container.uow() as uow:
        scoring.recompute(uow, full=True)
        uow.commit()
    return t


@pytest.fixture
def phone(browser):  # noqa: ANN001, ANN201
    context = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


def _sign_in(page, live_server: str, token: str) -> None:  # noqa: ANN001
    page.context.add_cookies([{"name": SESSION_COOKIE, "url": live_server, "value": token}])


def _fits(page) -> None:  # noqa: ANN001
    width, viewport = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"
    for box in [page.locator("tr.entry").nth(i).bounding_box() for i in range(6)]:
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport


def test_resident_portrait_fits_a_phone(phone, live_server, town, container) -> None:  # noqa: ANN001
    _sign_in(phone, live_server, session_token(container, resident_id=town.ids["zhang"]))
    for lang in ("zh-CN", "en"):
        phone.goto(f"{live_server}/me/portrait?lang={lang}")
        assert phone.locator("tr.entry").count() == 6
        _fits(phone)
        assert phone.locator("tr.entry").first.locator("form.object button").is_visible()


def test_staff_portrait_fits_a_phone(phone, live_server, town, container) -> None:  # noqa: ANN001
    create_user(container, "grid1", Role.GRID_WORKER, G1)
    _sign_in(phone, live_server, session_token(container, username="grid1"))
    phone.goto(f"{live_server}/residents/{town.ids['zhang']}/portrait")
    _fits(phone)
