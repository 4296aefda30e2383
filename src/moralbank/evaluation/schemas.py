"""Request and response shapes of the evaluation API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resident_id: str
    grid_code: str
    indicator: str
    aspect: str
    negative: bool
    origin: str
    state: str
    points: int
    automated: bool
    reason: str
    severity: str | None
    deed_date: date
    description: str
    witnesses: list[str]
    policy_version: str
    effective_on: date | None
    expires_on: date | None
    posted_seq: int | None
    due_on: date | None
    created_at: datetime


class VoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    voter: str
    confirm: bool
    reason: str
    at: datetime


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sha256: str
    media_type: str
    size: int
    filename: str


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    action: str
    actor: str
    reason: str
    data: dict[str, Any]
    at: datetime


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    resident_id: str
    kind: str
    state: str
    item_id: int | None
    ledger_seq: int | None
    statement: str
    opened_at: datetime
    marked_at: datetime | None
    mark_due: date
    decide_due: date
    decided_at: datetime | None
    decision_reason: str
    outcome_seq: int | None


class TrailOut(BaseModel):
    item: ItemOut
    indicator_name: str
    basis: str
    votes: list[VoteOut]
    files: list[FileOut]
    events: list[EventOut]
    objections: list[ObjectionOut]


class RingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    members: list[str]
    evidence: list[Any]
    status: str
    note: str
    created_at: datetime


class VoteIn(BaseModel):
    confirm: bool
    reason: str = ""


class ApproveIn(BaseModel):
    points: int | None = None


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1)


class BulkIn(BaseModel):
    item_ids: list[int]
    decision: str
    reason: str = ""


class ObjectionIn(BaseModel):
    statement: str
    item_id: int | None = None
    ledger_seq: int | None = None
    kind: str = "objection"


class DecideIn(BaseModel):
    upheld: bool
    reason: str


class RepairIn(BaseModel):
    ledger_seq: int
    commitment: str


class RingReviewIn(BaseModel):
    status: str
    note: str


class InboxOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject: str
    body: str
    ref: str | None
    created_at: datetime
    read_at: datetime | None
