"""In Chromium, on a phone-sized screen: anyone opens the published indicator catalogue and switches
to English."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_public_catalogue_in_both_languages(live_server, page) -> None:  # noqa: ANN001
    page.goto(f"{live_server}/policy")
    assert page.locator("h1").first.inner_text() == "积分指标公示目录"
    assert page.locator("section.card").count() == 4
    assert page.locator("tr[id^=indicator-]").count() == 20
    row = page.locator("#indicator-SM05")
    assert "损毁公共设施" in row.inner_text() and "-100" in row.inner_text()
    page.click("text=English")
    page.wait_for_url("**lang=en")
    assert page.locator("h1").first.inner_text() == "Published indicator catalogue"
    assert "Destroying public equipment" in page.locator("#indicator-SM05").inner_text()
    # the page fits a phone: no horizontal scrolling of the whole document
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_english_catalogue_fits_a_375_px_phone(live_server, page) -> None:  # noqa: ANN001
    page.set_viewport_size({"width": 375, "height": 800})
    for lang in ("zh-CN", "en"):
        page.goto(f"{live_server}/policy?lang={lang}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), lang
