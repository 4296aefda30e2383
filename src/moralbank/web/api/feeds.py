"""``/api/feeds``: the HTTP push endpoint of each department, and interface health for the cockpit.

Push: ``POST /api/feeds/{interface}/records`` with

* ``Authorization: Bearer <token>`` — an API token of role ``department_feed`` with scope
  ``feeds:push:<interface>`` (or ``feeds:push:*``);
* ``X-Moralbank-Signature: sha256=<hex>`` — HMAC-SHA256 of the exact body under the interface's secret
  (``moralbank feeds secret <interface>``);
* ``Idempotency-Key: <1-128 characters>`` — the same key again returns the first answer, changing
  nothing; the same key with another body is refused (409);
* the body: JSON Lines (one record per line) or ``{"records": [...]}``.

The answer is the import's counts (received = accepted + duplicates + quarantined + held_for_consent).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput
from moralbank.feeds import service
from moralbank.feeds.importer import import_body
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/feeds", tags=["feeds"])
MAX_BODY = 50 * 1024 * 1024
PUSHER = require_roles(Role.DEPARTMENT_FEED, scope="feeds:push:{interface}")
WATCHERS = require_roles(Role.CITY_ADMIN, Role.AUDITOR)


@router.post("/{interface}/records")
async def push(
    interface: str,
    request: Request,
    principal: Principal = Depends(PUSHER),
    uow: UnitOfWork = Depends(get_uow),
) -> dict[str, Any]:
    # The token check may have written (last use, access log): end that transaction first, so the
    # import's own batch transactions do not wait on it (SQLite has one writer).
    uow.commit()
    body = await request.body()
    if len(body) > MAX_BODY:
        raise InvalidInput("body larger than 50 MB: split it into several pushes")
    container = request.app.state.container
    signature = request.headers.get("x-moralbank-signature")
    key = request.headers.get("idempotency-key")

    def work() -> dict[str, Any]:
        with container.uow(write=False) as uow:
            earlier = service.check_push(
                uow,
                interface=interface,
                body=body,
                signature=signature,
                idempotency_key=key,
                principal=principal,
            )
            if earlier is not None:
                return {**json.loads(earlier.response), "replayed": True}
        result = import_body(
            container,
            interface=interface,
            body=body,
            name=f"push:{key}",
            transport="push",
            actor=principal.actor,
        ).as_dict()
        try:
            with container.uow() as uow:
                service.record_push(
                    uow,
                    interface=interface,
                    idempotency_key=str(key),
                    body=body,
                    import_id=result["import_id"],
                    response=result,
                )
                uow.commit()
        except IntegrityError:  # the same key raced in twice: both imports were exactly-once anyway
            pass
        return {**result, "replayed": False}

    return await run_in_threadpool(work)


@router.get("/health")
def health(_: Principal = Depends(WATCHERS), uow: UnitOfWork = Depends(get_uow)) -> list[dict[str, Any]]:
    """Per interface: last arrival, volumes, accepted and quarantined rates, lag, open quarantine."""
    return service.health(uow)


@router.get("/interfaces")
def interfaces(_: Principal = Depends(WATCHERS)) -> list[dict[str, Any]]:
    return [i.schema() for i in service.list_interfaces()]
