from __future__ import annotations

from datetime import date

import pytest

from moralbank.auth.domain import Principal, Role
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.residents import idnumber

UNITS = [
    ("330281", "余姚市", "city", None),
    ("330281001", "梨洲街道", "township", "330281"),
    ("330281001001", "光明社区", "village", "330281001"),
    ("330281001001-G01", "一网格", "grid", "330281001001"),
    ("330281001001-G02", "二网格", "grid", "330281001001"),
    ("330281001002", "东方社区", "village", "330281001"),
    ("330281001002-G01", "东一网格", "grid", "330281001002"),
]


def number(year: int, seq: int = 1) -> str:
    return idnumber.make("330281", date(year, 3, 4), seq)


def officer(code: str, path: str, role: Role = Role.VILLAGE_OFFICER) -> Principal:
    return Principal(kind="user", id="9", role=role, display_name="王干部", unit_code=code, unit_path=path)


VILLAGE_1 = officer("330281001001", "/330281/330281001/330281001001/")
VILLAGE_2 = officer("330281001002", "/330281/330281001/330281001002/")


@pytest.fixture
def city(container: Container) -> Container:
    with container.uow() as uow:
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        uow.commit()
    return container
