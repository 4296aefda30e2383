"""Residents on SQLite and PostgreSQL: enrolment, scope-checked and logged reads, households,
consent with history, corrections, export, withdrawal."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from moralbank.audit import service as audit
from moralbank.auth.domain import SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from moralbank.residents import domain
from moralbank.residents import service as residents
from moralbank.residents.models import Resident
from tests.integration.residents.conftest import VILLAGE_1, VILLAGE_2, number


def enrol(
    uow, name: str = "张三", year: int = 1980, seq: int = 1, grid: str = "330281001001-G01", **kw
) -> str:
    return residents.enrol(
        uow,
        principal=SYSTEM,
        name=name,
        id_number=number(year, seq),
        grid=grid,
        consent_text_version="v1",
        **kw,
    )


def test_the_id_number_is_stored_encrypted_and_found_by_keyed_hash(city: Container) -> None:
    with city.uow() as uow:
        rid = enrol(uow, phone="138 0013 8000")
        uow.commit()
    with city.uow() as uow:
        row = uow.db.get(Resident, rid)
        assert number(1980).encode() not in row.id_number_enc
        assert uow.keys.decrypt(row.id_number_enc) == number(1980)
        assert residents.resolve_id_number(uow, id_number=number(1980)) == rid
        assert residents.resolve_id_number(uow, id_number=number(1981)) is None
        assert residents.find_by_phone(uow, phone="+8613800138000") == rid
        assert (row.birth_date.year, row.sex, row.status) == (1980, "M", "enrolled")
        with pytest.raises(Conflict):
            enrol(uow)


def test_a_village_officer_reads_their_village_only_and_every_read_is_logged(city: Container) -> None:
    with city.uow() as uow:
        mine = enrol(uow, "张三", seq=1)
        other = enrol(uow, "李四", seq=3, grid="330281001002-G01")
        uow.commit()
    with city.uow() as uow:
        profile = residents.get(uow, resident_id=mine, principal=VILLAGE_1, purpose="case review")
        assert profile.name == "张三" and profile.id_number_masked.startswith("330281****")
        with pytest.raises((NotFound, PermissionDenied)):
            residents.get(uow, resident_id=other, principal=VILLAGE_1, purpose="case review")
        found = residents.search(uow, principal=VILLAGE_1, purpose="search", name="")
        assert [r.id for r in found] == [mine]
        assert [
            r.id for r in residents.search(uow, principal=VILLAGE_2, purpose="s", id_number=number(1980))
        ] == []
        uow.commit()
    with city.uow() as uow:
        log = audit.list_for_resident(uow, resident_id=mine)
        assert {(e.what, e.why, e.actor) for e in log} == {
            ("resident.profile", "case review", "user:9"),
            ("resident.summary", "search", "user:9"),
        }
        assert audit.list_for_resident(uow, resident_id=other) == []


def test_residents_and_partners_do_not_search(city: Container) -> None:
    me = Principal(kind="resident", id="R1", role=Role.RESIDENT, resident_id="R1")
    with city.uow() as uow, pytest.raises(PermissionDenied):
        residents.search(uow, principal=me, purpose="x")


def test_a_search_page_has_a_size_and_a_start(city: Container) -> None:
    staff = Principal(kind="user", id="u1", role=Role.CITY_ADMIN)
    with city.uow() as uow:
        for bad in ({"limit": 0}, {"offset": -1}):
            with pytest.raises(InvalidInput, match="limit is at least 1"):
                residents.search(uow, principal=staff, purpose="x", **bad)


def test_consent_is_per_interface_and_purpose_with_full_history(city: Container) -> None:
    with city.uow() as uow:
        rid = enrol(uow)
        assert residents.has_consent(uow, resident_id=rid)
        assert not residents.has_consent(uow, resident_id=rid, purpose="bank_credit")
        residents.grant_consent(
            uow, resident_id=rid, principal=SYSTEM, text_version="c2", purpose="bank_credit"
        )
        residents.grant_consent(
            uow, resident_id=rid, principal=SYSTEM, text_version="c2", interface="taxation"
        )
        city.clock.advance(minutes=5)
        residents.revoke_consent(uow, resident_id=rid, principal=SYSTEM, purpose="bank_credit")
        uow.commit()
    with city.uow() as uow:
        assert not residents.has_consent(uow, resident_id=rid, purpose="bank_credit")
        assert residents.has_consent(uow, resident_id=rid, interface="taxation")
        assert not residents.has_consent(uow, resident_id=rid, interface="taxation", purpose="bank_credit")
        history = residents.consent_history(uow, resident_id=rid, principal=SYSTEM)
        assert [(c.subject, c.granted) for c in history] == [
            ("bank_credit", True),
            ("taxation", True),
            ("bank_credit", False),
        ]


def test_consent_records_cannot_be_changed_in_the_database(city: Container) -> None:
    with city.uow() as uow:
        rid = enrol(uow)
        residents.grant_consent(
            uow, resident_id=rid, principal=SYSTEM, text_version="c", interface="taxation"
        )
        uow.commit()
    with city.uow() as uow, pytest.raises(Exception, match="append-only"):
        uow.db.execute(text("UPDATE resident_consent SET granted = false"))
    with city.uow() as uow, pytest.raises(Exception, match="append-only"):
        uow.db.execute(text("DELETE FROM resident_consent"))


def test_households_and_grid_moves(city: Container) -> None:
    with city.uow() as uow:
        a = enrol(uow, "张一", seq=1, household="H-001")
        b = enrol(uow, "张二", seq=3, household="H-001")
        c = enrol(uow, "张三", seq=5)
        assert residents.household_members(uow, resident_id=a) == {a, b}
        assert residents.household_members(uow, resident_id=c) == {c}
        residents.move_grid(uow, resident_id=b, grid="330281001001-G02", principal=VILLAGE_1)
        assert residents.grid_of(uow, resident_id=b) == "330281001001-G02"
        assert residents.household_members(uow, resident_id=a) == {a}
        with pytest.raises((NotFound, PermissionDenied)):
            residents.move_grid(uow, resident_id=a, grid="330281001002-G01", principal=VILLAGE_1)
        with pytest.raises(InvalidInput, match="in grid"):
            enrol(uow, "张四", seq=7, grid="330281001001-G02", household="H-001")
        kinds = [e.kind for e in residents.history(uow, resident_id=b, principal=SYSTEM)]
        assert kinds == ["move_grid", "household"]


def test_correction_request_is_decided_by_staff_and_applied(city: Container) -> None:
    with city.uow() as uow:
        rid = enrol(uow, "张山")
        me = Principal(kind="resident", id=rid, role=Role.RESIDENT, resident_id=rid)
        req = residents.request_correction(
            uow, resident_id=rid, principal=me, field="name", value="张珊", reason="户口本上是珊"
        )
        with pytest.raises(PermissionDenied):
            residents.decide_correction(uow, request_id=req.id, principal=me, accept=True)
        with pytest.raises((NotFound, PermissionDenied)):
            residents.decide_correction(uow, request_id=req.id, principal=VILLAGE_2, accept=True)
        done = residents.decide_correction(
            uow, request_id=req.id, principal=VILLAGE_1, accept=True, note="已核实"
        )
        assert done.status == "accepted"
        assert residents.get(uow, resident_id=rid, principal=me, purpose="own").name == "张珊"
        with pytest.raises(Conflict):
            residents.decide_correction(uow, request_id=req.id, principal=VILLAGE_1, accept=False)
        assert [c.id for c in residents.corrections(uow, principal=VILLAGE_1, status="accepted")] == [req.id]


def test_export_holds_everything_about_the_resident(city: Container) -> None:
    with city.uow() as uow:
        rid = enrol(uow, phone="13900000001")
        residents.grant_consent(uow, resident_id=rid, principal=SYSTEM, text_version="c", purpose="courtesy")
        residents.get(uow, resident_id=rid, principal=VILLAGE_1, purpose="visit")
        me = Principal(kind="resident", id=rid, role=Role.RESIDENT, resident_id=rid)
        residents.request_correction(uow, resident_id=rid, principal=me, field="phone", value="13900000002")
        data = residents.export(uow, resident_id=rid, principal=me)
    assert data["profile"]["id_number"] == number(1980) and data["profile"]["phone"] == "13900000001"
    assert [c["subject"] for c in data["consents"]] == ["courtesy"]
    assert [c["field"] for c in data["corrections"]] == ["phone"]
    assert [(e["what"], e["why"]) for e in data["access_log"]] == [("resident.profile", "visit")]


def test_withdrawal_revokes_consents_and_erases_personal_data(city: Container) -> None:
    with city.uow() as uow:
        rid = enrol(uow, phone="13900000003")
        residents.grant_consent(
            uow, resident_id=rid, principal=SYSTEM, text_version="c", interface="taxation"
        )
        me = Principal(kind="resident", id=rid, role=Role.RESIDENT, resident_id=rid)
        residents.withdraw(uow, resident_id=rid, principal=me, reason="不想参加")
        uow.commit()
    with city.uow() as uow:
        row = uow.db.get(Resident, rid)
        assert (row.status, row.name, row.id_number_enc, row.phone_hash) == (
            "withdrawn",
            "（已退出）",
            None,
            None,
        )
        assert not residents.has_consent(uow, resident_id=rid)
        assert [c.granted for c in residents.consent_history(uow, resident_id=rid, principal=SYSTEM)] == [
            True,
            False,
        ]
        assert residents.find_by_phone(uow, phone="13900000003") is None
        with pytest.raises(InvalidInput, match="withdrew"):
            enrol(uow)


def test_the_policy_minimum_age_and_guardian_consent(city: Container) -> None:
    from moralbank.policy import service as policy

    with city.uow() as uow:
        with pytest.raises(InvalidInput, match="from age 14"):
            enrol(uow, year=2016)  # the default policy enrols from 14
        lower = policy.default_text().replace("min_age: 14", "min_age: 6")
        policy.apply(uow, text=lower, author="test")
        with pytest.raises(InvalidInput) as e:
            enrol(uow, year=2016)
        assert e.value.problems[0].field == "guardian_name"
        rid = enrol(uow, year=2016, guardian=domain.Guardian("张父", number(1985, 11), "父亲"))
        assert uow.db.get(Resident, rid).guardian_name == "张父"
