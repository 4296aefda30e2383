"""Every query of the data interfaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from moralbank.db.bulk import insert_rows
from moralbank.db.lists import chunks, one_of
from moralbank.feeds.models import (
    FeedCursor,
    FeedExport,
    FeedHealthDay,
    FeedImport,
    FeedPush,
    FeedQuarantine,
    FeedRecord,
    FeedRecordVersion,
)

CHUNK = 900  # stay under SQLite's bound-parameter limit in IN lists


def running_import(db: Session, interface: str, file_sha256: str) -> FeedImport | None:
    return db.scalars(
        select(FeedImport)
        .where(
            FeedImport.interface == interface,
            FeedImport.file_sha256 == file_sha256,
            FeedImport.status == "running",
        )
        .order_by(FeedImport.id.desc())
        .limit(1)
    ).first()


def get_import(db: Session, import_id: int) -> FeedImport | None:
    return db.get(FeedImport, import_id)


def imports(db: Session, *, interface: str | None = None, limit: int = 50) -> list[FeedImport]:
    q = select(FeedImport).order_by(FeedImport.id.desc()).limit(limit)
    if interface:
        q = q.where(FeedImport.interface == interface)
    return list(db.scalars(q))


def add(db: Session, obj: Any) -> None:
    db.add(obj)


def existing_records(db: Session, interface: str, source_ids: Sequence[str]) -> dict[str, FeedRecord]:
    out: dict[str, FeedRecord] = {}
    dialect = db.get_bind().dialect
    for chunk in chunks(dialect, list(source_ids), CHUNK):
        for rec in db.scalars(
            select(FeedRecord).where(
                FeedRecord.interface == interface, one_of(dialect, FeedRecord.source_record_id, chunk)
            )
        ):
            out[rec.source_record_id] = rec
    return out


def insert_records(db: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        insert_rows(db.connection(), FeedRecord.__table__, rows)  # driver executemany / COPY, no ORM


def insert_versions(db: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        insert_rows(db.connection(), FeedRecordVersion.__table__, rows)  # driver executemany / COPY, no ORM


def quarantined_rows(db: Session, interface: str, file_sha256: str, rows: Sequence[int]) -> set[int]:
    out: set[int] = set()
    rows = list(rows)
    for i in range(0, len(rows), CHUNK):
        out.update(
            db.scalars(
                select(FeedQuarantine.row_no).where(
                    FeedQuarantine.interface == interface,
                    FeedQuarantine.file_sha256 == file_sha256,
                    FeedQuarantine.row_no.in_(rows[i : i + CHUNK]),
                )
            )
        )
    return out


def insert_quarantine(db: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        insert_rows(db.connection(), FeedQuarantine.__table__, rows)  # driver executemany / COPY, no ORM


def quarantine(
    db: Session,
    *,
    interface: str | None = None,
    status: str | None = "open",
    reason: str | None = None,
    ids: Iterable[int] | None = None,
    limit: int | None = 200,
    offset: int = 0,
) -> list[FeedQuarantine]:
    q = _quarantine_where(select(FeedQuarantine), interface, status, reason).order_by(FeedQuarantine.id)
    if ids is not None:
        q = q.where(FeedQuarantine.id.in_(list(ids)))
    if limit:
        q = q.limit(limit).offset(offset)
    return list(db.scalars(q))


def quarantine_total(
    db: Session, *, interface: str | None = None, status: str | None = "open", reason: str | None = None
) -> int:
    """How many rows ``quarantine`` finds with these filters, all pages together."""
    q = _quarantine_where(select(func.count()).select_from(FeedQuarantine), interface, status, reason)
    return int(db.scalar(q) or 0)


def _quarantine_where(q: Any, interface: str | None, status: str | None, reason: str | None) -> Any:
    if interface:
        q = q.where(FeedQuarantine.interface == interface)
    if status:
        q = (
            q.where(FeedQuarantine.status == status)
            if status != "pending"
            else q.where(FeedQuarantine.status.in_(("open", "fixed")))
        )
    if reason:
        q = q.where(FeedQuarantine.reason == reason)
    return q


def quarantine_row(db: Session, qid: int) -> FeedQuarantine | None:
    return db.get(FeedQuarantine, qid)


def quarantine_counts(db: Session) -> dict[tuple[str, str], int]:
    rows = db.execute(
        select(FeedQuarantine.interface, FeedQuarantine.status, func.count()).group_by(
            FeedQuarantine.interface, FeedQuarantine.status
        )
    )
    return {(i, s): n for i, s, n in rows}


def push_by_key(db: Session, interface: str, key: str) -> FeedPush | None:
    return db.scalars(
        select(FeedPush).where(FeedPush.interface == interface, FeedPush.idempotency_key == key)
    ).first()


def quarantine_of_content(
    db: Session, interface: str, file_sha256: str, *, limit: int
) -> list[FeedQuarantine]:
    """The first ``limit`` quarantined rows of an arrival's content, in its order (by the unique index)."""
    return list(
        db.scalars(
            select(FeedQuarantine)
            .where(FeedQuarantine.interface == interface, FeedQuarantine.file_sha256 == file_sha256)
            .order_by(FeedQuarantine.row_no)
            .limit(limit)
        )
    )


def drop_push_claim(db: Session, push_id: int) -> None:
    """Remove an unanswered push claim (by its id: a claim made since by another request stays)."""
    db.execute(delete(FeedPush).where(FeedPush.id == push_id, FeedPush.response.is_(None)))
    db.expire_all()


def cursor(db: Session, interface: str) -> FeedCursor | None:
    return db.get(FeedCursor, interface)


def health_day(db: Session, interface: str, day: date) -> FeedHealthDay | None:
    return db.get(FeedHealthDay, (interface, day))


def health_totals(db: Session, *, since: date | None = None) -> dict[str, dict[str, Any]]:
    q = select(
        FeedHealthDay.interface,
        func.sum(FeedHealthDay.received),
        func.sum(FeedHealthDay.accepted),
        func.sum(FeedHealthDay.duplicates),
        func.sum(FeedHealthDay.quarantined),
        func.sum(FeedHealthDay.held_for_consent),
        func.sum(FeedHealthDay.lag_days_sum),
        func.sum(FeedHealthDay.lag_days_n),
        func.max(FeedHealthDay.last_arrival_at),
    ).group_by(FeedHealthDay.interface)
    if since is not None:
        q = q.where(FeedHealthDay.day >= since)
    out = {}
    for name, rec, acc, dup, qua, held, lag_sum, lag_n, last in db.execute(q):
        out[name] = {
            "received": int(rec or 0),
            "accepted": int(acc or 0),
            "duplicates": int(dup or 0),
            "quarantined": int(qua or 0),
            "held_for_consent": int(held or 0),
            "lag_days": (float(lag_sum) / lag_n) if lag_n else None,
            "last_arrival_at": last,
        }
    return out


def health_days(db: Session, interface: str, since: date) -> list[FeedHealthDay]:
    return list(
        db.scalars(
            select(FeedHealthDay)
            .where(FeedHealthDay.interface == interface, FeedHealthDay.day >= since)
            .order_by(FeedHealthDay.day)
        )
    )


def records_of(db: Session, resident_id: str) -> list[FeedRecord]:
    return list(
        db.scalars(
            select(FeedRecord)
            .where(FeedRecord.resident_id == resident_id)
            .order_by(FeedRecord.deed_date.desc(), FeedRecord.id.desc())
        )
    )


def record_counts_of(db: Session, resident_id: str) -> dict[tuple[str, str], int]:
    rows = db.execute(
        select(FeedRecord.interface, FeedRecord.status, func.count())
        .where(FeedRecord.resident_id == resident_id)
        .group_by(FeedRecord.interface, FeedRecord.status)
    )
    return {(i, s): n for i, s, n in rows}


def held_records(
    db: Session, *, resident_id: str | None = None, interface: str | None = None, limit: int = 10000
) -> list[FeedRecord]:
    q = select(FeedRecord).where(FeedRecord.status == "held").order_by(FeedRecord.id).limit(limit)
    if resident_id:
        q = q.where(FeedRecord.resident_id == resident_id)
    if interface:
        q = q.where(FeedRecord.interface == interface)
    return list(db.scalars(q))


def count_records(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(FeedRecord)) or 0)


def last_export(db: Session) -> FeedExport | None:
    return db.scalars(select(FeedExport).order_by(FeedExport.id.desc()).limit(1)).first()


def set_import_progress(db: Session, import_id: int, values: dict[str, Any]) -> None:
    db.execute(update(FeedImport).where(FeedImport.id == import_id).values(**values))


def record_versions(db: Session, record_id: int) -> list[FeedRecordVersion]:
    return list(
        db.scalars(
            select(FeedRecordVersion)
            .where(FeedRecordVersion.record_id == record_id)
            .order_by(FeedRecordVersion.version)
        )
    )


def latest_arrival(db: Session) -> datetime | None:
    return db.scalar(select(func.max(FeedHealthDay.last_arrival_at)))
