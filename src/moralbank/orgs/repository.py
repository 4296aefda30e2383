"""Every query of the organisation tree."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import String, func, insert, literal, select, update
from sqlalchemy.orm import Session

from moralbank.orgs.models import OrgUnit, OrgUnitEvent


def get(db: Session, code: str) -> OrgUnit | None:
    return db.get(OrgUnit, code)


def get_many(db: Session, codes: Iterable[str]) -> dict[str, OrgUnit]:
    codes = list(set(codes))
    out: dict[str, OrgUnit] = {}
    for i in range(0, len(codes), 500):
        out.update(
            {u.code: u for u in db.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes[i : i + 500])))}
        )
    return out


def all_units(db: Session, *, include_closed: bool = True) -> list[OrgUnit]:
    q = select(OrgUnit)
    if not include_closed:
        q = q.where(OrgUnit.closed_at.is_(None))
    return list(db.scalars(q.order_by(OrgUnit.path)))


def children(db: Session, code: str | None, *, include_closed: bool = False) -> list[OrgUnit]:
    q = select(OrgUnit).where(OrgUnit.parent_code.is_(None) if code is None else OrgUnit.parent_code == code)
    if not include_closed:
        q = q.where(OrgUnit.closed_at.is_(None))
    return list(db.scalars(q.order_by(OrgUnit.code)))


def subtree(
    db: Session, path: str, *, level: str | None = None, include_closed: bool = False
) -> list[OrgUnit]:
    q = select(OrgUnit).where(OrgUnit.path.startswith(path, autoescape=True))
    if level:
        q = q.where(OrgUnit.level == level)
    if not include_closed:
        q = q.where(OrgUnit.closed_at.is_(None))
    return list(db.scalars(q.order_by(OrgUnit.path)))


def count_open_children(db: Session, code: str) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(OrgUnit)
            .where(OrgUnit.parent_code == code, OrgUnit.closed_at.is_(None))
        )
        or 0
    )


def count_by_level(db: Session) -> dict[str, int]:
    rows = db.execute(
        select(OrgUnit.level, func.count()).where(OrgUnit.closed_at.is_(None)).group_by(OrgUnit.level)
    )
    return {level: n for level, n in rows}


def add(db: Session, unit: OrgUnit) -> None:
    db.add(unit)
    db.flush()


def add_event(db: Session, event: OrgUnitEvent) -> None:
    db.add(event)


def rebase_subtree(db: Session, old_prefix: str, new_prefix: str) -> int:
    """Rewrite the path of every unit under ``old_prefix`` (the moved unit included) in one statement."""
    n = len(old_prefix)
    result = db.execute(
        update(OrgUnit)
        .where(OrgUnit.path.startswith(old_prefix, autoescape=True))
        .values(path=literal(new_prefix, String).concat(func.substr(OrgUnit.path, n + 1)))
        .execution_options(synchronize_session=False)
    )
    db.expire_all()
    return result.rowcount or 0


def history(db: Session, code: str) -> list[OrgUnitEvent]:
    return list(
        db.scalars(
            select(OrgUnitEvent).where(OrgUnitEvent.code == code).order_by(OrgUnitEvent.at, OrgUnitEvent.id)
        )
    )


def paths_of(db: Session, codes: Iterable[str]) -> dict[str, str]:
    codes = list(set(codes))
    out: dict[str, str] = {}
    for i in range(0, len(codes), 500):
        out.update(
            {
                c: p
                for c, p in db.execute(
                    select(OrgUnit.code, OrgUnit.path).where(OrgUnit.code.in_(codes[i : i + 500]))
                )
            }
        )
    return out


def open_grids(db: Session) -> dict[str, str]:
    """Code → path of every open grid (the import path assigns residents against this)."""
    rows = db.execute(
        select(OrgUnit.code, OrgUnit.path).where(OrgUnit.level == "grid", OrgUnit.closed_at.is_(None))
    )
    return {code: path for code, path in rows}


def bulk_insert(db: Session, rows: list[dict], events: list[dict]) -> None:
    if rows:
        db.execute(insert(OrgUnit), rows)
    if events:
        db.execute(insert(OrgUnitEvent), events)


def set_closed(db: Session, code: str, at: datetime) -> None:
    db.execute(
        update(OrgUnit)
        .where(OrgUnit.code == code)
        .values(closed_at=at)
        .execution_options(synchronize_session=False)
    )
