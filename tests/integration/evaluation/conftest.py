"""A small world for evaluation tests: one township, two villages, three grids, residents in households.

330281 余姚市 ─ 330281001 梨洲街道 ─ 330281001001 一村 ─ grids G1 (A, A2 same household; B, C, D), G2 (E)
                                  └ 330281001002 二村 ─ grid G3 (F)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from moralbank.auth.domain import SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make
from tests.support import PASSWORD, create_user, session_token  # noqa: F401 - re-exported for tests

V1, V2 = "330281001001", "330281001002"
G1, G2, G3 = f"{V1}-G01", f"{V1}-G02", f"{V2}-G03"
UNITS = [
    ("330281", "余姚市", "city", None),
    ("330281001", "梨洲街道", "township", "330281"),
    (V1, "一村", "village", "330281001"),
    (V2, "二村", "village", "330281001"),
    (G1, "一村一格", "grid", V1),
    (G2, "一村二格", "grid", V1),
    (G3, "二村一格", "grid", V2),
]
PEOPLE = {
    "A": (G1, "H1"),
    "A2": (G1, "H1"),
    "B": (G1, None),
    "C": (G1, None),
    "D": (G1, None),
    "E": (G2, None),
    "F": (G3, None),
}
# PNG signature + a little body: enough for the magic-bytes check.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class World:
    container: Container
    ids: dict[str, str]  # letter → resident id
    paths: dict[str, str]

    def resident(self, letter: str) -> Principal:
        rid = self.ids[letter]
        return Principal(kind="resident", id=rid, role=Role.RESIDENT, display_name=letter, resident_id=rid)

    def staff(self, uid: int, role: Role, unit: str) -> Principal:
        return Principal(
            kind="user",
            id=str(uid),
            role=role,
            display_name=f"{role}-{uid}",
            unit_code=unit,
            unit_path=self.paths[unit],
        )

    @property
    def worker1(self) -> Principal:
        return self.staff(11, Role.GRID_WORKER, G1)

    @property
    def worker2(self) -> Principal:
        return self.staff(12, Role.GRID_WORKER, G2)

    @property
    def officer(self) -> Principal:
        return self.staff(21, Role.VILLAGE_OFFICER, V1)

    @property
    def officer_b(self) -> Principal:
        return self.staff(22, Role.VILLAGE_OFFICER, V1)

    @property
    def officer_v2(self) -> Principal:
        return self.staff(23, Role.VILLAGE_OFFICER, V2)

    @property
    def township(self) -> Principal:
        return self.staff(31, Role.TOWNSHIP_OFFICER, "330281001")


def build_world(container: Container) -> World:
    ids: dict[str, str] = {}
    with container.uow() as uow:
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        paths = {code: orgs.path_of(uow, code=code) for code, *_ in UNITS}
        for n, (letter, (grid, household)) in enumerate(PEOPLE.items()):
            ids[letter] = residents.enrol(
                uow,
                principal=SYSTEM,
                name=f"居民{letter}",
                id_number=make("330281", date(1980, 1, 1 + n), 11 + 2 * n),
                grid=grid,
                consent_text_version="v1",
                household=household,
            )
        uow.commit()
    return World(container, ids, paths)


@pytest.fixture
def world(container: Container) -> World:
    return build_world(container)


STAFF = {  # username → (role, unit); every password is PASSWORD
    "grid1": (Role.GRID_WORKER, G1),
    "village1": (Role.VILLAGE_OFFICER, V1),
    "village1b": (Role.VILLAGE_OFFICER, V1),
    "township": (Role.TOWNSHIP_OFFICER, "330281001"),
}


def create_staff(container: Container) -> None:
    for username, (role, unit) in STAFF.items():
        create_user(container, username, role, unit)


@pytest.fixture
def client_for(world: World):  # noqa: ANN201 - a factory of signed-in TestClients
    """``client_for(username=…)`` for staff, ``client_for(letter=…)`` for a resident of the world;
    ``lang="en"`` for English pages."""
    from fastapi.testclient import TestClient

    from moralbank.web.app import create_app
    from moralbank.web.deps import SESSION_COOKIE

    create_staff(world.container)
    app = create_app(world.container)

    def make(
        *, username: str | None = None, letter: str | None = None, lang: str | None = None
    ) -> TestClient:
        c = TestClient(app, follow_redirects=False)
        resident_id = world.ids[letter] if letter else None
        c.cookies.set(
            SESSION_COOKIE, session_token(world.container, username=username, resident_id=resident_id)
        )
        if lang:
            c.cookies.set("lang", lang)
        return c

    return make
