"""Organisation API: the unit tree for staff; changes by the city admin."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, File, Query, UploadFile
from pydantic import BaseModel, Field

from moralbank.auth.domain import STAFF, Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.orgs import service
from moralbank.orgs.schemas import EventOut, UnitOut
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/orgs", tags=["orgs"])

READ = require_roles(*STAFF)
READ_UNIT = require_roles(*STAFF, unit="code")  # a unit outside the caller's subtree looks missing
ADMIN = require_roles(Role.CITY_ADMIN)


class UnitIn(BaseModel):
    code: str = Field(description="GB/T 2260 / statistical code; grids: <village code>-G03")
    name_zh: str
    name_en: str = ""
    level: str = Field(description="city | township | village | grid")
    parent: str | None = None


class RenameIn(BaseModel):
    name_zh: str | None = None
    name_en: str | None = None


class MoveIn(BaseModel):
    parent: str


def _unit(u: Any) -> dict[str, Any]:
    return UnitOut.of(u).as_dict()


@router.get("")
def list_units(
    level: str | None = Query(None, description="city | township | village | grid"),
    under: str | None = Query(None, description="Only this unit's subtree."),
    closed: bool = Query(False, description="Include closed units."),
    principal: Principal = Depends(READ),
    uow: UnitOfWork = Depends(get_uow),
) -> list[dict[str, Any]]:
    """Units in path order: ``code``, ``name``, ``level``, ``parent`` (the `org export` shape) and more.
    Scoped staff get their own subtree."""
    if under is None and principal.unit_code is not None:
        under = principal.unit_code
    units = [
        u
        for u in service.list(uow, level=level, under=under, include_closed=closed)
        if principal.covers(u.path)
    ]
    return [{**UnitOut.of(u).export(), "path": u.path} for u in units]


@router.get("/{code}")
def get_unit(
    code: str, _: Principal = Depends(READ_UNIT), uow: UnitOfWork = Depends(get_uow)
) -> dict[str, Any]:
    """One unit with its open children."""
    unit = _unit(service.get(uow, code=code))
    unit["children"] = [UnitOut.of(c).export() for c in service.children(uow, code=code)]
    return unit


@router.get("/{code}/history")
def unit_history(
    code: str, _: Principal = Depends(READ_UNIT), uow: UnitOfWork = Depends(get_uow)
) -> list[dict]:
    """Every change to a unit: create, rename, move, close."""
    return [EventOut.of(e).__dict__ for e in service.history(uow, code=code)]


@router.post("", status_code=201)
def create_unit(
    body: UnitIn, principal: Principal = Depends(ADMIN), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    unit = service.create(
        uow,
        code=body.code,
        name_zh=body.name_zh,
        name_en=body.name_en,
        level=body.level,
        parent=body.parent,
        actor=principal.actor,
    )
    out = _unit(unit)
    uow.commit()
    return out


@router.post("/{code}/rename")
def rename_unit(
    code: str, body: RenameIn, principal: Principal = Depends(ADMIN), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    out = _unit(
        service.rename(uow, code=code, name_zh=body.name_zh, name_en=body.name_en, actor=principal.actor)
    )
    uow.commit()
    return out


@router.post("/{code}/move")
def move_unit(
    code: str, body: MoveIn, principal: Principal = Depends(ADMIN), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    out = _unit(service.move(uow, code=code, parent=body.parent, actor=principal.actor))
    uow.commit()
    return out


@router.post("/{code}/close")
def close_unit(code: str, principal: Principal = Depends(ADMIN), uow: UnitOfWork = Depends(get_uow)) -> dict:
    out = _unit(service.close(uow, code=code, actor=principal.actor))
    uow.commit()
    return out


@router.post("/import")
async def import_units(
    file: UploadFile = File(...), principal: Principal = Depends(ADMIN), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    """Import units from CSV/XLSX; bad rows come back with row, field and reason."""
    data = await file.read(20_000_000)
    report = service.import_file(
        uow, source=data, filename=file.filename or "upload.csv", actor=principal.actor
    )
    uow.commit()
    return report.as_dict()
