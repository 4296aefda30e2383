"""Residents API: staff search and enrol within their subtree; a resident reads their own data,
manages consent, downloads everything held about them, asks for corrections and may withdraw.

Scope is checked twice on purpose: by the route (``require_roles(..., resident=...)``) and inside
every service; each read of personal data is written to the access log with the stated purpose.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import Depends, File, Form, Query, UploadFile
from pydantic import BaseModel

from moralbank.auth.domain import OFFICERS, STAFF, Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.residents import domain, service
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/residents", tags=["residents"])

STAFF_READ = require_roles(*STAFF)
OFFICER = require_roles(*OFFICERS)
SELF_OR_STAFF = require_roles(*STAFF, Role.RESIDENT, resident="resident_id")
SELF_OR_OFFICER = require_roles(*OFFICERS, Role.RESIDENT, resident="resident_id")


class EnrolIn(BaseModel):
    name: str
    id_number: str
    grid: str
    consent_text_version: str
    phone: str | None = None
    household: str | None = None
    guardian_name: str | None = None
    guardian_id_number: str | None = None
    guardian_relation: str = ""


class ConsentIn(BaseModel):
    kind: Literal["interface", "purpose"]
    subject: str
    granted: bool
    text_version: str = ""


class CorrectionIn(BaseModel):
    field: str
    value: str
    reason: str = ""


class DecisionIn(BaseModel):
    accept: bool
    note: str = ""


class MoveIn(BaseModel):
    grid: str


class WithdrawIn(BaseModel):
    reason: str = ""


@router.get("")
def search(
    name: str | None = None,
    grid: str | None = Query(None, description="A unit: its subtree."),
    id_number: str | None = None,
    status: str | None = "enrolled",
    why: str = Query("staff search", description="Purpose of the read (access log)."),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(STAFF_READ),
    uow: UnitOfWork = Depends(get_uow),
) -> list[dict[str, Any]]:
    """Residents in the caller's subtree (name prefix, grid or unit, ID number)."""
    found = service.search(
        uow,
        principal=principal,
        purpose=why,
        name=name,
        grid=grid,
        id_number=id_number,
        status=status,
        limit=limit,
        offset=offset,
    )
    uow.commit()  # the access log entries
    return [r.__dict__ for r in found]


@router.post("", status_code=201)
def enrol(body: EnrolIn, principal: Principal = Depends(OFFICER), uow: UnitOfWork = Depends(get_uow)) -> dict:
    guardian = (
        domain.Guardian(body.guardian_name, body.guardian_id_number, body.guardian_relation)
        if body.guardian_name
        else None
    )
    rid = service.enrol(
        uow,
        principal=principal,
        name=body.name,
        id_number=body.id_number,
        grid=body.grid,
        consent_text_version=body.consent_text_version,
        phone=body.phone,
        household=body.household,
        guardian=guardian,
        source="web",
    )
    uow.commit()
    return {"id": rid}


@router.post("/import")
async def import_residents(
    file: UploadFile = File(...),
    consent_text_version: str = Form(...),
    principal: Principal = Depends(OFFICER),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """Enrol residents from CSV/XLSX; bad rows come back with row, field and reason."""
    data = await file.read(200_000_000)
    report = service.import_file(
        uow,
        source=data,
        filename=file.filename or "upload.csv",
        principal=principal,
        consent_text_version=consent_text_version,
    )
    uow.commit()
    return report.as_dict()


@router.get("/corrections")
def corrections(
    status: str | None = "open",
    principal: Principal = Depends(STAFF_READ),
    uow: UnitOfWork = Depends(get_uow),
) -> list[dict]:
    """Correction requests in the caller's subtree."""
    rows = [c.__dict__ for c in service.corrections(uow, principal=principal, status=status)]
    uow.commit()  # the access log entries
    return rows


@router.post("/corrections/{request_id}/decision")
def decide(
    request_id: int,
    body: DecisionIn,
    principal: Principal = Depends(OFFICER),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    out = service.decide_correction(
        uow, request_id=request_id, principal=principal, accept=body.accept, note=body.note
    )
    uow.commit()
    return out.__dict__


@router.get("/{resident_id}")
def get_resident(
    resident_id: str,
    why: str = Query("staff view", description="Purpose (access log)."),
    principal: Principal = Depends(SELF_OR_STAFF),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """A resident's profile (ID number masked). The read is logged."""
    out = service.get(uow, resident_id=resident_id, principal=principal, purpose=why).as_dict()
    uow.commit()
    return out


@router.get("/{resident_id}/consents")
def consents(
    resident_id: str, principal: Principal = Depends(SELF_OR_STAFF), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    """Current consent per interface/purpose, and the full history of consent acts."""
    history = service.consent_history(uow, resident_id=resident_id, principal=principal)
    current = domain.current_consents(
        [domain.ConsentRecord(c.kind, c.subject, c.granted, c.at, i) for i, c in enumerate(history)]
    )
    uow.commit()  # the access log entry
    return {
        "current": [{"kind": k, "subject": s, "granted": g} for (k, s), g in sorted(current.items())],
        "history": [c.__dict__ for c in history],
    }


@router.post("/{resident_id}/consents")
def record_consent(
    resident_id: str,
    body: ConsentIn,
    principal: Principal = Depends(SELF_OR_OFFICER),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """Grant or revoke one consent (a new record; nothing is overwritten)."""
    subject = {body.kind: body.subject}
    if body.granted:
        service.grant_consent(
            uow, resident_id=resident_id, principal=principal, text_version=body.text_version, **subject
        )
    else:
        service.revoke_consent(uow, resident_id=resident_id, principal=principal, **subject)
    uow.commit()
    return {"granted": service.has_consent(uow, resident_id=resident_id, **subject)}


@router.get("/{resident_id}/export")
def export(
    resident_id: str, principal: Principal = Depends(SELF_OR_STAFF), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    """Everything held about the resident (JSON)."""
    data = service.export(uow, resident_id=resident_id, principal=principal)
    uow.commit()
    return data


@router.post("/{resident_id}/corrections", status_code=201)
def request_correction(
    resident_id: str,
    body: CorrectionIn,
    principal: Principal = Depends(SELF_OR_OFFICER),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    out = service.request_correction(
        uow,
        resident_id=resident_id,
        principal=principal,
        field=body.field,
        value=body.value,
        reason=body.reason,
    )
    uow.commit()
    return out.__dict__


@router.post("/{resident_id}/grid")
def move_grid(
    resident_id: str,
    body: MoveIn,
    principal: Principal = Depends(require_roles(*OFFICERS, resident="resident_id")),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    service.move_grid(uow, resident_id=resident_id, grid=body.grid, principal=principal)
    uow.commit()
    return {"grid": body.grid}


@router.post("/{resident_id}/withdraw")
def withdraw(
    resident_id: str,
    body: WithdrawIn,
    principal: Principal = Depends(SELF_OR_OFFICER),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    service.withdraw(uow, resident_id=resident_id, principal=principal, reason=body.reason)
    uow.commit()
    return {"status": "withdrawn"}
