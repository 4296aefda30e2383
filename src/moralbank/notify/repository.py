"""Every query of the inbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from moralbank.notify.models import InboxMessage, NotifyOutbox


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


# -- the outbox of queued channels ------------------------------------------------------------------


def queue(db: Session, rows: list[dict]) -> None:
    if rows:
        from moralbank.db.bulk import insert_rows

        insert_rows(db.connection(), NotifyOutbox.__table__, rows)


def claim(
    db: Session, now: datetime, max_attempts: int, limit: int, until: datetime, skip: Iterable[str] = ()
) -> list[NotifyOutbox]:
    """Take up to ``limit`` due rows (of channels not in ``skip``), oldest first, for one dispatcher:
    their ``next_at`` moves to ``until``, so another dispatcher running meanwhile does not see them (on
    PostgreSQL a concurrent claim of the same row waits for this one, then finds it no longer due)."""
    due = select(NotifyOutbox.id).where(NotifyOutbox.next_at <= now, NotifyOutbox.attempts < max_attempts)
    if skip:
        due = due.where(NotifyOutbox.channel.not_in(list(skip)))
    ids = list(db.scalars(due.order_by(NotifyOutbox.id).limit(limit)))
    if not ids:
        return []
    taken = db.scalars(
        update(NotifyOutbox)
        .where(NotifyOutbox.id.in_(ids), NotifyOutbox.next_at <= now)
        .values(next_at=until)
        .returning(NotifyOutbox.id)
    ).all()
    return list(db.scalars(select(NotifyOutbox).where(NotifyOutbox.id.in_(taken)).order_by(NotifyOutbox.id)))


def release(db: Session, ids: list[int], now: datetime) -> None:
    """Rows claimed but not tried (their channel failed earlier in the run): due again, no attempt used."""
    if ids:
        db.execute(update(NotifyOutbox).where(NotifyOutbox.id.in_(ids)).values(next_at=now))


def sent(db: Session, ids: list[int]) -> None:
    if ids:
        db.execute(delete(NotifyOutbox).where(NotifyOutbox.id.in_(ids)))


def failed(db: Session, row_id: int, *, attempts: int, next_at: datetime, error: str) -> None:
    db.execute(
        update(NotifyOutbox)
        .where(NotifyOutbox.id == row_id)
        .values(attempts=attempts, next_at=next_at, last_error=error[:1000])
    )


def counts(db: Session, max_attempts: int) -> list[tuple[str, bool, int]]:
    """(channel, given up, rows) of the outbox."""
    given_up = NotifyOutbox.attempts >= max_attempts
    return [
        (channel, bool(g), n)
        for channel, g, n in db.execute(
            select(NotifyOutbox.channel, given_up, func.count()).group_by(NotifyOutbox.channel, given_up)
        )
    ]


def retry_given_up(db: Session, max_attempts: int, now: datetime) -> int:
    return (
        db.execute(
            update(NotifyOutbox).where(NotifyOutbox.attempts >= max_attempts).values(attempts=0, next_at=now)
        ).rowcount
        or 0
    )
