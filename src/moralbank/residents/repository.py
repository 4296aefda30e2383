"""Every query of residents, households, consent records and correction requests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import LargeBinary, String, func, select
from sqlalchemy.orm import Session

from moralbank.db.bulk import copy_rows
from moralbank.db.engine import raise_sqlite_cache
from moralbank.db.lists import chunks, in_sql, one_of
from moralbank.orgs.models import OrgUnit
from moralbank.residents.models import CorrectionRequest, Household, Resident, ResidentConsent, ResidentEvent

CHUNK = 2000  # bound parameters per IN (...) stay far below SQLite's limit
BIG_CHUNK = 20_000  # for the bulk look-ups of an import batch: one query per batch (SQLite allows 32,766)


def get(db: Session, resident_id: str) -> Resident | None:
    return db.get(Resident, resident_id)


def by_hash(db: Session, id_hash: bytes) -> Resident | None:
    return db.scalar(select(Resident).where(Resident.id_hash == id_hash))


def id_by_hash(db: Session, id_hash: bytes) -> str | None:
    return db.scalar(select(Resident.id).where(Resident.id_hash == id_hash))


def id_by_phone_hash(db: Session, phone_hash: bytes) -> str | None:
    return db.scalar(
        select(Resident.id)
        .where(Resident.phone_hash == phone_hash, Resident.status == "enrolled")
        .order_by(Resident.enrolled_at)
        .limit(1)
    )


def existing_hashes(db: Session, hashes: Sequence[bytes]) -> dict[bytes, tuple[str, str]]:
    """id_hash → (resident id, status) for those already present.

    On the driver directly (a re-import of 600,000 rows asks for 600,000 hashes)."""
    out: dict[bytes, tuple[str, str]] = {}
    conn = db.connection()
    for chunk in chunks(conn.dialect, list(hashes), CHUNK):
        cond, params = in_sql(conn.dialect, chunk)
        rows = conn.exec_driver_sql(f"SELECT id_hash, id, status FROM resident WHERE id_hash {cond}", params)
        out.update({bytes(h): (rid, status) for h, rid, status in rows})
    return out


def ids_by_hashes(db: Session, hashes: Sequence[bytes]) -> dict[bytes, str]:
    """id_hash → resident id for the hashes present (whatever the status), one query per chunk."""
    return {h: rid for h, (rid, _status) in existing_hashes(db, hashes).items()}


def phones_enc(db: Session, resident_ids: Sequence[str]) -> dict[str, bytes]:
    """resident id → encrypted phone, for the enrolled residents among ``resident_ids`` that have one."""
    out: dict[str, bytes] = {}
    ids = list(dict.fromkeys(resident_ids))
    dialect = db.get_bind().dialect
    for chunk in chunks(dialect, ids, BIG_CHUNK):
        rows = db.execute(
            select(Resident.id, Resident.phone_enc).where(
                one_of(dialect, Resident.id, chunk),
                Resident.status == "enrolled",
                Resident.phone_enc.is_not(None),
            )
        )
        out.update({rid: enc for rid, enc in rows})
    return out


def grids_and_paths(db: Session, resident_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """resident id → (grid code, the grid's path), one query per chunk, on the driver."""
    out: dict[str, tuple[str, str]] = {}
    conn = db.connection()
    for chunk in chunks(conn.dialect, list(dict.fromkeys(resident_ids)), BIG_CHUNK):
        cond, params = in_sql(conn.dialect, chunk)
        rows = conn.exec_driver_sql(
            "SELECT r.id, r.grid_code, o.path FROM resident r JOIN org_unit o ON o.code = r.grid_code "
            f"WHERE r.id {cond}",
            params,
        )
        out.update({rid: (grid, path) for rid, grid, path in rows})
    return out


def interface_consents(
    db: Session, resident_ids: Sequence[str], kind: str, subject: str
) -> list[tuple[str, bool, Any, int]]:
    """(resident id, granted, at, id) of every consent act of enrolled residents among ``resident_ids``
    for one subject, oldest first; one query per chunk, on the driver."""
    out: list[tuple[str, bool, Any, int]] = []
    conn = db.connection()
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for chunk in chunks(conn.dialect, list(dict.fromkeys(resident_ids)), BIG_CHUNK):
        cond, params = in_sql(conn.dialect, chunk)
        rows = conn.exec_driver_sql(
            "SELECT c.resident_id, c.granted, c.at, c.id FROM resident_consent c "
            "JOIN resident r ON r.id = c.resident_id "
            f"WHERE r.status = 'enrolled' AND c.kind = {mark} AND c.subject = {mark} "
            f"AND c.resident_id {cond} ORDER BY c.at, c.id",
            (kind, subject, *params),
        )
        out.extend((rid, bool(granted), at, cid) for rid, granted, at, cid in rows)
    return out


def any_resident(db: Session) -> bool:
    return db.scalar(select(Resident.id).limit(1)) is not None


def grid_and_path(db: Session, resident_id: str) -> tuple[str, str] | None:
    row = db.execute(
        select(Resident.grid_code, OrgUnit.path)
        .join(OrgUnit, OrgUnit.code == Resident.grid_code)
        .where(Resident.id == resident_id)
    ).first()
    return (row[0], row[1]) if row else None


def search(
    db: Session,
    *,
    within: str | None,
    name: str | None,
    grid_path: str | None,
    id_hash: bytes | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[tuple[Resident, str]]:
    q = select(Resident, OrgUnit.path).join(OrgUnit, OrgUnit.code == Resident.grid_code)
    if within:
        q = q.where(OrgUnit.path.startswith(within, autoescape=True))
    if grid_path:
        q = q.where(OrgUnit.path.startswith(grid_path, autoescape=True))
    if name:
        q = q.where(Resident.name.startswith(name, autoescape=True))
    if id_hash:
        q = q.where(Resident.id_hash == id_hash)
    if status:
        q = q.where(Resident.status == status)
    q = q.order_by(Resident.grid_code, Resident.name, Resident.id).limit(limit).offset(offset)
    return [(r, p) for r, p in db.execute(q)]


def count_in(db: Session, path: str, *, status: str = "enrolled") -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Resident)
            .join(OrgUnit, OrgUnit.code == Resident.grid_code)
            .where(OrgUnit.path.startswith(path, autoescape=True), Resident.status == status)
        )
        or 0
    )


def count_by_grid_path(db: Session, path: str, *, status: str = "enrolled") -> dict[str, int]:
    """Residents per grid (by the grid's path) in the subtree at ``path``: one grouped query."""
    rows = db.execute(
        select(OrgUnit.path, func.count())
        .select_from(Resident)
        .join(OrgUnit, OrgUnit.code == Resident.grid_code)
        .where(OrgUnit.path.startswith(path, autoescape=True), Resident.status == status)
        .group_by(OrgUnit.path)
    )
    return {p: n for p, n in rows}


def count_by_status(db: Session) -> dict[str, int]:
    return {
        status: n for status, n in db.execute(select(Resident.status, func.count()).group_by(Resident.status))
    }


def list_ids(
    db: Session, *, limit: int | None, offset: int = 0, status: str = "enrolled"
) -> list[tuple[str, str, Any]]:
    q = (
        select(Resident.id, Resident.grid_code, Resident.enrolled_at)
        .where(Resident.status == status)
        .order_by(Resident.id)
        .offset(offset)
    )
    if limit is not None:
        q = q.limit(limit)
    return [tuple(r) for r in db.execute(q)]  # type: ignore[misc]


def household(db: Session, household_id: str) -> Household | None:
    return db.get(Household, household_id)


def households_by_number(db: Session, numbers: Sequence[str]) -> dict[str, tuple[str, str]]:
    """household number → (household id, grid code)."""
    out: dict[str, tuple[str, str]] = {}
    dialect = db.get_bind().dialect
    for chunk in chunks(dialect, list(numbers), CHUNK):
        rows = db.execute(
            select(Household.number, Household.id, Household.grid_code).where(
                one_of(dialect, Household.number, chunk)
            )
        )
        out.update({n: (hid, grid) for n, hid, grid in rows})
    return out


def household_member_ids(db: Session, household_id: str) -> set[str]:
    return set(
        db.scalars(
            select(Resident.id).where(Resident.household_id == household_id, Resident.status == "enrolled")
        )
    )


def consents(db: Session, resident_id: str) -> list[ResidentConsent]:
    return list(
        db.scalars(
            select(ResidentConsent)
            .where(ResidentConsent.resident_id == resident_id)
            .order_by(ResidentConsent.at, ResidentConsent.id)
        )
    )


def consents_for(db: Session, resident_id: str, subjects: Iterable[tuple[str, str]]) -> list[ResidentConsent]:
    subjects = list(subjects)
    q = select(ResidentConsent).where(ResidentConsent.resident_id == resident_id)
    kinds = {k for k, _ in subjects}
    names = {s for _, s in subjects}
    q = q.where(ResidentConsent.kind.in_(kinds), ResidentConsent.subject.in_(names))
    return list(db.scalars(q.order_by(ResidentConsent.at, ResidentConsent.id)))


def corrections(
    db: Session,
    *,
    resident_id: str | None = None,
    status: str | None = None,
    within: str | None = None,
    limit: int = 200,
) -> list[CorrectionRequest]:
    q = select(CorrectionRequest)
    if resident_id:
        q = q.where(CorrectionRequest.resident_id == resident_id)
    if status:
        q = q.where(CorrectionRequest.status == status)
    if within:
        q = (
            q.join(Resident, Resident.id == CorrectionRequest.resident_id)
            .join(OrgUnit, OrgUnit.code == Resident.grid_code)
            .where(OrgUnit.path.startswith(within, autoescape=True))
        )
    return list(
        db.scalars(q.order_by(CorrectionRequest.created_at.desc(), CorrectionRequest.id.desc()).limit(limit))
    )


def correction(db: Session, request_id: int) -> CorrectionRequest | None:
    return db.get(CorrectionRequest, request_id)


def events(db: Session, resident_id: str) -> list[ResidentEvent]:
    return list(
        db.scalars(
            select(ResidentEvent)
            .where(ResidentEvent.resident_id == resident_id)
            .order_by(ResidentEvent.at, ResidentEvent.id)
        )
    )


def add(db: Session, obj: Any) -> None:
    db.add(obj)
    db.flush()


def prepare_bulk(db: Session) -> None:
    """On SQLite, a page cache big enough for the resident indexes (the default 2 MB makes every
    insert into the id and keyed-hash indexes of a large table re-read pages)."""
    raise_sqlite_cache(db.connection(), 262_144)


def insert_residents(db: Session, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    insert_rows(db, Resident.__table__, columns, rows)


_MEMO: dict[tuple[str, str, str], dict[Any, Any]] = {}
"""Converted values per column, kept across batches (birth dates: at most a few tens of thousands)."""


def insert_rows(db: Session, table: Any, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """The fast path for enrolment, on the unit of work's own connection and transaction: the
    driver's ``executemany`` on SQLite, ``COPY`` on PostgreSQL. At 600,000 rows SQLAlchemy's
    per-row parameter processing alone would take a third of the time budget, so values arrive
    ready for the driver; the few columns whose type converts values (dates, times) are converted
    here with the column type's own bind processor, so what is stored equals what Core would store.
    """
    if not rows:
        return
    conn = db.connection()
    dialect = conn.dialect
    procs = [
        (i, table.c[name].type._cached_bind_processor(dialect))
        for i, name in enumerate(columns)
        if not isinstance(table.c[name].type, (String, LargeBinary))
    ]
    procs = [(i, p) for i, p in procs if p is not None]
    if procs:
        # Memoised per value: the enrolment time is one value, birth dates repeat.
        memos: list[dict[Any, Any]] = [
            _MEMO.setdefault((dialect.name, table.name, columns[i]), {}) for i, _ in procs
        ]
        for memo in memos:
            if (
                len(memo) > 100_000
            ):  # times of single enrolments would otherwise pile up in a long-lived server
                memo.clear()
        fixed = []
        for row in rows:
            row = list(row)
            for (i, p), memo in zip(procs, memos, strict=True):
                v = row[i]
                if v not in memo:
                    memo[v] = p(v)
                row[i] = memo[v]
            fixed.append(tuple(row))
        rows = fixed
    names = ", ".join(columns)
    if dialect.name == "postgresql":
        copy_rows(conn.connection.driver_connection, table, columns, rows)
        return
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", rows)
