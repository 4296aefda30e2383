"""Residents pages. Staff: list/search within their subtree, a resident's record, correction
requests. A resident: their own page (/me) with profile, consents, data download, correction
request and withdrawal."""

from __future__ import annotations

import json
import re

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from moralbank.auth.domain import OFFICERS, STAFF, Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput
from moralbank.kernel.ids import CROCKFORD
from moralbank.residents import domain, service
from moralbank.web.app import render
from moralbank.web.deps import get_uow, require_roles

router = APIRouter(include_in_schema=False)

STAFF_READ = require_roles(*STAFF)
OFFICER = require_roles(*OFFICERS)
RESIDENT = require_roles(Role.RESIDENT)
PAGE = 50


RESIDENT_ID = re.compile(f"R[{CROCKFORD}]{{12}}")


@router.get("/residents")
def list_page(
    request: Request,
    q: str | None = Query(None, description="A name (prefix), an ID number or a resident id."),
    name: str | None = None,
    grid: str | None = None,
    id_number: str | None = None,
    page: int = Query(1, ge=1),
    principal: Principal = Depends(STAFF_READ),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    error = None
    found: list = []
    q = (q or "").strip()
    if q.lower().startswith("resident:"):  # as item trails and the access log write a resident
        q = q[len("resident:") :].strip()
    if RESIDENT_ID.fullmatch(q.upper()):  # a resident id (item trails and ring flags name residents so)
        return RedirectResponse(f"/residents/{q.upper()}", status_code=303)
    if q:  # one box: 18 characters of digits (and X) is an ID number, anything else a name
        if len(q) == 18 and q[:17].isdigit():
            id_number = q
        else:
            name = q
    try:
        found = service.search(
            uow,
            principal=principal,
            purpose="居民名单查询",
            name=name,
            grid=grid or None,
            id_number=id_number or None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
        uow.commit()  # the access log entries
    except InvalidInput as e:
        error = str(e.problems[0].reason)
    return render(
        request,
        "residents/list.html",
        {
            "found": found,
            "q": {"q": q, "name": name or "", "grid": grid or "", "id_number": id_number or ""},
            "page": page,
            "more": len(found) == PAGE,
            "error": error,
        },
    )


@router.get("/residents/corrections")
def corrections_page(
    request: Request,
    status: str = "open",
    principal: Principal = Depends(STAFF_READ),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    rows = service.corrections(uow, principal=principal, status=None if status == "all" else status)
    uow.commit()  # the access log entries
    return render(
        request,
        "residents/corrections.html",
        {"rows": rows, "status": status, "can_decide": principal.role in OFFICERS},
    )


@router.post("/residents/corrections/{request_id}")
def decide_correction(
    request_id: int,
    accept: bool = Form(...),
    note: str = Form(""),
    principal: Principal = Depends(OFFICER),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    service.decide_correction(uow, request_id=request_id, principal=principal, accept=accept, note=note)
    uow.commit()
    return RedirectResponse("/residents/corrections", status_code=303)


@router.get("/residents/{resident_id}")
def detail_page(
    request: Request,
    resident_id: str,
    principal: Principal = Depends(require_roles(*STAFF, resident="resident_id")),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    profile = service.get(uow, resident_id=resident_id, principal=principal, purpose="查看居民档案")
    ctx = {
        "r": profile,
        "history": service.history(uow, resident_id=resident_id, principal=principal),
        "consents": service.consent_history(uow, resident_id=resident_id, principal=principal),
        "corrections": service.corrections(uow, principal=principal, resident_id=resident_id),
        "members": sorted(service.household_members(uow, resident_id=resident_id) - {resident_id}),
        "catalogue": service.consent_catalogue(),
    }
    uow.commit()
    return render(request, "residents/detail.html", ctx)


# -- the resident's own page ----------------------------------------------------------------------


def _rid(principal: Principal) -> str:
    return principal.resident_id or ""


def _my_page(
    request: Request, uow: UnitOfWork, principal: Principal, *, status_code: int = 200, **extra: object
) -> Response:
    """The resident's own page; ``extra``: ``done`` (what was saved), or ``error`` with ``form`` (a
    refused form shown again with what was typed)."""
    rid = _rid(principal)
    current = service.consents(uow, resident_id=rid, principal=principal)
    context = {
        "r": service.get(uow, resident_id=rid, principal=principal, purpose="本人查看"),
        "catalogue": service.consent_catalogue(),
        "current": current,
        "history": service.consent_history(uow, resident_id=rid, principal=principal)[::-1],
        "corrections": service.corrections(uow, principal=principal, resident_id=rid),
        "fields": domain.CORRECTABLE,
        "done": None,
        "error": None,
        "form": {},
        **extra,
    }
    return render(request, "residents/me.html", context, status_code=status_code)


@router.get("/me")
def my_page(
    request: Request,
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
    done: str | None = None,
) -> Response:
    return _my_page(request, uow, principal, done=done)


@router.post("/me/consents")
def my_consent(
    kind: str = Form(...),
    subject: str = Form(...),
    granted: bool = Form(...),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    if kind not in domain.CONSENT_KINDS:
        raise InvalidInput("unknown consent kind")
    if granted:
        service.grant_consent(
            uow,
            resident_id=_rid(principal),
            principal=principal,
            text_version=CONSENT_TEXT,
            **{kind: subject},
        )
    else:
        service.revoke_consent(uow, resident_id=_rid(principal), principal=principal, **{kind: subject})
    uow.commit()
    return RedirectResponse("/me?done=consent#consents", status_code=303)


CONSENT_TEXT = "web-2026.1"
"""The version of the consent wording shown on /me (kept in each consent record)."""


@router.get("/me/export.json")
def my_export(principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)) -> Response:
    data = service.export(uow, resident_id=_rid(principal), principal=principal)
    uow.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="moralbank-{_rid(principal)}.json"'},
    )


def _json_default(o: object) -> object:
    if hasattr(o, "isoformat"):
        return o.isoformat()  # type: ignore[attr-defined]
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    if isinstance(o, bytes):
        return o.hex()
    raise TypeError(type(o).__name__)


@router.post("/me/corrections")
def my_correction(
    request: Request,
    field: str = Form(""),
    value: str = Form(""),
    reason: str = Form(""),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    typed = {"field": field, "value": value, "reason": reason}
    try:
        service.request_correction(
            uow, resident_id=_rid(principal), principal=principal, field=field, value=value, reason=reason
        )
    except InvalidInput as e:
        uow.db.rollback()  # drop what the refused attempt wrote before the page is read again
        return _my_page(request, uow, principal, status_code=422, error=str(e), form=typed)
    uow.commit()
    return RedirectResponse("/me?done=correction#corrections", status_code=303)


@router.post("/me/withdraw")
def my_withdrawal(
    request: Request,
    confirm: bool = Form(False),
    reason: str = Form(""),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    if not confirm:
        error = str(InvalidInput("tick the box to confirm the withdrawal"))
        typed = {"withdraw_reason": reason}
        return _my_page(request, uow, principal, status_code=422, error=error, form=typed)
    service.withdraw(uow, resident_id=_rid(principal), principal=principal, reason=reason)
    uow.commit()
    response = RedirectResponse("/?withdrawn=1", status_code=303)
    response.delete_cookie("mb_session")
    return response
