"""Every query of sign-in and accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from moralbank.auth.models import ApiToken, AuthSession, LoginAttempt, OneTimeCode, StaffUser

# -- staff users ------------------------------------------------------------------------------------


def user_by_username(db: Session, username: str) -> StaffUser | None:
    return db.scalar(select(StaffUser).where(StaffUser.username == username))


def user_by_id(db: Session, user_id: int) -> StaffUser | None:
    return db.get(StaffUser, user_id)


def list_users(db: Session, *, include_inactive: bool = True) -> list[StaffUser]:
    q = select(StaffUser).order_by(StaffUser.username)
    if not include_inactive:
        q = q.where(StaffUser.active.is_(True))
    return list(db.scalars(q))


def add(db: Session, row: object) -> None:
    db.add(row)
    db.flush()


# -- sessions ---------------------------------------------------------------------------------------


def session_by_hash(db: Session, token_hash: str) -> AuthSession | None:
    return db.get(AuthSession, token_hash)


def end_sessions_of_user(db: Session, user_id: int, now: datetime) -> int:
    result = db.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_sessions_before(db: Session, cutoff: datetime) -> int:
    """Sessions that expired or ended before ``cutoff``."""
    result = db.execute(
        delete(AuthSession).where((AuthSession.expires_at < cutoff) | (AuthSession.ended_at < cutoff))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_codes_before(db: Session, cutoff: datetime) -> int:
    result = db.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_failures_before(db: Session, cutoff: datetime) -> int:
    result = db.execute(delete(LoginAttempt).where(LoginAttempt.at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- API tokens -------------------------------------------------------------------------------------


def token_by_hash(db: Session, token_hash: str) -> ApiToken | None:
    return db.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def token_by_id(db: Session, token_id: int) -> ApiToken | None:
    return db.get(ApiToken, token_id)


def list_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


# -- one-time codes and throttling -----------------------------------------------------------------


def latest_code(db: Session, phone_hash: str) -> OneTimeCode | None:
    return db.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.phone_hash == phone_hash)
        .order_by(OneTimeCode.created_at.desc(), OneTimeCode.id.desc())
        .limit(1)
    )


def code_times(db: Session, phone_hash: str, since: datetime) -> list[datetime]:
    return list(
        db.scalars(
            select(OneTimeCode.created_at).where(
                OneTimeCode.phone_hash == phone_hash, OneTimeCode.created_at >= since
            )
        )
    )


def failures(db: Session, key: str, since: datetime) -> list[datetime]:
    return list(db.scalars(select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at >= since)))


def failures_from(db: Session, client: str, since: datetime) -> list[datetime]:
    return list(
        db.scalars(select(LoginAttempt.at).where(LoginAttempt.client == client, LoginAttempt.at >= since))
    )


def clear_failures(db: Session, key: str) -> None:
    db.execute(delete(LoginAttempt).where(LoginAttempt.key == key))
