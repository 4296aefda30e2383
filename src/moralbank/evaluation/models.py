"""Evaluation tables: items on their way to the ledger, grid votes, every step, evidence files,
objections (including credit repair and human review) and confirmation-ring flags."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime


class EvaluationItem(Base):
    """A deed, deduction or record proposal (see ``evaluation.domain``)."""

    __tablename__ = "evaluation_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)
    grid_code: Mapped[str] = mapped_column(String(32), nullable=False)
    unit_path: Mapped[str] = mapped_column(String(400), nullable=False)  # the grid's path, for scope
    indicator: Mapped[str] = mapped_column(String(64), nullable=False)
    aspect: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    negative: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    origin: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    automated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    proposer: Mapped[str] = mapped_column(String(128), nullable=False)
    approvals: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    quorum: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    severity: Mapped[str | None] = mapped_column(String(16))
    deed_date: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    witnesses: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    record_evidence: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    interface: Mapped[str | None] = mapped_column(String(64))
    source_ref: Mapped[str | None] = mapped_column(String(200))
    policy_version: Mapped[str] = mapped_column(String(64), nullable=False)
    effective_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    posted_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    state_since: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_evaluation_item_state_unit_path", "state", "unit_path"),
        # A resident's items (their pages, submissions per day) and, covering, what the caps of an import
        # batch are checked against (``repository.used_by_day``: no row is read from the table). Every
        # imported record inserts into each index keyed by resident at a random place, so there is one.
        Index("ix_evaluation_item_resident_caps", "resident_id", "indicator", "deed_date", "state", "points"),
        # A department record enters the path once, however often the feed re-sends it.
        UniqueConstraint("interface", "source_ref", name="uq_evaluation_item_interface_source_ref"),
    )


class EvaluationVote(Base):
    """One voice in grid mutual evaluation (one per person per item)."""

    __tablename__ = "evaluation_vote"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("evaluation_item.id"), nullable=False)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)  # the deed's resident
    voter: Mapped[str] = mapped_column(String(128), nullable=False)
    voter_resident_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    confirm: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        UniqueConstraint("item_id", "voter", name="uq_evaluation_vote_item_id_voter"),
        Index("ix_evaluation_vote_voter_at", "voter", "at"),  # confirmations per day
        Index(
            "ix_evaluation_vote_voter_resident_id_resident_id", "voter_resident_id", "resident_id"
        ),  # rings
    )


_HAS_OBJECTION = text("objection_id IS NOT NULL")  # the partial index of objection trails


class EvaluationEvent(Base):
    """Every step, kept: who did what to which item or objection, when and why."""

    __tablename__ = "evaluation_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_item.id"))
    objection_id: Mapped[int | None] = mapped_column(ForeignKey("objection.id"))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    actor: Mapped[str] = mapped_column(String(128), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_evaluation_event_item_id", "item_id"),
        # The trail of an objection (``repository.events``); most events have none.
        Index(
            "ix_evaluation_event_objection_id",
            "objection_id",
            sqlite_where=_HAS_OBJECTION,
            postgresql_where=_HAS_OBJECTION,
        ),
    )


class EvidenceFile(Base):
    """A photo or PDF kept under ``files_dir`` by its SHA-256; the row links it to an item."""

    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("evaluation_item.id"), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    media_type: Mapped[str] = mapped_column(String(40), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    filename: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    uploaded_by: Mapped[str] = mapped_column(String(128), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (Index("ix_evidence_file_item_id", "item_id"),)


class Objection(Base):
    """An objection, a request for human review, a refusal of an automated decision, or a credit repair."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_item.id"))
    ledger_seq: Mapped[int | None] = mapped_column(Integer)
    unit_path: Mapped[str] = mapped_column(String(400), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    prior_state: Mapped[str | None] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # marked disputed
    mark_due: Mapped[date] = mapped_column(Date, nullable=False)
    decide_due: Mapped[date] = mapped_column(Date, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decision_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    outcome_seq: Mapped[int | None] = mapped_column(Integer)  # the reversing ledger entry

    __table_args__ = (
        Index("ix_objection_state_unit_path", "state", "unit_path"),
        Index("ix_objection_resident_id", "resident_id"),
    )


class RingFlag(Base):
    """A reciprocal confirmation ring found in a village, shown to its officer with the deeds."""

    __tablename__ = "ring_flag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    resident_id: Mapped[str] = mapped_column(String(32), nullable=False)  # the ring's first member
    village_path: Mapped[str] = mapped_column(String(400), nullable=False)
    members_key: Mapped[str] = mapped_column(String(400), nullable=False, unique=True)
    members: Mapped[list] = mapped_column(JSON, nullable=False)
    evidence: Mapped[list] = mapped_column(JSON, nullable=False)  # [[confirmer, owner, [deed ids]], ...]
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
