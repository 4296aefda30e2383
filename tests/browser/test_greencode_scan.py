"""In chromium: the green code as drawn on the resident's screen and on the printable card is read back
by a real QR decoder (zxing-cpp) from a screenshot, on a desktop and on a 375 px wide phone."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from moralbank.greencode import qr, service
from moralbank.scoring import service as scoring
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.scoring.world import build_town, session_token

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
QUIET_ZONE = 4  # modules of light margin a QR code needs around it (ISO/IEC 18004)


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    with container.uow() as uow:
        scoring.recompute(uow, full=True)
        uow.commit()
    return t


@pytest.fixture
def resident_page(browser, live_server, town, container):  # noqa: ANN001, ANN201
    """Opens a page signed in as the resident 张三明 at a given viewport."""
    contexts = []

    def open_at(viewport: dict):  # noqa: ANN202
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        contexts.append(context)
        token = session_token(container, resident_id=town.ids["zhang"])
        context.add_cookies([{"name": SESSION_COOKIE, "url": live_server, "value": token}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_at
    for context in contexts:
        context.close()


def light_margin_in_modules(png: bytes, text: str) -> float:
    """The narrowest light margin around the dark modules of a screenshot of one code, in modules."""
    with Image.open(io.BytesIO(png)) as img:
        gray = img.convert("L")
    left, top, right, bottom = gray.point(lambda v: 255 if v < 128 else 0).getbbox()
    module = (right - left) / qr.make(text).symbol_size(border=0)[0]
    return min(left, top, gray.width - right, gray.height - bottom) / module


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_code_on_screen_scans_as_the_apis_code(resident_page, live_server, viewport, tmp_path) -> None:  # noqa: ANN001
    page = resident_page(viewport)
    page.goto(f"{live_server}/me/greencode")
    # The clock stands still, so the API signs the very code the page shows.
    expected = page.request.get(f"{live_server}/api/greencode/me").json()["text"]
    code = page.locator("#greencode svg")
    box = code.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]  # the whole code is on screen

    assert qr.decode(page.screenshot()) == [expected]
    shot = code.screenshot()
    assert qr.decode(shot) == [expected]
    assert light_margin_in_modules(shot, expected) >= QUIET_ZONE - 0.5

    # A provider reads the same screenshot on the scanner page (jsQR, in the browser).
    (tmp_path / "screen.png").write_bytes(page.screenshot())
    page.goto(f"{live_server}/verify")
    page.set_input_files("#local-image", str(tmp_path / "screen.png"))
    assert page.locator("#result .verdict").get_attribute("data-valid") == "1"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_printed_card_scans_with_its_quiet_zone(resident_page, live_server, container, viewport) -> None:  # noqa: ANN001
    page = resident_page(viewport)
    page.goto(f"{live_server}/me/greencode")
    page.click("form[action='/me/greencode/card'] button")
    code = page.locator(".greencard svg")
    shot = code.screenshot()
    [text] = qr.decode(shot)
    with container.uow() as uow:
        verdict = service.verify(uow, text=text)
    assert verdict.valid and verdict.claims.card_id in page.locator(".greencard").inner_text()
    assert qr.decode(page.screenshot()) == [text]
    assert light_margin_in_modules(shot, text) >= QUIET_ZONE - 0.5
