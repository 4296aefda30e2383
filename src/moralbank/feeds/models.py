"""Tables of the data interfaces: records (exactly once), imports (progress), quarantine, pushes, pull
cursors, per-interface health and return-loop exports."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements only INTEGER PRIMARY KEY


class FeedImport(Base):
    """One arrival (a file, a push, a pulled page) and its progress: ``rows_done`` rows of it are in,
    committed with their records, so a killed import resumes after the last committed batch."""

    __tablename__ = "feed_import"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    interface: Mapped[str] = mapped_column(String(48), index=True)
    transport: Mapped[str] = mapped_column(String(8))  # file | push | pull
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # running | done | failed
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    held_for_consent: Mapped[int] = mapped_column(Integer, default=0)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)  # why a failed import stopped

    __table_args__ = (Index("ix_feed_import_interface_file", "interface", "file_sha256"),)


class FeedRecord(Base):
    """The current version of one department record; (interface, source_record_id) is unique, which is
    what makes every arrival exactly-once. Earlier versions move to ``feed_record_version``."""

    __tablename__ = "feed_record"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    interface: Mapped[str] = mapped_column(String(48))
    source_record_id: Mapped[str] = mapped_column(String(128))
    resident_id: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))  # used | held
    indicator: Mapped[str | None] = mapped_column(String(64), nullable=True)
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deed_date: Mapped[date] = mapped_column(Date)
    payload: Mapped[str] = mapped_column(Text)  # JSON of the values, ID numbers replaced by the resident id
    effect: Mapped[str | None] = mapped_column(String(128), nullable=True)  # what evaluation made of it
    import_id: Mapped[int] = mapped_column(BigId)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("interface", "source_record_id"),)


class FeedRecordVersion(Base):
    """A superseded version of a record, kept when a correction arrives (never overwritten away)."""

    __tablename__ = "feed_record_version"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("feed_record.id"), index=True)
    resident_id: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    indicator: Mapped[str | None] = mapped_column(String(64), nullable=True)
    points: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deed_date: Mapped[date] = mapped_column(Date)
    payload: Mapped[str] = mapped_column(Text)
    effect: Mapped[str | None] = mapped_column(String(128), nullable=True)
    import_id: Mapped[int] = mapped_column(BigId)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_by_import: Mapped[int] = mapped_column(BigId)


class FeedQuarantine(Base):
    """A row that could not go in, with where it was and why. The raw row is encrypted (it may hold an
    ID number); ``resident_id`` is set when the person is known (e.g. a bad date of a known person)."""

    __tablename__ = "feed_quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    interface: Mapped[str] = mapped_column(String(48), index=True)
    import_id: Mapped[int] = mapped_column(BigId)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    row_no: Mapped[int] = mapped_column(Integer)
    line_no: Mapped[int | None] = mapped_column(Integer, nullable=True)
    field: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(String(500))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    resident_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    # open | fixed (pending), then discarded, or reprocessed (taken in) | held (for consent) | duplicate
    status: Mapped[str] = mapped_column(String(12), default="open")
    resolved_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("interface", "file_sha256", "row_no"),)


class FeedPush(Base):
    """An accepted push, by its idempotency key: the same key again returns the stored answer.

    The row is written (committed, under the unique key) before the import starts, which claims the
    key: a concurrent push of the same key finds it. ``import_id`` and ``response`` are empty while the
    push is being processed."""

    __tablename__ = "feed_push"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    interface: Mapped[str] = mapped_column(String(48))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    body_sha256: Mapped[str] = mapped_column(String(64))
    import_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("interface", "idempotency_key"),)


class FeedCursor(Base):
    """Where the scheduled pull of an interface has got to (the department's ``next`` cursor)."""

    __tablename__ = "feed_cursor"

    interface: Mapped[str] = mapped_column(String(48), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pulled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedHealthDay(Base):
    """Per interface and arrival day: volumes, outcomes and the worst lag (arrival - deed date)."""

    __tablename__ = "feed_health_day"

    interface: Mapped[str] = mapped_column(String(48), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0)
    accepted: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    held_for_consent: Mapped[int] = mapped_column(Integer, default=0)
    lag_days_sum: Mapped[float] = mapped_column(Float, default=0.0)
    lag_days_n: Mapped[int] = mapped_column(Integer, default=0)
    last_arrival_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedExport(Base):
    """One return-loop export to the public credit platform (incremental by ledger seq)."""

    __tablename__ = "feed_export"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seq: Mapped[int | None] = mapped_column(BigId, nullable=True)
    last_seq: Mapped[int | None] = mapped_column(BigId, nullable=True)
    rows: Mapped[int] = mapped_column(Integer)
    directory: Mapped[str] = mapped_column(String(500))
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
