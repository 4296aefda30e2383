"""Every query of the inbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from moralbank.notify.models import InboxMessage


def add(db: Session, message: InboxMessage) -> InboxMessage:
    db.add(message)
    db.flush()
    return message


def add_many(db: Session, rows: list[dict]) -> None:
    """Many messages in one executemany (Core insert, no ORM objects)."""
    if rows:
        from moralbank.db.bulk import insert_rows

        insert_rows(db.connection(), InboxMessage.__table__, rows)


def of_resident(
    db: Session, resident_id: str, *, unread_only: bool = False, limit: int = 100
) -> list[InboxMessage]:
    q = select(InboxMessage).where(InboxMessage.resident_id == resident_id)
    if unread_only:
        q = q.where(InboxMessage.read_at.is_(None))
    return list(db.scalars(q.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()).limit(limit)))


def unread_count(db: Session, resident_id: str) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(InboxMessage)
            .where(InboxMessage.resident_id == resident_id, InboxMessage.read_at.is_(None))
        )
        or 0
    )


def mark_read(db: Session, resident_id: str, ids: list[int] | None, at: datetime) -> int:
    q = update(InboxMessage).where(InboxMessage.resident_id == resident_id, InboxMessage.read_at.is_(None))
    if ids is not None:
        q = q.where(InboxMessage.id.in_(ids))
    return db.execute(q.values(read_at=at)).rowcount or 0
