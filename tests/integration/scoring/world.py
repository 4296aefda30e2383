"""A small town for scoring and green-code tests: one township, two villages, three grids.

330281 ─ 330281001 ─ 330281001001 一村 ─ G1 (张三明, 李四), G2 (王五)
                   └ 330281001002 二村 ─ G3 (赵六)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from moralbank.auth.domain import SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.ledger import service as ledger
from moralbank.ledger.domain import NewEntry
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
PEOPLE = {"zhang": ("张三明", G1), "li": ("李四", G1), "wang": ("王五", G2), "zhao": ("赵六", G3)}


@dataclass
class Town:
    container: Container
    ids: dict[str, str]
    paths: dict[str, str]

    def resident(self, who: str) -> Principal:
        rid = self.ids[who]
        return Principal(kind="resident", id=rid, role=Role.RESIDENT, display_name=who, resident_id=rid)

    def staff(self, role: Role, unit: str, uid: int = 1) -> Principal:
        return Principal(
            kind="user",
            id=str(uid),
            role=role,
            display_name=f"{role}",
            unit_code=unit,
            unit_path=self.paths[unit],
        )

    def post(self, who: str, indicator: str, points: int, days_ago: int = 3, **kw: object) -> int:
        c = self.container
        with c.uow() as uow:
            from moralbank.kernel.clock import local_date

            today = local_date(uow.clock.now())
            [e] = ledger.post(
                uow,
                [
                    NewEntry(
                        resident_id=self.ids[who],
                        indicator=indicator,
                        aspect=indicator[:2],
                        points=points,
                        deed_date=today - timedelta(days=days_ago),
                        source=str(kw.pop("source", "evaluation")),
                        actor="user:1",
                        policy_version="1",
                        reason=str(kw.pop("reason", "test deed")),
                        evidence=tuple(kw.pop("evidence", ("file:abc",))),
                        **kw,
                    )
                ],
            )  # type: ignore[arg-type]
            uow.commit()
            return e.seq


def build_town(container: Container) -> Town:
    ids: dict[str, str] = {}
    with container.uow() as uow:
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        paths = {code: orgs.path_of(uow, code=code) for code, *_ in UNITS}
        for n, (who, (name, grid)) in enumerate(PEOPLE.items()):
            ids[who] = residents.enrol(
                uow,
                principal=SYSTEM,
                name=name,
                id_number=make("330281", date(1980, 1, 1 + n), 11 + 2 * n),
                grid=grid,
                consent_text_version="v1",
            )
        uow.commit()
    return Town(container, ids, paths)
