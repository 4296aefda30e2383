"""A small organisation tree for access tests: two townships, three villages, one or two grids each.

330281 余姚市
  330281001 梨洲街道 ── 330281001001 (grids G01, G02) , 330281001002 (G01)
  330281002 凤山街道 ── 330281002001 (G01)
"""

from __future__ import annotations

import pytest

from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs

PASSWORD = "a long test password"
UNITS = [
    ("330281", "余姚市", "city", None),
    ("330281001", "梨洲街道", "township", "330281"),
    ("330281002", "凤山街道", "township", "330281"),
    ("330281001001", "一村", "village", "330281001"),
    ("330281001002", "二村", "village", "330281001"),
    ("330281002001", "三村", "village", "330281002"),
    ("330281001001-G01", "一村一格", "grid", "330281001001"),
    ("330281001001-G02", "一村二格", "grid", "330281001001"),
    ("330281001002-G01", "二村一格", "grid", "330281001002"),
    ("330281002001-G01", "三村一格", "grid", "330281002001"),
]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the smallest cost: these tests are about the rules, not the hash's strength (which
    ``test_password_is_stored_as_argon2_not_plain`` and production defaults cover)."""
    from argon2 import PasswordHasher

    from moralbank.auth import service

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(service, "_hasher", cheap)
    monkeypatch.setattr(service, "_DUMMY_HASH", cheap.hash("not a password of anyone"))


@pytest.fixture
def tree(container: Container) -> Container:
    with container.uow() as uow:
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        uow.commit()
    return container


def add_village_officer(c: Container) -> None:
    """王村干部 (username ``wang``, password ``PASSWORD``), a village officer of 330281001001."""
    from moralbank.auth import service as auth
    from moralbank.auth.domain import Role

    with c.uow() as uow:
        auth.create_user(
            uow,
            username="wang",
            display_name="王村干部",
            role=Role.VILLAGE_OFFICER,
            unit_code="330281001001",
            password=PASSWORD,
        )
        uow.commit()
