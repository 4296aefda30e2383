"""Who is acting: roles and the principal. Pure rules, stdlib only."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    CITY_ADMIN = "city_admin"
    TOWNSHIP_OFFICER = "township_officer"
    VILLAGE_OFFICER = "village_officer"
    GRID_WORKER = "grid_worker"
    AUDITOR = "auditor"
    RESIDENT = "resident"
    PROVIDER_STAFF = "provider_staff"
    BANK_STAFF = "bank_staff"
    DEPARTMENT_FEED = "department_feed"


STAFF_ROLES = frozenset({Role.CITY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER, Role.GRID_WORKER,
                         Role.AUDITOR})
PARTNER_ROLES = frozenset({Role.PROVIDER_STAFF, Role.BANK_STAFF, Role.DEPARTMENT_FEED})


@dataclass(frozen=True)
class Principal:
    """The authenticated actor of a request or command.

    ``unit_path`` is the materialised path of the organisation unit the actor is scoped to
    (``/330281/330281001/``); ``resident_id`` is set for residents; ``scopes`` for API tokens.
    """

    kind: str  # "user" | "resident" | "token" | "system"
    id: str
    role: Role
    display_name: str = ""
    unit_code: str | None = None
    unit_path: str | None = None
    resident_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """How the ledger and audit trail name this actor: ``user:42``, ``resident:R…``, ``token:7``."""
        return f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def covers(self, unit_path: str | None) -> bool:
        """Whether a unit (by materialised path) lies in this principal's organisation subtree."""
        if self.role in (Role.CITY_ADMIN, Role.AUDITOR) and self.unit_path is None:
            return True
        return bool(unit_path and self.unit_path and unit_path.startswith(self.unit_path))


SYSTEM = Principal(kind="system", id="moralbank", role=Role.CITY_ADMIN, display_name="system")
