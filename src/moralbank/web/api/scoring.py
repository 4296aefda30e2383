"""Scoring API: a resident's own score, a portrait for staff in scope (access-logged), recompute."""

from __future__ import annotations

import asyncio
import json
from datetime import date

from fastapi import Depends, Request
from fastapi.responses import Response

from moralbank.audit import service as audit
from moralbank.auth.domain import Principal, Role
from moralbank.bootstrap import Container
from moralbank.db.uow import UnitOfWork
from moralbank.scoring import portraits, service
from moralbank.web import singleflight
from moralbank.web.app import language_of
from moralbank.web.deps import SIGNED_IN_OPENAPI, declares, get_uow, read, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/scoring", tags=["scoring"])

STAFF = require_roles(
    Role.GRID_WORKER,
    Role.VILLAGE_OFFICER,
    Role.TOWNSHIP_OFFICER,
    Role.CITY_ADMIN,
    Role.AUDITOR,
    resident="resident_id",
    purpose="moral portrait",
    own_unit_of_work=True,
)


def portrait_json(p: service.Portrait) -> dict:
    m, s = p.model, p.score
    return {
        "resident_id": p.resident_id,
        "as_of": s.as_of.isoformat(),
        "policy_version": m.policy_version,
        "total": s.total,
        "tier": s.tier,
        "scale": {"min": m.min, "max": m.max},
        "aspects": [
            {
                "code": a.code,
                "name_zh": a.name_zh,
                "name_en": a.name_en,
                "points": v,
                "max_points": a.max_points,
            }
            for a, v in zip(m.aspects, s.aspects, strict=True)
        ],
        "reasons": list(p.explanation.reasons),
        "raise_by": [
            {
                "indicator": d.code,
                "aspect": d.aspect,
                "name_zh": d.name_zh,
                "name_en": d.name_en,
                "points": d.points,
            }
            for d in p.explanation.raise_by
        ],
        "entries": [
            {
                "seq": li.entry.seq,
                "indicator": li.entry.indicator,
                "aspect": li.entry.aspect,
                "points": li.entry.points,
                "deed_date": li.entry.deed_date.isoformat(),
                "source": li.entry.source,
                "reason": li.entry.reason,
                "evidence": list(li.entry.evidence),
                "status": str(li.status),
                "counts_until": li.effect_end.isoformat(),
            }
            for li in p.explanation.lines
        ],
        "history": [{"as_of": d.isoformat(), "total": t} for d, t in p.history],
        "percentiles": p.percentiles,
        "record": None
        if p.record is None
        else {
            "total": p.record.total,
            "tier": p.record.tier,
            "as_of": p.record.as_of.isoformat(),
            "policy_version": p.record.policy_version,
            "ledger_seq": p.record.ledger_seq,
            "run_id": p.record.run_id,
        },
    }


def render(p: service.Portrait) -> bytes:
    """The portrait's JSON as FastAPI's JSONResponse writes it."""
    return json.dumps(
        portrait_json(p), ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode()


def _build(container: Container, resident_id: str, principal: Principal, lang: str) -> bytes:
    # Never committed: a staff principal's access-log row made in here is dropped; the route writes
    # its own for every request, hit or miss.
    with container.uow(write=False) as uow:
        return render(service.portrait(uow, resident_id=resident_id, principal=principal, lang=lang))


async def _portrait(request: Request, resident_id: str, principal: Principal) -> bytes:
    """The rendered portrait, kept per resident and language and reused while its inputs are unchanged
    (``scoring.portraits``: one short read per request, on the event loop on SQLite); built in the
    threadpool when they changed, once for concurrent requests."""
    container = request.app.state.container
    lang = language_of(request)
    cache = portraits.of(container)
    stamp = await read(container, cache.stamp, resident_id)
    body = cache.get(resident_id, lang, stamp)
    if body is None:
        body = await singleflight.of(container).run(
            ("portrait", resident_id, lang, stamp), _build, container, resident_id, principal, lang
        )
        cache.put(resident_id, lang, stamp, body)
    return body


RESIDENT = require_roles(Role.RESIDENT)


@router.get("/me", response_model=dict, openapi_extra=SIGNED_IN_OPENAPI)
@declares(RESIDENT)
async def my_portrait(request: Request) -> Response:
    """The signed-in resident's score, reasons, entries and percentiles.

    A resident's own reads are not access-logged. The role check is awaited here rather than taken as
    a dependency (``declares``): the most-read page of the programme is served by a plain Starlette
    route, without FastAPI's routing and injection."""
    principal = await RESIDENT(request)
    body = await _portrait(request, principal.resident_id or "", principal)
    return Response(body, media_type="application/json")


@router.get("/residents/{resident_id}/portrait", response_model=dict)
async def resident_portrait(
    request: Request,
    resident_id: str,
    principal: Principal = Depends(STAFF),
) -> Response:
    """A resident's portrait for staff whose organisation subtree holds them; the read is logged.

    The scope check runs per request (in the threadpool, its own read unit of work); the access-log
    row is committed (group commit, ``db.group_commit``) before the response is sent."""
    container = request.app.state.container
    body = await _portrait(request, resident_id, principal)
    row = audit.access_row(
        principal=principal,
        resident_id=resident_id,
        what="scoring.portrait",
        why="moral portrait",
        at=container.clock.now(),
        route=f"{request.method} {request.url.path}",
    )
    if row is not None:
        await asyncio.wrap_future(container.appender.submit([row]))
    return Response(body, media_type="application/json")


@router.post("/recompute")
def recompute(
    full: bool = False,
    as_of: date | None = None,
    principal: Principal = Depends(require_roles(Role.CITY_ADMIN)),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """Run a recompute now (incremental unless ``full``)."""
    s = service.recompute(uow, full=full, as_of=as_of)
    uow.commit()
    return {
        "run_id": s.run_id,
        "full": s.full,
        "as_of": s.as_of.isoformat(),
        "policy_version": s.policy_version,
        "ledger_seq": s.ledger_seq,
        "residents": s.residents,
        "changed": s.changed,
        "dropped": len(s.dropped),
    }
