"""Scoring tables: runs, the current score per resident, its history, and per-unit distributions.

Also the covering index on ``ledger_entry`` that the bulk recompute reads instead of the table
(docs/scoring.md: one GROUP BY resident over this index gives every aspect's counted points).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime
from moralbank.ledger.models import LedgerEntry


class ScoreRun(Base):
    """One recompute: what it read (policy version, ledger size) and what it changed."""

    __tablename__ = "score_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    full: Mapped[bool] = mapped_column(Boolean)
    as_of: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    residents: Mapped[int] = mapped_column(Integer, default=0)  # residents computed
    changed: Mapped[int] = mapped_column(Integer, default=0)  # residents whose score changed
    dropped: Mapped[int] = mapped_column(Integer, default=0)  # residents who fell to a lower tier


class Score(Base):
    """A resident's current score: the value, and the policy version and ledger size that produced it.

    Aspect sub-scores are stored in the policy's aspect order (``aspect_1`` … ``aspect_4``).
    """

    __tablename__ = "score"

    resident_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(String(32), nullable=True)
    aspect_1: Mapped[int] = mapped_column(Integer)
    aspect_2: Mapped[int] = mapped_column(Integer)
    aspect_3: Mapped[int] = mapped_column(Integer)
    aspect_4: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[date] = mapped_column(Date)
    policy_version: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_run.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The first day the score may change with no new entries (a deed leaves the window, a negative
    # record's display period ends): incremental runs also pick up residents whose day has come.
    next_change: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (Index("ix_score_next_change", "next_change"),)


class ScoreHistory(Base):
    """Every value a resident's score took (one row per run that changed it): the line chart."""

    __tablename__ = "score_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[int] = mapped_column(ForeignKey("score_run.id"))
    as_of: Mapped[date] = mapped_column(Date)
    aspect_1: Mapped[int] = mapped_column(Integer)
    aspect_2: Mapped[int] = mapped_column(Integer)
    aspect_3: Mapped[int] = mapped_column(Integer)
    aspect_4: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(64))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_score_history_resident_id_id", "resident_id", "id"),)


class ScoreDistribution(Base):
    """How many residents of a unit have each total: aggregates only, for percentiles."""

    __tablename__ = "score_distribution"

    unit_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    histogram: Mapped[dict] = mapped_column(JSON)  # {"total": residents}
    residents: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(ForeignKey("score_run.id"))


# The bulk recompute's covering index: resident first (one ordered pass, no sort), then everything
# the counting rules read. ``seq`` rides along as the rowid on SQLite; PostgreSQL reads it from the heap
# only for the few reversal residents.
LEDGER_SCORING_INDEX = Index(
    "ix_ledger_entry_scoring",
    LedgerEntry.__table__.c.resident_id,
    LedgerEntry.__table__.c.aspect,
    LedgerEntry.__table__.c.points,
    LedgerEntry.__table__.c.deed_date,
    LedgerEntry.__table__.c.expires_on,
    LedgerEntry.__table__.c.reverses_seq,
    LedgerEntry.__table__.c.severity,
)
# Reversal pairs are rare: this partial index finds the residents they touch in milliseconds.
LEDGER_REVERSAL_INDEX = Index(
    "ix_ledger_entry_reverses_seq",
    LedgerEntry.__table__.c.reverses_seq,
    sqlite_where=LedgerEntry.__table__.c.reverses_seq.isnot(None),
    postgresql_where=LedgerEntry.__table__.c.reverses_seq.isnot(None),
)
