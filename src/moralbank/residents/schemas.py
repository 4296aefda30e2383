"""What the residents capability hands out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class ResidentSummary:
    """A row of a staff list: no ID number, the name in full (the read is logged)."""

    id: str
    name: str
    grid: str
    household_id: str | None
    sex: str | None
    birth_year: int | None
    status: str
    enrolled_at: datetime


@dataclass(frozen=True)
class ResidentOut:
    """One resident's profile. ``id_number_masked`` hides the birth date; the full number is only in
    the resident's own export."""

    id: str
    name: str
    grid: str
    grid_path: str
    household_id: str | None
    birth_date: date | None
    sex: str | None
    id_number_masked: str
    phone_masked: str | None
    guardian_name: str | None
    guardian_relation: str | None
    consent_text_version: str
    enrolled_at: datetime
    enrolled_by: str
    status: str
    withdrawn_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConsentOut:
    kind: str
    subject: str
    granted: bool
    text_version: str
    actor: str
    at: datetime
    note: str


@dataclass(frozen=True)
class CorrectionOut:
    id: int
    resident_id: str
    field: str
    requested_value: str
    reason: str
    status: str
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str


@dataclass
class ImportReport:
    """What an import did: counts, and every bad row with row, field and reason."""

    file: str
    enrolled: int = 0
    unchanged: int = 0
    households_created: int = 0
    problems: list[Any] = field(default_factory=list)  # errors.Problem
    seconds: float = 0.0

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "enrolled": self.enrolled,
            "unchanged": self.unchanged,
            "households_created": self.households_created,
            "rejected_rows": self.rejected_rows,
            "problems": [{"row": p.row, "field": p.field, "reason": p.reason} for p in self.problems],
            "seconds": round(self.seconds, 3),
        }
