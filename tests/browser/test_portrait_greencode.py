"""In chromium: the resident's portrait with both charts, the phone code refreshing by itself, and
the scanner page reading a code from an image in the browser."""

from __future__ import annotations

import pytest

from moralbank.greencode import qr, service
from moralbank.scoring import service as scoring
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.scoring.world import build_town, session_token

pytestmark = pytest.mark.browser


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    t.post("zhang", "FV03", 3, days_ago=40)
    with container.uow() as uow:
        scoring.recompute(uow, full=True)
        uow.commit()
    return t


def sign_in(page, live_server: str, container, resident_id: str) -> None:  # noqa: ANN001
    page.context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "url": live_server,
                "value": session_token(container, resident_id=resident_id),
            }
        ]
    )


def test_portrait_shows_score_and_both_charts(page, live_server, town, container) -> None:  # noqa: ANN001
    sign_in(page, live_server, container, town.ids["zhang"])
    page.goto(f"{live_server}/me/portrait")
    assert page.locator(".score-total").inner_text() == "83"
    assert page.locator("svg.radar polygon").count() >= 5  # four rings and the shape
    assert page.locator("svg.line path").count() == 1
    assert page.locator("svg.radar").bounding_box()["width"] > 100
    assert page.locator("tr.entry").count() == 5


def test_dynamic_code_refreshes_by_itself(page, live_server, town, container) -> None:  # noqa: ANN001
    container.settings.greencode_refresh_seconds = 1
    sign_in(page, live_server, container, town.ids["zhang"])
    page.goto(f"{live_server}/me/greencode")
    first = page.locator("#greencode").get_attribute("data-expires")
    first_svg = page.locator("#greencode svg").inner_html()
    container.clock.advance(seconds=30)  # the server's time moves on; the page must fetch a new code
    page.wait_for_function(
        f"document.querySelector('#greencode').dataset.expires !== '{first}'", timeout=8000
    )
    assert int(page.locator("#greencode").get_attribute("data-expires")) == int(first) + 30
    assert page.locator("#greencode svg").inner_html() != first_svg


def test_scanner_reads_a_code_image_in_the_browser(page, live_server, town, container, tmp_path) -> None:  # noqa: ANN001
    with container.uow() as uow:
        issued = service.issue(uow, resident_id=town.ids["zhang"])
    png = tmp_path / "code.png"
    png.write_bytes(qr.png(issued.text, scale=6))
    page.goto(f"{live_server}/verify")
    page.set_input_files("#local-image", str(png))
    page.wait_for_selector("#result .verdict")
    assert page.locator("#result .verdict").get_attribute("data-valid") == "1"
    assert "张*明" in page.locator("#result").inner_text()
