"""Every query of the policy capability."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moralbank.policy.models import PolicyVersion


def latest(db: Session) -> PolicyVersion | None:
    return db.scalars(select(PolicyVersion).order_by(PolicyVersion.version.desc()).limit(1)).first()


def latest_key(db: Session) -> tuple[int, str] | None:
    """(version, sha256) of the newest version, without reading its text."""
    row = db.execute(
        select(PolicyVersion.version, PolicyVersion.sha256).order_by(PolicyVersion.version.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def key_of(db: Session, version: int) -> tuple[int, str] | None:
    row = db.execute(
        select(PolicyVersion.version, PolicyVersion.sha256).where(PolicyVersion.version == version)
    ).first()
    return (row[0], row[1]) if row else None


def latest_number(db: Session) -> int | None:
    return db.scalar(select(func.max(PolicyVersion.version)))


def get(db: Session, version: int) -> PolicyVersion | None:
    return db.get(PolicyVersion, version)


def list_all(db: Session) -> list[PolicyVersion]:
    return list(db.scalars(select(PolicyVersion).order_by(PolicyVersion.version)))


def add(db: Session, row: PolicyVersion) -> PolicyVersion:
    db.add(row)
    db.flush()
    return row
