"""Staff pages of the data interfaces: health per interface, the quarantine (fix, discard, reprocess);
and the resident's own view of which department data is used about them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import MoralbankError
from moralbank.feeds import domain, service
from moralbank.web.app import render
from moralbank.web.deps import get_uow, require_roles

router = APIRouter(include_in_schema=False)
WATCHERS = require_roles(Role.CITY_ADMIN, Role.AUDITOR)
FIXERS = require_roles(Role.CITY_ADMIN)
RESIDENT = require_roles(Role.RESIDENT)


def _bars(series: list[dict], width: int = 240, height: int = 40) -> str:
    """A tiny inline SVG of daily volumes (accepted in green over received in grey)."""
    if not series:
        return ""
    top = max(s["received"] for s in series) or 1
    w = width / len(series)
    parts = []
    for i, s in enumerate(series):
        h_all = height * s["received"] / top
        h_ok = height * s["accepted"] / top
        parts.append(
            f'<rect x="{i * w:.1f}" y="{height - h_all:.1f}" width="{max(w - 1, 1):.1f}" '
            f'height="{h_all:.1f}" fill="#c8ccd0"/>'
        )
        parts.append(
            f'<rect x="{i * w:.1f}" y="{height - h_ok:.1f}" width="{max(w - 1, 1):.1f}" '
            f'height="{h_ok:.1f}" fill="#1b7f3b"/>'
        )
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="volumes">{"".join(parts)}</svg>'
    )


@router.get("/staff/feeds")
def health_page(
    request: Request, _: Principal = Depends(WATCHERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    rows = service.health(uow)
    for r in rows:
        r["chart"] = _bars(service.health_series(uow, interface=r["interface"], days=30))
    return render(
        request, "feeds/health.html", {"rows": rows, "imports": service.recent_imports(uow, limit=20)}
    )


@router.get("/staff/feeds/quarantine")
def quarantine_page(
    request: Request,
    interface: str | None = Query(None),
    reason: str | None = Query(None),
    status: str = Query("pending"),
    msg: str | None = Query(None),
    principal: Principal = Depends(WATCHERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    rows = service.quarantine_list(
        uow,
        interface=interface or None,
        reason=reason or None,
        status=None if status == "all" else status,
        limit=200,
    )
    for r in rows:
        iface = service.get_interface(r["interface"])
        r["fields"] = list(iface.field_names)
    return render(
        request,
        "feeds/quarantine.html",
        {
            "rows": rows,
            "interfaces": service.list_interfaces(),
            "reasons": domain.REASONS,
            "interface": interface or "",
            "reason": reason or "",
            "status": status,
            "msg": msg,
            "can_fix": principal.role == Role.CITY_ADMIN,
        },
    )


def _back(request: Request, msg: str) -> Response:
    from urllib.parse import quote

    return RedirectResponse(f"/staff/feeds/quarantine?msg={quote(msg)}", status_code=303)


@router.post("/staff/feeds/quarantine/{qid}/fix")
async def fix(
    qid: int, request: Request, principal: Principal = Depends(FIXERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    form = await request.form()
    values = {k[2:]: str(v) for k, v in form.items() if k.startswith("f_")}
    try:
        service.quarantine_fix(uow, quarantine_id=qid, values=values, actor=principal.actor)
        uow.commit()
    except MoralbankError as e:
        return _back(request, f"#{qid}: {e}")
    return _back(request, f"#{qid} 已修正，待重新处理")


@router.post("/staff/feeds/quarantine/{qid}/discard")
def discard(
    qid: int,
    request: Request,
    reason: str = Form(""),
    principal: Principal = Depends(FIXERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    try:
        service.quarantine_discard(uow, quarantine_id=qid, actor=principal.actor, reason=reason)
        uow.commit()
    except MoralbankError as e:
        return _back(request, f"#{qid}: {e}")
    return _back(request, f"#{qid} 已作废")


@router.post("/staff/feeds/quarantine/reprocess")
def reprocess(
    request: Request,
    interface: str = Form(""),
    principal: Principal = Depends(FIXERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    counts = service.quarantine_reprocess(uow, actor=principal.actor, interface=interface or None)
    uow.commit()
    return _back(
        request,
        f"重新处理 {counts.received} 行：入库 {counts.accepted}，"
        f"仍隔离 {counts.quarantined}，待授权 {counts.held_for_consent}，重复 {counts.duplicates}",
    )


@router.get("/me/data-interfaces")
def my_interfaces(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """Which department data is used about me, which is held because I have not (or no longer)
    consented — the resident's view of their consents to data interfaces."""
    lines = service.consent_lines(uow, resident_id=str(principal.resident_id))
    return render(request, "feeds/my_interfaces.html", {"lines": lines})
