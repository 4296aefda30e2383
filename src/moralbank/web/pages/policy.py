"""The public indicator catalogue (公示目录): what conduct counts, how much, on what basis, in zh/en."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from moralbank.auth.domain import Principal
from moralbank.db.uow import UnitOfWork
from moralbank.policy import service
from moralbank.web.app import render
from moralbank.web.deps import get_uow, optional_principal

router = APIRouter(include_in_schema=False)


@router.get("/policy")
def catalogue(
    request: Request,
    version: int | None = Query(None, ge=1),
    _: Principal | None = Depends(optional_principal),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    policy = service.get(uow, version=version) if version is not None else service.active(uow)
    versions = service.list_versions(uow)
    uow.commit()  # keeps the default policy when this was the first use
    aspects = [(a, policy.indicators_of(a.code)) for a in policy.aspects.values()]
    return render(
        request,
        "policy/catalogue.html",
        {
            "policy": policy,
            "aspects": aspects,
            "versions": versions,
            "active_version": versions[-1].version if versions else policy.version,
        },
    )
