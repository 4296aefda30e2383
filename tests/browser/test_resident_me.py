"""In Chromium: a resident on their own page grants and revokes a consent and downloads their data."""

from __future__ import annotations

import json

import pytest

from moralbank.web.deps import SESSION_COOKIE
from tests.browser.conftest import enrolled_resident

pytestmark = pytest.mark.browser


def test_a_resident_grants_revokes_and_downloads(container, live_server, page) -> None:  # noqa: ANN001
    rid, token = enrolled_resident(container)
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
    page.goto(f"{live_server}/me")
    assert "王小明" in page.text_content("#profile")

    bank = page.locator("li[data-subject=bank_credit]")
    assert "未授权" in bank.text_content()
    bank.locator("button").click()
    page.wait_for_url("**/me?done=consent**")
    assert "已授权" in page.locator("li[data-subject=bank_credit]").text_content()
    page.locator("li[data-subject=bank_credit] button").click()
    page.wait_for_load_state()
    assert "未授权" in page.locator("li[data-subject=bank_credit]").text_content()

    with page.expect_download() as info:
        page.click("a[href='/me/export.json']")
    data = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert data["resident_id"] == rid
    assert [c["granted"] for c in data["consents"]] == [True, False]

    other = page.context.new_page()  # sign out in another tab: the same link leads to sign-in
    other.goto(f"{live_server}/me")
    other.click("form[action='/logout'] button")
    other.wait_for_url(f"{live_server}/")
    other.close()
    page.click("a[href='/me/export.json']")
    page.wait_for_url("**/login/resident")
    assert page.locator("#phone").is_visible()
