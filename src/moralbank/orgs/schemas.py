"""What the organisation capability hands out: plain records for JSON, CLI and pages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class UnitOut:
    code: str
    name_zh: str
    name_en: str
    level: str
    parent: str | None
    path: str
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, u: Any) -> UnitOut:
        return cls(u.code, u.name_zh, u.name_en, u.level, u.parent_code, u.path, u.created_at, u.closed_at)

    def export(self) -> dict[str, Any]:
        """The public export shape other tools rely on (`moralbank org export --json`)."""
        return {
            "code": self.code,
            "name": self.name_zh,
            "name_en": self.name_en,
            "level": self.level,
            "parent": self.parent,
            "closed": self.closed_at is not None,
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EventOut:
    code: str
    kind: str
    old_value: str | None
    new_value: str | None
    actor: str
    at: datetime

    @classmethod
    def of(cls, e: Any) -> EventOut:
        return cls(e.code, e.kind, e.old_value, e.new_value, e.actor, e.at)


@dataclass
class ImportReport:
    """What an import did: counts, and every bad row with row, field and reason."""

    file: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Any] = field(default_factory=list)  # errors.Problem

    @property
    def rejected_rows(self) -> int:
        return len({p.row for p in self.problems})

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_rows,
            "problems": [{"row": p.row, "field": p.field, "reason": p.reason} for p in self.problems],
        }
