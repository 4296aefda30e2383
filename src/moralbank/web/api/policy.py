"""JSON API of the policy. Reading is public: only conduct in a published catalogue may be recorded
(national public credit information catalogue, 2024), so the catalogue and every old version are open."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.policy import domain, service
from moralbank.policy.schemas import (
    AppliedOut,
    ChangeOut,
    CheckOut,
    PolicyOut,
    PolicyText,
    ProblemOut,
    VersionOut,
)
from moralbank.web.deps import get_uow, public, require_roles

router = APIRouter(tags=["policy"])


def _out(uow: UnitOfWork, policy: domain.Policy) -> PolicyOut:
    return PolicyOut(
        version=VersionOut(**asdict(service.info(uow, version=policy.version))), policy=domain.as_dict(policy)
    )


@router.get("/api/policy", response_model=PolicyOut, dependencies=[Depends(public)])
def active_policy(uow: UnitOfWork = Depends(get_uow)) -> PolicyOut:
    """The policy in force: indicators, score tiers, deadlines, benefits and credit catalogues."""
    policy = service.active(uow)
    out = _out(uow, policy)
    uow.commit()  # keeps the default policy when this was the first use
    return out


@router.get("/api/policy/indicators", dependencies=[Depends(public)])
def indicators(uow: UnitOfWork = Depends(get_uow)) -> list[dict]:
    """The published indicator catalogue of the policy in force."""
    policy = service.active(uow)
    uow.commit()
    return domain.as_dict(policy)["indicators"]


@router.get("/api/policy/versions", response_model=list[VersionOut], dependencies=[Depends(public)])
def versions(uow: UnitOfWork = Depends(get_uow)) -> list[VersionOut]:
    """Every version ever applied, oldest first; the newest is active."""
    return [VersionOut(**asdict(v)) for v in service.list_versions(uow)]


@router.get("/api/policy/versions/{version}", response_model=PolicyOut, dependencies=[Depends(public)])
def version(version: int, uow: UnitOfWork = Depends(get_uow)) -> PolicyOut:
    """Any version (ledger entries name the version that produced them)."""
    return _out(uow, service.get(uow, version=version))


@router.get(
    "/api/policy/versions/{version}/source", response_class=PlainTextResponse, dependencies=[Depends(public)]
)
def version_source(version: int, uow: UnitOfWork = Depends(get_uow)) -> PlainTextResponse:
    """The file exactly as it was applied."""
    return PlainTextResponse(
        service.source(uow, version=version), media_type="application/yaml; charset=utf-8"
    )


@router.get("/api/policy/diff", response_model=list[ChangeOut], dependencies=[Depends(public)])
def diff(
    old: int = Query(..., ge=1), new: int = Query(..., ge=1), uow: UnitOfWork = Depends(get_uow)
) -> list[ChangeOut]:
    """What changed between two versions, indicator by indicator."""
    return [ChangeOut(**domain.change_as_dict(c)) for c in service.diff(uow, old=old, new=new)]


@router.post("/api/policy/check", response_model=CheckOut)
def check(body: PolicyText, _: Principal = Depends(require_roles(Role.CITY_ADMIN))) -> CheckOut:
    """Validate a policy text without applying it (city admin)."""
    problems = service.check(body.text)
    return CheckOut(
        valid=not problems,
        problems=[ProblemOut(reason=p.reason, field=p.field, line=p.line) for p in problems],
    )


@router.post("/api/policy", response_model=AppliedOut)
def apply(
    body: PolicyText,
    principal: Principal = Depends(require_roles(Role.CITY_ADMIN)),
    uow: UnitOfWork = Depends(get_uow),
) -> AppliedOut:
    """Apply a policy text as the next version (city admin). 422 with every problem when invalid."""
    author = body.author or f"{principal.display_name or principal.actor} ({principal.actor})"
    applied = service.apply(uow, text=body.text, author=author, note=body.note)
    uow.commit()
    return AppliedOut(
        created=applied.created, message=applied.message, version=VersionOut(**asdict(applied.version))
    )
