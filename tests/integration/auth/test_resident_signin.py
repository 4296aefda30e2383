"""Residents sign in with phone + one-time code through the SMS gateway."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.auth.models import OneTimeCode
from moralbank.bootstrap import Container
from moralbank.errors import InvalidInput, NotAuthenticated, RateLimited
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make
from moralbank.web.app import create_app

PHONE = "13800001234"


@pytest.fixture
def resident(tree: Container) -> str:
    with tree.uow() as uow:
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name="张三",
            grid="330281001001-G01",
            id_number=make("330281", date(1980, 5, 6), 11),
            consent_text_version="v1",
            phone=PHONE,
        )
        uow.commit()
    return rid


def _last_code(c: Container, phone: str = PHONE) -> str:
    sent_to, text = c.sms.sent[-1]  # type: ignore[attr-defined]
    assert sent_to == phone
    return re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]


def test_code_signs_the_resident_in_as_themselves(tree: Container, resident: str) -> None:
    with tree.uow() as uow:
        auth.request_code(uow, phone="+86 138-0000-1234")
        uow.commit()
    with tree.uow() as uow:
        sign = auth.verify_code(uow, phone=PHONE, code=_last_code(tree))
        uow.commit()
    assert sign.principal.role == Role.RESIDENT and sign.principal.resident_id == resident
    assert sign.principal.unit_code == "330281001001-G01" and sign.principal.display_name == "张三"
    with tree.uow() as uow:
        assert auth.principal_for_session(uow, token=sign.token).resident_id == resident
        stored = [row.code_hash for row in uow.db.query(OneTimeCode)]
    assert _last_code(tree) not in "".join(stored)  # the code is kept only as an HMAC


def test_code_is_single_use_and_expires_after_five_minutes(tree: Container, resident: str, clock) -> None:  # noqa: ANN001
    with tree.uow() as uow:
        auth.request_code(uow, phone=PHONE)
        uow.commit()
    code = _last_code(tree)
    with tree.uow() as uow:
        auth.verify_code(uow, phone=PHONE, code=code)
        uow.commit()
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.verify_code(uow, phone=PHONE, code=code)
    clock.advance(minutes=2)
    with tree.uow() as uow:
        auth.request_code(uow, phone=PHONE)
        uow.commit()
    clock.advance(minutes=5, seconds=1)
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.verify_code(uow, phone=PHONE, code=_last_code(tree))


def test_five_wrong_codes_kill_the_code(tree: Container, resident: str) -> None:
    with tree.uow() as uow:
        auth.request_code(uow, phone=PHONE)
        uow.commit()
    right = _last_code(tree)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with tree.uow() as uow:
            with pytest.raises(NotAuthenticated):
                auth.verify_code(uow, phone=PHONE, code=wrong)
            uow.commit()
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.verify_code(uow, phone=PHONE, code=right)


def test_codes_are_throttled_per_phone(tree: Container, resident: str, clock) -> None:  # noqa: ANN001
    with tree.uow() as uow:
        auth.request_code(uow, phone=PHONE)
        uow.commit()
    with tree.uow() as uow, pytest.raises(RateLimited):
        auth.request_code(uow, phone=PHONE)
    for _ in range(4):
        clock.advance(seconds=61)
        with tree.uow() as uow:
            auth.request_code(uow, phone=PHONE)
            uow.commit()
    clock.advance(seconds=61)
    with tree.uow() as uow, pytest.raises(RateLimited):
        auth.request_code(uow, phone=PHONE)  # the sixth within the hour
    clock.advance(hours=1)
    with tree.uow() as uow:
        auth.request_code(uow, phone=PHONE)


def test_unknown_phone_gets_the_same_answer_but_no_sms_and_no_session(tree: Container, resident: str) -> None:
    before = len(tree.sms.sent)  # type: ignore[attr-defined]
    with tree.uow() as uow:
        auth.request_code(uow, phone="13900009999")
        uow.commit()
    assert len(tree.sms.sent) == before  # type: ignore[attr-defined]
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.verify_code(uow, phone="13900009999", code="123456")
    with tree.uow() as uow, pytest.raises(InvalidInput):
        auth.request_code(uow, phone="12345")


def test_resident_sign_in_pages(tree: Container, resident: str) -> None:
    client = TestClient(create_app(tree), follow_redirects=False)
    html = {"accept": "text/html"}
    assert client.get("/login/resident", headers=html).status_code == 200
    page = client.post("/login/resident/code", data={"phone": PHONE}, headers=html)
    assert page.status_code == 200 and "验证码" in page.text
    unknown = client.post("/login/resident/code", data={"phone": "13900009999"}, headers=html)
    assert unknown.status_code == 200 and "如果该号码已登记" in unknown.text  # same words either way
    bad = client.post("/login/resident", data={"phone": PHONE, "code": "999999x"}, headers=html)
    assert bad.status_code == 401 and "验证码错误或已过期" in bad.text
    ok = client.post("/login/resident", data={"phone": PHONE, "code": _last_code(tree)})
    assert ok.status_code == 303 and ok.headers["location"] == "/me"
    assert client.get("/api/auth/me").json()["resident_id"] == resident
    assert client.get("/", headers=html).headers["location"] == "/me"
