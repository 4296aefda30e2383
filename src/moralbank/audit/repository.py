"""Every query of the access log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from moralbank.audit.models import AccessLog


def for_resident(db: Session, resident_id: str, *, limit: int) -> list[AccessLog]:
    return list(
        db.scalars(
            select(AccessLog)
            .where(AccessLog.resident_id == resident_id)
            .order_by(AccessLog.at.desc(), AccessLog.id.desc())
            .limit(limit)
        )
    )


def query(
    db: Session,
    *,
    resident_id: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> list[AccessLog]:
    q = select(AccessLog)
    if resident_id:
        q = q.where(AccessLog.resident_id == resident_id)
    if actor:
        q = q.where(AccessLog.actor == actor)
    if since:
        q = q.where(AccessLog.at >= since)
    if until:
        q = q.where(AccessLog.at < until)
    return list(db.scalars(q.order_by(AccessLog.at.desc(), AccessLog.id.desc()).limit(limit).offset(offset)))
