"""Residents, households, consent records, correction requests and the resident event history.

Every table holding a person's data carries ``resident_id`` (the pseudonymous id; on ``resident`` it
is the primary key ``id``) so a province-scale deployment can partition by it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    DDL,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime


class Household(Base):
    """A household (户). ``number`` is the household number import files use (户号), unique citywide."""

    __tablename__ = "household"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    number: Mapped[str | None] = mapped_column(String(64), unique=True)
    grid_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_household_grid_code", "grid_code"),)


class Resident(Base):
    """An enrolled (or withdrawn) resident. The ID number is stored encrypted and found by keyed hash."""

    __tablename__ = "resident"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # pseudonymous, e.g. R7K3Q9X2M4P0A
    grid_code: Mapped[str] = mapped_column(ForeignKey("org_unit.code"), nullable=False)
    household_id: Mapped[str | None] = mapped_column(ForeignKey("household.id"))
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # AES-256-GCM (uow.keys.encrypt)
    # Keyed hashes: HMAC-SHA256 truncated to 16 raw bytes (domain.HASH_BYTES explains why).
    id_hash: Mapped[bytes] = mapped_column(LargeBinary(16), nullable=False, unique=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(1))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_hash: Mapped[bytes | None] = mapped_column(LargeBinary(16))  # key "phone" (sign-in)
    guardian_name: Mapped[str | None] = mapped_column(String(50))
    guardian_id_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    guardian_relation: Mapped[str | None] = mapped_column(String(32))
    consent_text_version: Mapped[str] = mapped_column(String(32), nullable=False)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    enrolled_by: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="enrolled")
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("status IN ('enrolled', 'withdrawn')", name="status"),
        Index("ix_resident_grid_code", "grid_code"),
        Index("ix_resident_household_id", "household_id"),
        Index("ix_resident_phone_hash", "phone_hash"),
        # No index on name: a name search runs inside an organisation subtree (the grid index), and at
        # 600,000 residents one more random-key index costs more at enrolment than it saves.
    )


class ResidentConsent(Base):
    """One consent act: grant or revoke, for one data interface or purpose. Appended, never changed."""

    __tablename__ = "resident_consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("resident.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # interface | purpose
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    granted: Mapped[bool] = mapped_column(Boolean, nullable=False)
    text_version: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")

    __table_args__ = (
        CheckConstraint("kind IN ('interface', 'purpose')", name="kind"),
        Index("ix_resident_consent_resident_id_kind_subject", "resident_id", "kind", "subject", "id"),
    )


class CorrectionRequest(Base):
    """A resident's request to correct data held about them, and the staff decision."""

    __tablename__ = "correction_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("resident.id"), nullable=False)
    field: Mapped[str] = mapped_column(String(32), nullable=False)
    requested_value: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted', 'rejected')", name="status"),
        Index("ix_correction_request_resident_id", "resident_id"),
        Index("ix_correction_request_status", "status"),
    )


class ResidentEvent(Base):
    """What changed about a resident after enrolment: grid moves, household changes, corrections,
    withdrawal (old and new values, who, when)."""

    __tablename__ = "resident_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(ForeignKey("resident.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    old_value: Mapped[str | None] = mapped_column(String(200))
    new_value: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_resident_event_resident_id_at", "resident_id", "at"),)


# Consent records are evidence: the database itself refuses to change or delete them.
CONSENT_APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER resident_consent_no_update BEFORE UPDATE ON resident_consent "
    "BEGIN SELECT RAISE(ABORT, 'resident_consent is append-only'); END",
    "CREATE TRIGGER resident_consent_no_delete BEFORE DELETE ON resident_consent "
    "BEGIN SELECT RAISE(ABORT, 'resident_consent is append-only'); END",
)
CONSENT_APPEND_ONLY_POSTGRESQL = (
    "CREATE OR REPLACE FUNCTION resident_consent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'resident_consent is append-only'; END $$",
    "CREATE TRIGGER resident_consent_no_change BEFORE UPDATE OR DELETE ON resident_consent "
    "FOR EACH ROW EXECUTE FUNCTION resident_consent_append_only()",
)
for _sql in CONSENT_APPEND_ONLY_SQLITE:
    event.listen(ResidentConsent.__table__, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in CONSENT_APPEND_ONLY_POSTGRESQL:
    event.listen(ResidentConsent.__table__, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
