"""Evaluation API: deeds, grid mutual evaluation, village review, deductions, objections, repair,
rings, deadlines and the resident's inbox (docs/evaluation.md)."""

from __future__ import annotations

from datetime import date

from fastapi import Depends, File, Form, UploadFile
from fastapi.responses import Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.evaluation import files as evidence_files
from moralbank.evaluation import schemas as s
from moralbank.evaluation import service as ev
from moralbank.notify import service as notify
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/evaluation", tags=["evaluation"])

R = Role
RESIDENT = require_roles(R.RESIDENT)
SUBMITTERS = require_roles(R.RESIDENT, R.GRID_WORKER)
OFFICERS = require_roles(R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN)
STAFF_READ = require_roles(R.GRID_WORKER, R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN, R.AUDITOR)
ANY_READER = require_roles(
    R.RESIDENT, R.GRID_WORKER, R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN, R.AUDITOR
)
OVERSIGHT = require_roles(R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN, R.AUDITOR)
AUDIT_WRITE = require_roles(R.TOWNSHIP_OFFICER, R.CITY_ADMIN)


def uploads_of(files: list[UploadFile]) -> list[ev.Upload]:
    """Read uploads, never more than the size limit plus one byte (so an oversized file is refused)."""
    return [
        ev.Upload(f.filename or "", f.file.read(evidence_files.MAX_BYTES + 1)) for f in files if f.filename
    ]


def _trail(uow: UnitOfWork, principal: Principal, item_id: int) -> s.TrailOut:
    t = ev.trail(uow, principal=principal, item_id=item_id)
    return s.TrailOut(
        item=s.ItemOut.model_validate(t.item),
        indicator_name=t.indicator_name,
        basis=t.basis,
        votes=[s.VoteOut.model_validate(v) for v in t.votes],
        files=[s.FileOut.model_validate(f) for f in t.files],
        events=[s.EventOut.model_validate(e) for e in t.events],
        objections=[s.ObjectionOut.model_validate(o) for o in t.objections],
    )


@router.post("/deeds", status_code=201)
def submit_deed(
    indicator: str = Form(...),
    deed_date: date = Form(...),
    description: str = Form(...),
    resident_id: str | None = Form(None),
    witnesses: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(SUBMITTERS),
    uow: UnitOfWork = Depends(get_uow),
) -> s.ItemOut:
    """A resident's self-evaluation, or a grid worker's assisted entry (give ``resident_id``)."""
    row = ev.submit(
        uow,
        principal=principal,
        indicator=indicator,
        deed_date=deed_date,
        description=description,
        resident_id=resident_id,
        uploads=uploads_of(files),
        witnesses=[w for w in witnesses.splitlines() if w.strip()],
    )
    out = s.ItemOut.model_validate(row)
    uow.commit()
    return out


@router.get("/items/{item_id}")
def get_item(
    item_id: int, principal: Principal = Depends(ANY_READER), uow: UnitOfWork = Depends(get_uow)
) -> s.TrailOut:
    out = _trail(uow, principal, item_id)
    uow.commit()  # the access log entry
    return out


@router.get("/residents/{resident_id}/items")
def items_of(
    resident_id: str,
    principal: Principal = Depends(
        require_roles(
            R.RESIDENT,
            R.GRID_WORKER,
            R.VILLAGE_OFFICER,
            R.TOWNSHIP_OFFICER,
            R.CITY_ADMIN,
            R.AUDITOR,
            resident="resident_id",
        )
    ),
    uow: UnitOfWork = Depends(get_uow),
) -> list[s.ItemOut]:
    out = [
        s.ItemOut.model_validate(r) for r in ev.items_of(uow, principal=principal, resident_id=resident_id)
    ]
    uow.commit()  # the access log entries
    return out


def _act(uow: UnitOfWork, principal: Principal, item_id: int, fn, **kw) -> s.TrailOut:  # noqa: ANN001
    fn(uow, principal=principal, item_id=item_id, **kw)
    out = _trail(uow, principal, item_id)
    uow.commit()
    return out


@router.post("/items/{item_id}/votes")
def vote(
    item_id: int,
    body: s.VoteIn,
    principal: Principal = Depends(SUBMITTERS),
    uow: UnitOfWork = Depends(get_uow),
) -> s.ItemOut:
    row = ev.vote(uow, principal=principal, item_id=item_id, confirm=body.confirm, reason=body.reason)
    out = s.ItemOut.model_validate(row)
    uow.commit()
    return out


@router.post("/items/{item_id}/approve")
def approve(
    item_id: int,
    body: s.ApproveIn,
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> s.TrailOut:
    return _act(uow, principal, item_id, ev.approve, points=body.points)


@router.post("/items/{item_id}/reject")
def reject(
    item_id: int,
    body: s.ReasonIn,
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> s.TrailOut:
    return _act(uow, principal, item_id, ev.reject, reason=body.reason)


@router.post("/items/{item_id}/reopen")
def reopen(
    item_id: int,
    body: s.ReasonIn,
    principal: Principal = Depends(AUDIT_WRITE),
    uow: UnitOfWork = Depends(get_uow),
) -> s.TrailOut:
    return _act(uow, principal, item_id, ev.reopen, reason=body.reason)


@router.post("/items/{item_id}/withdraw")
def withdraw(
    item_id: int,
    body: s.ReasonIn,
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> s.TrailOut:
    return _act(uow, principal, item_id, ev.withdraw, reason=body.reason)


@router.post("/items/{item_id}/refuse")
def refuse(
    item_id: int,
    body: s.ReasonIn,
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> s.ObjectionOut:
    """Refuse a decision made by automation alone (PIPL Art. 24): its points are reversed."""
    obj = ev.refuse_automated(uow, principal=principal, item_id=item_id, statement=body.reason)
    out = s.ObjectionOut.model_validate(obj)
    uow.commit()
    return out


@router.post("/bulk")
def bulk(
    body: s.BulkIn, principal: Principal = Depends(OFFICERS), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    result = ev.bulk_review(
        uow, principal=principal, item_ids=body.item_ids, decision=body.decision, reason=body.reason
    )
    uow.commit()
    return {"done": result.done, "failed": {str(k): v for k, v in result.failed.items()}}


@router.post("/deductions", status_code=201)
def propose_deduction(
    resident_id: str = Form(...),
    indicator: str = Form(...),
    points: int = Form(...),
    deed_date: date = Form(...),
    description: str = Form(...),
    severity: str | None = Form(None),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(
        require_roles(R.GRID_WORKER, R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN)
    ),
    uow: UnitOfWork = Depends(get_uow),
) -> s.ItemOut:
    row = ev.propose_deduction(
        uow,
        principal=principal,
        resident_id=resident_id,
        indicator=indicator,
        points=points,
        deed_date=deed_date,
        description=description,
        uploads=uploads_of(files),
        severity=severity or None,
    )
    out = s.ItemOut.model_validate(row)
    uow.commit()
    return out


@router.get("/confirmations")
def pending_confirmations(
    principal: Principal = Depends(SUBMITTERS), uow: UnitOfWork = Depends(get_uow)
) -> list[s.ItemOut]:
    out = [s.ItemOut.model_validate(r) for r in ev.pending_confirmations(uow, principal=principal)]
    uow.commit()  # the access log entries
    return out


@router.get("/queue")
def review_queue(
    principal: Principal = Depends(OFFICERS), uow: UnitOfWork = Depends(get_uow)
) -> list[s.ItemOut]:
    rows = ev.review_queue(uow, principal=principal)
    out = [s.ItemOut.model_validate(r) for r in rows]
    uow.commit()  # the queue posts deductions whose objection window has passed
    return out


@router.get("/overdue")
def overdue(principal: Principal = Depends(OVERSIGHT), uow: UnitOfWork = Depends(get_uow)) -> dict:
    o = ev.overdue(uow, principal=principal)
    out = {
        "items": [s.ItemOut.model_validate(r).model_dump(mode="json") for r in o.items],
        "objections": [s.ObjectionOut.model_validate(x).model_dump(mode="json") for x in o.objections],
    }
    uow.commit()  # the access log entries
    return out


@router.get("/rings")
def rings(principal: Principal = Depends(OVERSIGHT), uow: UnitOfWork = Depends(get_uow)) -> list[s.RingOut]:
    return [s.RingOut.model_validate(f) for f in ev.ring_flags(uow, principal=principal)]


@router.post("/rings/{flag_id}")
def review_ring(
    flag_id: int,
    body: s.RingReviewIn,
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> s.RingOut:
    out = s.RingOut.model_validate(
        ev.review_ring(uow, principal=principal, flag_id=flag_id, status=body.status, note=body.note)
    )
    uow.commit()
    return out


@router.post("/objections", status_code=201)
def object_to(
    body: s.ObjectionIn, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> s.ObjectionOut:
    """Object to an item or ledger entry (``kind=human_review`` asks a person to review an automated one)."""
    obj = ev.object_to(
        uow,
        principal=principal,
        statement=body.statement,
        item_id=body.item_id,
        ledger_seq=body.ledger_seq,
        kind=body.kind,
    )
    out = s.ObjectionOut.model_validate(obj)
    uow.commit()
    return out


@router.post("/repairs", status_code=201)
def apply_repair(
    body: s.RepairIn, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> s.ObjectionOut:
    obj = ev.apply_repair(uow, principal=principal, ledger_seq=body.ledger_seq, commitment=body.commitment)
    out = s.ObjectionOut.model_validate(obj)
    uow.commit()
    return out


@router.get("/objections")
def objections_due(
    principal: Principal = Depends(OVERSIGHT), uow: UnitOfWork = Depends(get_uow)
) -> list[s.ObjectionOut]:
    out = [s.ObjectionOut.model_validate(o) for o in ev.objections_due(uow, principal=principal)]
    uow.commit()  # the access log entries
    return out


@router.post("/objections/{objection_id}/decision")
def decide(
    objection_id: int,
    body: s.DecideIn,
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> s.ObjectionOut:
    obj = ev.decide_objection(
        uow, principal=principal, objection_id=objection_id, upheld=body.upheld, reason=body.reason
    )
    out = s.ObjectionOut.model_validate(obj)
    uow.commit()
    return out


@router.get("/files/{sha256}")
def evidence_file(
    sha256: str, principal: Principal = Depends(ANY_READER), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    meta, data = ev.evidence(uow, principal=principal, sha256=sha256)
    uow.commit()  # the access log entry
    return Response(
        data,
        media_type=meta.media_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/inbox")
def inbox(principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)) -> list[s.InboxOut]:
    return [s.InboxOut.model_validate(m) for m in notify.inbox(uow, resident_id=principal.resident_id or "")]


@router.post("/inbox/read")
def inbox_read(principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)) -> dict:
    n = notify.mark_read(uow, resident_id=principal.resident_id or "")
    uow.commit()
    return {"marked": n}
