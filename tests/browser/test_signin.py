"""In Chromium on a phone-sized screen: a resident signs in with phone and one-time code; an auditor
signs in with a password, reads the access log, and signs out; a wrong password is told plainly."""

from __future__ import annotations

import re
from datetime import date

import pytest

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make

pytestmark = pytest.mark.browser

PASSWORD = "auditor password 1"
PHONE = "13812345678"


def _world(c: Container) -> str:
    with c.uow() as uow:
        for code, name, level, parent in [
            ("330281", "余姚市", "city", None),
            ("330281001", "梨洲街道", "township", "330281"),
            ("330281001001", "东门社区", "village", "330281001"),
            ("330281001001-G01", "第1网格", "grid", "330281001001"),
        ]:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name="陈静",
            grid="330281001001-G01",
            phone=PHONE,
            consent_text_version="v1",
            id_number=make("330281", date(1990, 6, 7), 41),
        )
        auth.create_user(
            uow, username="shenji", display_name="审计员李", role=Role.AUDITOR, password=PASSWORD
        )
        officer = Principal(kind="user", id="99", role=Role.VILLAGE_OFFICER, display_name="东门村干部")
        audit.log_read(uow, principal=officer, resident_id=rid, what="resident.profile", why="上门走访核实")
        uow.commit()
    return rid


def test_resident_signs_in_with_a_code(container, live_server, page) -> None:  # noqa: ANN001
    rid = _world(container)
    page.goto(f"{live_server}/")
    page.click("text=居民登录")
    page.fill("#phone", PHONE)
    page.click("main button[type=submit]")
    page.wait_for_selector("#code")
    code = re.search(r"\b(\d{6})\b", container.sms.sent[-1][1]).group(1)
    page.fill("#code", "000000" if code != "000000" else "111111")
    page.click("main form[action='/login/resident'] button[type=submit]")
    page.wait_for_selector("text=验证码错误或已过期")
    page.fill("#code", code)
    page.click("main form[action='/login/resident'] button[type=submit]")
    page.wait_for_url("**/me**")
    me = page.evaluate("fetch('/api/auth/me').then(r => r.json())")
    assert me["resident_id"] == rid and me["role"] == "resident"
    # the resident sees who read their data
    log = page.evaluate("fetch('/api/me/access-log').then(r => r.json())")
    assert [r["why"] for r in log] == ["上门走访核实"]


def test_auditor_reads_the_access_log_then_signs_out(container, live_server, page) -> None:  # noqa: ANN001
    rid = _world(container)
    page.goto(f"{live_server}/audit/access-log")
    page.wait_for_url("**/login?next=/audit/access-log")
    page.fill("#username", "shenji")
    page.fill("#password", "wrong password!")
    page.click("main button[type=submit]")
    assert "用户名或密码错误" in (page.text_content("main") or "")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/audit/access-log")
    page.fill("#resident_id", rid)
    page.click("main form button[type=submit]")
    row = page.text_content("main table") or ""
    assert "东门村干部" in row and "上门走访核实" in row
    assert "审计员李" in (page.text_content("header") or "")
    page.click("header form button[type=submit]")
    page.goto(f"{live_server}/audit/access-log")
    page.wait_for_url("**/login?next=/audit/access-log")
