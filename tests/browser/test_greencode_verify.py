"""In chromium: the scanner page (/verify) reads a code in the browser and says what the verdict means in
the page's language — the tier's name, why a code fails, and what to do when there is no camera."""

from __future__ import annotations

import re

import pytest

from moralbank.greencode import qr, service
from moralbank.scoring import service as scoring
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.scoring.world import build_town

pytestmark = pytest.mark.browser

CJK_OR_FULL_WIDTH = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NAME = "张*明"


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    with container.uow() as uow:
        scoring.recompute(uow, full=True)
        uow.commit()
    return t


def scan_picture(page, live_server: str, lang: str, text: str, tmp_path) -> str:  # noqa: ANN001
    """What the scanner page says after reading a picture of a QR code holding ``text``."""
    picture = tmp_path / "code.png"
    picture.write_bytes(qr.png(text, scale=6))
    page.goto(f"{live_server}/verify?lang={lang}")
    page.evaluate("document.getElementById('result').innerHTML = ''")
    page.set_input_files("#local-image", str(picture))
    return " ".join(page.locator("#result .verdict").inner_text().split())


def test_a_scanned_code_reads_in_the_page_language(page, live_server, town, container, tmp_path) -> None:  # noqa: ANN001
    with container.uow() as uow:
        text = service.issue(uow, resident_id=town.ids["zhang"]).text

    assert scan_picture(page, live_server, "zh-CN", text, tmp_path) == f"有效：绿码 · {NAME}"
    english = scan_picture(page, live_server, "en", text, tmp_path)
    assert english == f"Valid: Green · {NAME}"

    container.clock.advance(minutes=10)
    assert scan_picture(page, live_server, "zh-CN", text, tmp_path).startswith("无效：已过期")
    expired = scan_picture(page, live_server, "en", text, tmp_path)
    assert expired.startswith("Not valid: Expired") and not CJK_OR_FULL_WIDTH.search(expired)

    menu = scan_picture(page, live_server, "en", "HTTPS://EXAMPLE.COM/MENU", tmp_path)
    assert menu == "Not valid: This is not a Moral Bank green code"
    assert page.locator("#result .verdict").get_attribute("data-valid") == "0"


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_no_camera_is_explained_not_reported_as_an_error(page, live_server, lang) -> None:  # noqa: ANN001
    page.goto(f"{live_server}/verify?lang={lang}")
    page.click("#start-camera")  # headless chromium here has no camera at all
    said = page.locator("#result .verdict").inner_text()
    assert "Error" not in said and "camera:" not in said
    if lang == "en":
        assert said.startswith("This device has no camera") and not CJK_OR_FULL_WIDTH.search(said)
    else:
        assert said.startswith("这台设备没有可用的摄像头")
    assert page.locator("#result .verdict").get_attribute("data-valid") is None  # no verdict on a code


def test_on_plain_http_the_page_says_the_camera_needs_https(browser, live_server) -> None:  # noqa: ANN001
    port = live_server.rsplit(":", 1)[1]
    # A name other than localhost over http: the browser hides the camera API (not a secure context).
    rule = "--host-resolver-rules=MAP counter.test 127.0.0.1"
    counter = browser.browser_type.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rule])
    try:
        page = counter.new_page()
        page.goto(f"http://counter.test:{port}/verify?lang=en")
        page.click("#start-camera")
        said = page.locator("#result .verdict").inner_text()
    finally:
        counter.close()
    assert said.startswith("Browsers use the camera only on HTTPS addresses")
