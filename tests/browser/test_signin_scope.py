"""In Chromium: a village officer signs in and finds a resident of their village, but not one of
another village — neither by search nor by typing the other resident's address."""

from __future__ import annotations

import importlib.util
import re
from datetime import date

import pytest

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        importlib.util.find_spec("moralbank.web.pages.residents") is None,
        reason="the residents pages (web/pages/residents.py: /residents?q=, /residents/{id}) "
        "are not written yet",
    ),
]

PASSWORD = "village officer password"
UNITS = [
    ("330281", "余姚市", "city", None),
    ("330281001", "梨洲街道", "township", "330281"),
    ("330281001001", "东门社区", "village", "330281001"),
    ("330281001002", "西门社区", "village", "330281001"),
    ("330281001001-G01", "东门社区第1网格", "grid", "330281001001"),
    ("330281001002-G01", "西门社区第1网格", "grid", "330281001002"),
]


def _world(c: Container) -> dict[str, str]:
    with c.uow() as uow:
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        mine = residents.enrol(
            uow,
            principal=SYSTEM,
            name="王小明",
            grid="330281001001-G01",
            consent_text_version="v1",
            id_number=make("330281", date(1980, 2, 3), 21),
        )
        other = residents.enrol(
            uow,
            principal=SYSTEM,
            name="王大海",
            grid="330281001002-G01",
            consent_text_version="v1",
            id_number=make("330281", date(1981, 4, 5), 33),
        )
        auth.create_user(
            uow,
            username="dongmen",
            display_name="东门村干部",
            role=Role.VILLAGE_OFFICER,
            unit_code="330281001001",
            password=PASSWORD,
        )
        uow.commit()
    return {"mine": mine, "other": other}


def test_village_officer_finds_their_resident_but_not_another_villages(container, live_server, page) -> None:  # noqa: ANN001
    ids = _world(container)
    base = live_server

    # signing in from a protected page comes back to it
    page.goto(f"{base}/residents?q=王")
    page.wait_for_url(re.compile(r"/login\?next=/residents"))
    page.fill("input[name=username]", "dongmen")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/residents**")
    assert "东门村干部" in page.text_content("header")

    # the search by surname lists their resident and not the other village's
    page.goto(f"{base}/residents?q=王")
    body = page.text_content("main") or ""
    assert "王小明" in body
    assert "王大海" not in body and ids["other"] not in body

    # the detail page of their resident opens
    page.goto(f"{base}/residents?q=王小明")
    page.click(f"a[href*='/residents/{ids['mine']}']")
    page.wait_for_url(f"**/residents/{ids['mine']}**")
    assert "王小明" in (page.text_content("main") or "")

    # the other village's resident by id: "not found", exactly like an id that does not exist
    response = page.goto(f"{base}/residents/{ids['other']}")
    assert response is not None and response.status == 404
    assert "王大海" not in (page.text_content("body") or "")
    missing = page.goto(f"{base}/residents/RZZZZZZZZZZZZ")
    assert missing is not None and missing.status == 404

    # signing out ends the session: the search asks to sign in again
    page.click("header form button[type=submit]")
    page.goto(f"{base}/residents?q=王")
    page.wait_for_url(re.compile(r"/login\?next=/residents"))
