"""``/api/feeds``: the HTTP push endpoint of each department, and interface health for the cockpit.

Push: ``POST /api/feeds/{interface}/records`` with

* ``Authorization: Bearer <token>`` — an API token of role ``department_feed`` with scope
  ``feeds:push:<interface>`` (or ``feeds:push:*``);
* ``X-Moralbank-Signature: sha256=<hex>`` — HMAC-SHA256 of the exact body under the interface's secret
  (``moralbank feeds secret <interface>``);
* ``Idempotency-Key: <1-128 characters>`` — the same key again returns the first answer
  (``"replayed": true``), changing nothing; the same key with another body is refused (409). The key
  is claimed in the database before the import starts: a second request with the key while the first
  is still being imported waits up to 30 s for its answer, then gets 409 "still being processed"
  (send it again later, with the same key);
* the body: JSON Lines (one record per line) or ``{"records": [...]}`` in UTF-8, at most 50 MB (413
  beyond) and 100,000 records. An empty body, no records, more than 100,000, another shape or bytes
  that are not UTF-8 are refused (422) and nothing is recorded.

The answer is the import's counts (received = accepted + duplicates + quarantined + held_for_consent)
and ``problems``: row, line, field, reason and detail of the first 100 quarantined rows
(``problems_truncated`` when there are more).
"""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, Problem
from moralbank.feeds import service
from moralbank.feeds.bodies import Body
from moralbank.feeds.importer import import_body
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/feeds", tags=["feeds"])
MAX_BODY = 50 * 1024 * 1024
TOO_LARGE = Problem("body larger than 50 MB: split it into several pushes", field="body")
WAIT_FOR_FIRST = 30.0  # seconds a push waits for a concurrent push of its key to finish
PUSHER = require_roles(Role.DEPARTMENT_FEED, scope="feeds:push:{interface}")
WATCHERS = require_roles(Role.CITY_ADMIN, Role.AUDITOR)


async def _capped_body(request: Request) -> bytes:
    """The body, refused (413) beyond ``MAX_BODY`` by its Content-Length before reading, or as soon as
    the bytes read pass the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(status_code=413, detail=TOO_LARGE.reason)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(status_code=413, detail=TOO_LARGE.reason)
        chunks.append(chunk)
    return b"".join(chunks)


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
    body = await _capped_body(request)
    container = request.app.state.container
    signature = request.headers.get("x-moralbank-signature")
    key = request.headers.get("idempotency-key")
    read: Body | None = None  # the body as read, once, before the key is claimed

    def claim_or_replay() -> dict[str, Any] | None:
        """None once this request holds the key; else the first push's answer (waiting for it)."""
        nonlocal read
        deadline, pause = time.monotonic() + WAIT_FOR_FIRST, 0.05
        while True:
            with container.uow(write=False) as uow:
                earlier = service.check_push(
                    uow,
                    interface=interface,
                    body=body,
                    signature=signature,
                    idempotency_key=key,
                    principal=principal,
                )
                answer = None if earlier is None else earlier.response
            if answer is not None:
                return {**json.loads(answer), "replayed": True}
            if earlier is None:
                if read is None:  # a refused body is refused before anything is recorded
                    read = service.read_push_body(interface=interface, body=body)
                try:
                    with container.uow() as uow:
                        service.record_push(uow, interface=interface, idempotency_key=str(key), body=body)
                        uow.commit()
                    return None
                except IntegrityError:  # another request claimed the key first: wait for its answer
                    pass
            if time.monotonic() > deadline:
                raise Conflict("a push with this Idempotency-Key is still being processed: retry later")
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def work() -> dict[str, Any]:
        replay = claim_or_replay()
        if replay is not None:
            return replay
        assert read is not None
        try:
            result = import_body(
                container,
                interface=interface,
                body=read,
                name=f"push:{key}",
                transport="push",
                actor=principal.actor,
            ).as_dict()
        except BaseException:
            with container.uow() as uow:
                service.release_push_claim(uow, interface=interface, idempotency_key=str(key))
                uow.commit()
            raise
        with container.uow() as uow:
            answer = service.record_push(
                uow,
                interface=interface,
                idempotency_key=str(key),
                body=body,
                import_id=result["import_id"],
                response=result,
            )
            uow.commit()
        return {**(answer or result), "replayed": False}

    return await run_in_threadpool(work)


@router.get("/health")
def health(_: Principal = Depends(WATCHERS), uow: UnitOfWork = Depends(get_uow)) -> list[dict[str, Any]]:
    """Per interface: last arrival, volumes, accepted and quarantined rates, lag, open quarantine."""
    return service.health(uow)


@router.get("/interfaces")
def interfaces(_: Principal = Depends(WATCHERS)) -> list[dict[str, Any]]:
    return [i.schema() for i in service.list_interfaces()]
