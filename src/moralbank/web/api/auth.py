"""JSON API of sign-in and the access log: who am I, staff users and tokens (city admin), the log."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Depends, Query

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import EVERYONE, OVERSIGHT, Principal, Role
from moralbank.auth.schemas import AccessRecordOut, PrincipalOut, StaffUserOut, TokenOut
from moralbank.db.uow import UnitOfWork
from moralbank.web.deps import get_uow, require_roles

router = APIRouter(tags=["auth"])


@router.get("/api/auth/me", response_model=PrincipalOut)
def me(principal: Principal = Depends(require_roles(*EVERYONE))) -> PrincipalOut:
    """The signed-in principal (session cookie or Bearer token)."""
    return PrincipalOut.of(principal)


@router.get("/api/auth/users", response_model=list[StaffUserOut])
def users(
    _: Principal = Depends(require_roles(Role.CITY_ADMIN)), uow: UnitOfWork = Depends(get_uow)
) -> list[StaffUserOut]:
    """Staff accounts (city admin only; manage them with ``moralbank users``)."""
    return [StaffUserOut(**asdict(u)) for u in auth.list_users(uow)]


@router.get("/api/auth/tokens", response_model=list[TokenOut])
def tokens(
    _: Principal = Depends(require_roles(Role.CITY_ADMIN)), uow: UnitOfWork = Depends(get_uow)
) -> list[TokenOut]:
    """Partner API tokens, without the tokens themselves (they are only shown once, at creation)."""
    return [TokenOut(**asdict(t)) for t in auth.list_tokens(uow)]


@router.get("/api/audit/access-log", response_model=list[AccessRecordOut])
def access_log(
    resident_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
    principal: Principal = Depends(require_roles(*OVERSIGHT)),
    uow: UnitOfWork = Depends(get_uow),
) -> list[AccessRecordOut]:
    """Reads of residents' personal data, newest first (auditors and the city admin)."""
    rows = audit.list(
        uow,
        principal=principal,
        resident_id=resident_id,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return [AccessRecordOut(**asdict(r)) for r in rows]


@router.get("/api/me/access-log", response_model=list[AccessRecordOut])
def my_access_log(
    principal: Principal = Depends(require_roles(Role.RESIDENT)), uow: UnitOfWork = Depends(get_uow)
) -> list[AccessRecordOut]:
    """Who has read the signed-in resident's data, newest first."""
    assert principal.resident_id is not None
    rows = audit.list_for_resident(uow, resident_id=principal.resident_id)
    return [AccessRecordOut(**asdict(r)) for r in rows]
