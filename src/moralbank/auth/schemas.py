"""Request/response models of the auth and audit API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from moralbank.auth.domain import Principal


class PrincipalOut(BaseModel):
    actor: str
    kind: str
    role: str
    display_name: str
    unit_code: str | None
    resident_id: str | None
    scopes: list[str]

    @classmethod
    def of(cls, p: Principal) -> PrincipalOut:
        return cls(
            actor=p.actor,
            kind=p.kind,
            role=p.role.value,
            display_name=p.display_name,
            unit_code=p.unit_code,
            resident_id=p.resident_id,
            scopes=sorted(p.scopes),
        )


class StaffUserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    unit_code: str | None
    scopes: list[str]
    active: bool
    created_at: datetime


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    scopes: list[str]
    unit_code: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None


class AccessRecordOut(BaseModel):
    at: datetime
    actor: str
    actor_name: str
    role: str
    resident_id: str
    what: str
    why: str
    route: str | None
