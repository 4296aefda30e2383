"""The organisation tree browser (staff): a unit, its path, its children (expanded in place with
HTMX) and its history."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from moralbank.auth.domain import STAFF, Principal
from moralbank.db.uow import UnitOfWork
from moralbank.orgs import domain, service
from moralbank.web.app import render
from moralbank.web.deps import get_uow, require_roles

router = APIRouter(include_in_schema=False)

READ = require_roles(*STAFF)
READ_UNIT = require_roles(*STAFF, unit="code")


def _start(uow: UnitOfWork, principal: Principal, code: str | None) -> str | None:
    if code:
        return code
    if principal.unit_code:
        return principal.unit_code
    roots = service.children(uow, code=None)
    return roots[0].code if roots else None


@router.get("/orgs")
def tree_page(
    request: Request,
    code: str | None = Query(None),
    principal: Principal = Depends(READ),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    code = _start(uow, principal, code)
    if code is None:
        return render(request, "orgs/tree.html", {"unit": None})
    from moralbank.auth import service as auth

    auth.authorize(uow, principal, "read", unit_code=code)  # outside the subtree: 404 like a missing code
    unit = service.get(uow, code=code)
    parts = [p for p in unit.path.strip("/").split("/") if p]
    ancestors = [service.get(uow, code=c) for c in parts[:-1]]
    return render(
        request,
        "orgs/tree.html",
        {
            "unit": unit,
            "ancestors": ancestors,
            "children": service.children(uow, code=code),
            "counts": service.resident_counts(uow, code=code),
            "history": service.history(uow, code=code)[-10:][::-1],
            "levels": domain.LEVEL_NAMES_ZH,
            "in_scope": principal.covers(unit.path),
            "principal_covers": principal.covers,
        },
    )


@router.get("/orgs/{code}/children")
def children_fragment(
    request: Request, code: str, _: Principal = Depends(READ_UNIT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """The children of a unit as a list fragment (HTMX expands the tree in place)."""
    service.get(uow, code=code)
    return render(
        request,
        "orgs/_children.html",
        {
            "children": service.children(uow, code=code),
            "counts": service.resident_counts(uow, code=code),
            "levels": domain.LEVEL_NAMES_ZH,
        },
    )
