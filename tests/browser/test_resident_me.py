"""In Chromium: a resident on their own page grants and revokes a consent and downloads their data."""

from __future__ import annotations

import json
from datetime import date

import pytest

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make
from moralbank.web.deps import SESSION_COOKIE

pytestmark = pytest.mark.browser


def _resident(c: Container) -> tuple[str, str]:
    with c.uow() as uow:
        for code, name, level, parent in [
            ("330281", "余姚市", "city", None),
            ("330281001", "梨洲街道", "township", "330281"),
            ("330281001001", "东门社区", "village", "330281001"),
            ("330281001001-G01", "东门社区第1网格", "grid", "330281001001"),
        ]:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name="王小明",
            grid="330281001001-G01",
            consent_text_version="v1",
            id_number=make("330281", date(1980, 2, 3), 21),
        )
        token = auth.resident_session(uow, resident_id=rid).token
        uow.commit()
    return rid, token


def test_a_resident_grants_revokes_and_downloads(container, live_server, page) -> None:  # noqa: ANN001
    rid, token = _resident(container)
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
