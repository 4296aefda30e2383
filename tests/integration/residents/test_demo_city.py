"""The demo city step: Yuyao's shape exactly, synthetic residents, deterministic from the seed."""

from __future__ import annotations

from datetime import date

from moralbank.bootstrap import Container
from moralbank.demo import city
from moralbank.orgs import service as orgs
from moralbank.residents import idnumber
from moralbank.residents import service as residents


def test_the_city_has_yuyaos_shape_and_residents_in_every_grid(container: Container) -> None:
    line = city.build_city(container, scale="town", seed=2012)
    assert "1459 grids" in line
    with container.uow(write=False) as uow:
        assert orgs.counts(uow) == {"city": 1, "township": 21, "village": 261, "grid": 1459}
        assert orgs.get(uow, code="330281116").name_zh == "四明山镇"
        assert residents.counts(uow) == {"enrolled": city.RESIDENTS["town"]}
        sample = container.cache["demo_residents"][0]
        assert residents.find_by_phone(uow, phone=sample["phone"]) == sample["id"]
        assert residents.has_consent(uow, resident_id=sample["id"]) is True
    # Running the step again changes nothing.
    city.build_city(container, scale="town", seed=2012)
    with container.uow(write=False) as uow:
        assert residents.counts(uow) == {"enrolled": city.RESIDENTS["town"]}


def test_the_same_seed_gives_the_same_city() -> None:
    units = city.unit_rows(7)
    assert units == city.unit_rows(7) and units != city.unit_rows(8)
    grids = [r["code"] for _, r in units if r["level"] == "grid"]
    people = city.resident_rows(7, grids, 500, date(2026, 11, 25))
    assert people == city.resident_rows(7, grids, 500, date(2026, 11, 25))
    assert len({r["id_number"] for _, r in people}) == 500
    assert all(idnumber.parse(r["id_number"]).division == "330281" for _, r in people)
    assert {r["grid"] for _, r in people} <= set(grids)
