"""authorize() on real residents and units, and the access log it goes with."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.errors import InvalidInput, NotFound, PermissionDenied
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.auth.conftest import PASSWORD


@pytest.fixture
def people(tree: Container) -> dict[str, str]:
    grids = {"a1": "330281001001-G01", "a2": "330281001002-G01", "b1": "330281002001-G01"}
    out = {}
    with tree.uow() as uow:
        for i, (key, grid) in enumerate(grids.items(), start=1):
            out[key] = residents.enrol(
                uow,
                principal=SYSTEM,
                name=f"居民{i}",
                grid=grid,
                consent_text_version="v1",
                id_number=make("330281", date(1985, 1, i), i),
            )
        for username, role, unit in [
            ("vo", Role.VILLAGE_OFFICER, "330281001001"),
            ("to", Role.TOWNSHIP_OFFICER, "330281001"),
            ("au", Role.AUDITOR, None),
            ("au2", Role.AUDITOR, "330281002"),
        ]:
            auth.create_user(
                uow, username=username, display_name=username, role=role, unit_code=unit, password=PASSWORD
            )
        uow.commit()
    return out


def _principal(c: Container, username: str) -> Principal:
    with c.uow() as uow:
        return auth.user_session(uow, username=username).principal


def test_out_of_scope_looks_exactly_like_a_missing_id(tree: Container, people: dict[str, str]) -> None:
    vo, to = _principal(tree, "vo"), _principal(tree, "to")
    with tree.uow() as uow:
        auth.authorize(uow, vo, "write", resident_id=people["a1"])
        with pytest.raises(NotFound) as outside:
            auth.authorize(uow, vo, "read", resident_id=people["a2"])
        with pytest.raises(NotFound) as missing:
            auth.authorize(uow, vo, "read", resident_id="RZZZZZZZZZZZZ")
        said = str(outside.value).replace(people["a2"], "X")
        assert said == str(missing.value).replace("RZZZZZZZZZZZZ", "X")
        auth.authorize(uow, vo, "read", unit_code="330281001001-G02")
        with pytest.raises(NotFound):
            auth.authorize(uow, vo, "read", unit_code="330281001002")
        assert auth.can(uow, to, "read", resident_id=people["a2"])
        assert not auth.can(uow, to, "read", resident_id=people["b1"])


def test_auditor_reads_in_scope_and_is_told_no_on_writes(tree: Container, people: dict[str, str]) -> None:
    au = _principal(tree, "au")
    with tree.uow() as uow:
        auth.authorize(uow, au, "read", resident_id=people["b1"])
        with pytest.raises(PermissionDenied):
            auth.authorize(uow, au, "write", resident_id=people["b1"])


def test_partners_need_the_residents_consent_to_the_purpose(tree: Container, people: dict[str, str]) -> None:
    bank = Principal(
        kind="token", id="1", role=Role.BANK_STAFF, unit_path="/330281/", scopes=frozenset({"credit:read"})
    )
    purpose = next(iter(residents.consent_catalogue()["purpose"]))
    with tree.uow() as uow:
        with pytest.raises(NotFound):
            auth.authorize(uow, bank, "read", resident_id=people["a1"], purpose=purpose)
        residents.grant_consent(
            uow, resident_id=people["a1"], principal=SYSTEM, text_version="v1", purpose=purpose
        )
        auth.authorize(uow, bank, "read", resident_id=people["a1"], purpose=purpose)
        with pytest.raises(NotFound):
            auth.authorize(uow, bank, "read", resident_id=people["a1"])  # no purpose stated


def test_reads_are_logged_and_the_resident_sees_them(tree: Container, people: dict[str, str]) -> None:
    vo = _principal(tree, "vo")
    with tree.uow() as uow:
        audit.set_route(uow, "GET /residents/x")
        audit.log_read(uow, principal=vo, resident_id=people["a1"], what="resident.profile", why="上门走访")
        me = Principal(kind="resident", id=people["a1"], role=Role.RESIDENT, resident_id=people["a1"])
        audit.log_read(uow, principal=me, resident_id=people["a1"], what="resident.profile", why="own page")
        with pytest.raises(InvalidInput):
            audit.log_read(uow, principal=vo, resident_id=people["a1"], what="resident.profile", why=" ")
        uow.commit()
    with tree.uow() as uow:
        rows = audit.list_for_resident(uow, resident_id=people["a1"])
    assert [(r.actor, r.role, r.what, r.why, r.route) for r in rows] == [
        (vo.actor, Role.VILLAGE_OFFICER, "resident.profile", "上门走访", "GET /residents/x")
    ]

    with tree.uow() as uow:
        sign = auth.resident_session(uow, resident_id=people["a1"])
        uow.commit()
    client = TestClient(create_app(tree), cookies={SESSION_COOKIE: sign.token})
    mine = client.get("/api/me/access-log").json()
    assert [r["why"] for r in mine] == ["上门走访"]
    assert client.get("/api/audit/access-log").status_code == 403


def test_scoped_auditor_queries_one_resident_of_their_scope(tree: Container, people: dict[str, str]) -> None:
    vo = _principal(tree, "vo")
    with tree.uow() as uow:
        for key in ("a1", "b1"):
            audit.log_read(uow, principal=vo, resident_id=people[key], what="resident.profile", why="核实")
        uow.commit()
    au, au2 = _principal(tree, "au"), _principal(tree, "au2")
    with tree.uow() as uow:
        assert len(audit.list(uow, principal=au2, resident_id=people["b1"])) == 1
        with pytest.raises(NotFound):
            audit.list(uow, principal=au2, resident_id=people["a1"])
        with pytest.raises(InvalidInput):
            audit.list(uow, principal=au2)
        assert len(audit.list(uow, principal=au)) == 2
        with pytest.raises(PermissionDenied):
            audit.list(uow, principal=vo)
