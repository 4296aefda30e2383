"""The bulk look-ups an import batch uses (one query per batch) give the answers of the one-by-one
services: ``resolve_id_numbers`` ≡ ``resolve_id_number``, ``consented_residents`` ≡ ``has_consent``."""

from __future__ import annotations

from moralbank.auth.domain import SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.residents import service as residents
from tests.integration.residents.conftest import number


def _enrol(uow, seq: int, grid: str = "330281001001-G01") -> str:
    return residents.enrol(
        uow,
        principal=SYSTEM,
        name=f"居民{seq}",
        id_number=number(1970 + seq, seq),
        grid=grid,
        consent_text_version="v1",
    )


def test_resolve_id_numbers_matches_one_by_one(city: Container) -> None:
    with city.uow() as uow:
        ids = [_enrol(uow, k) for k in range(1, 6)]
        uow.commit()
    numbers = [number(1970 + k, k) for k in range(1, 6)]
    stranger = number(1999, 7)  # well-formed, not a resident
    malformed = "33028119990304001X"  # bad check character
    asked = [*numbers, numbers[0], stranger, malformed, numbers[2].lower()]
    with city.uow(write=False) as uow:
        bulk = residents.resolve_id_numbers(uow, id_numbers=asked)
        single = {n: residents.resolve_id_number(uow, id_number=n) for n in asked}
    assert bulk == {n: r for n, r in single.items() if r is not None}
    assert [bulk[n] for n in numbers] == ids
    assert stranger not in bulk and malformed not in bulk
    with city.uow(write=False) as uow:
        assert residents.resolve_id_numbers(uow, id_numbers=[]) == {}


def test_consented_residents_matches_has_consent_including_revocations(city: Container) -> None:
    with city.uow() as uow:
        a, b, c, d, e = (_enrol(uow, k) for k in range(1, 6))
        for rid in (a, b, c, e):
            residents.grant_consent(
                uow, resident_id=rid, principal=SYSTEM, text_version="c", interface="rent"
            )
        residents.grant_consent(
            uow, resident_id=d, principal=SYSTEM, text_version="c", interface="healthcare"
        )
        city.clock.advance(minutes=1)
        residents.revoke_consent(uow, resident_id=b, principal=SYSTEM, interface="rent")
        city.clock.advance(minutes=1)
        # c revokes, then consents again: the newest act wins
        residents.revoke_consent(uow, resident_id=c, principal=SYSTEM, interface="rent")
        city.clock.advance(minutes=1)
        residents.grant_consent(uow, resident_id=c, principal=SYSTEM, text_version="c", interface="rent")
        # e withdraws from the moral bank altogether
        me = Principal(kind="resident", id=e, role=Role.RESIDENT, resident_id=e)
        residents.withdraw(uow, resident_id=e, principal=me, reason="退出")
        uow.commit()
    everyone = [a, b, c, d, e, "RNOSUCHRESIDENT"]
    with city.uow(write=False) as uow:
        for iface in ("rent", "healthcare", "education"):
            bulk = residents.consented_residents(uow, resident_ids=everyone, interface=iface)
            single = {r for r in everyone if residents.has_consent(uow, resident_id=r, interface=iface)}
            assert bulk == single, iface
        assert residents.consented_residents(uow, resident_ids=everyone, interface="rent") == {a, c}
        assert residents.consented_residents(uow, resident_ids=[], interface="rent") == set()


def test_grids_of_gives_grid_and_path(city: Container) -> None:
    with city.uow() as uow:
        a = _enrol(uow, 1)
        b = _enrol(uow, 2, grid="330281001002-G01")
        uow.commit()
    with city.uow(write=False) as uow:
        got = residents.grids_of(uow, resident_ids=[a, b, "RNOSUCHRESIDENT"])
    assert got == {
        a: ("330281001001-G01", "/330281/330281001/330281001001/330281001001-G01/"),
        b: ("330281001002-G01", "/330281/330281001/330281001002/330281001002-G01/"),
    }
