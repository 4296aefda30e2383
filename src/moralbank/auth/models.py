"""Tables of sign-in: staff users, server-side sessions, API tokens, one-time codes, login attempts.

Secrets are never stored: passwords as argon2 hashes, session and API tokens as SHA-256 of a
256-bit random value, one-time codes as an HMAC keyed by the installation's ``otp`` secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime


class StaffUser(Base):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    # NULL only for a city admin or auditor working at city level (domain.check_account).
    unit_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("org_unit.code"))
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # partner users only
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AuthSession(Base):
    """A signed-in browser: the cookie holds the token, the row its SHA-256."""

    __tablename__ = "auth_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # user | resident
    user_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("staff_user.id"))
    resident_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_auth_session_user_id", "user_id"),
        Index("ix_auth_session_resident_id", "resident_id"),
    )


class ApiToken(Base):
    """A partner system's credential: shown once at creation, stored as its SHA-256 only."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    scopes: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    unit_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("org_unit.code"))
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OneTimeCode(Base):
    """A sign-in code sent to a resident's phone; found by the phone's keyed hash."""

    __tablename__ = "one_time_code"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    phone_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    resident_id: Mapped[str | None] = mapped_column(String(32))  # None: no resident has that phone
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_one_time_code_phone_hash_created_at", "phone_hash", "created_at"),)


class LoginAttempt(Base):
    """Failed sign-ins, counted per key (``user:<name>`` or ``phone:<hash>``) for lockout."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    client: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_login_attempt_key_at", "key", "at"),)
