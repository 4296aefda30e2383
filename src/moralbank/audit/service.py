"""The access log: who read which resident's personal data, when, what and why.

Every service that returns a resident's personal data to someone calls :func:`log_read` in the same
unit of work, so the log entry commits (or rolls back) with the request that read the data. A
resident reading their own data is not logged: the log exists to show residents and auditors who
*else* looked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from moralbank.audit import repository as repo
from moralbank.audit.models import AccessLog
from moralbank.auth.domain import OVERSIGHT, Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, PermissionDenied, Problem

_ROUTES: WeakKeyDictionary[UnitOfWork, str] = WeakKeyDictionary()


def set_route(uow: UnitOfWork, route: str) -> None:
    """Name where this unit of work's reads come from (``GET /residents/R…``, ``cli: residents show``).

    Entry points call this once (the web layer does it when it resolves the principal), so services
    need not pass the route to every :func:`log_read`.
    """
    _ROUTES[uow] = route


@dataclass(frozen=True)
class AccessRecord:
    id: int
    at: datetime
    actor: str
    actor_name: str
    role: Role
    resident_id: str
    what: str
    why: str
    route: str | None

    @classmethod
    def of(cls, row: AccessLog) -> AccessRecord:
        return cls(
            row.id,
            row.at,
            row.actor,
            row.actor_name,
            Role(row.role),
            row.resident_id,
            row.what,
            row.why,
            row.route,
        )


def access_row(
    *, principal: Principal, resident_id: str, what: str, why: str, at: datetime, route: str | None
) -> AccessLog | None:
    """The access-log row for a read (None when a resident reads their own data, which is not logged).

    ``why`` is required: a read without a stated purpose is a bug in the caller.
    """
    if not why or not why.strip():
        raise InvalidInput(Problem("a read of personal data needs a purpose", field="why"))
    if principal.role == Role.RESIDENT and principal.resident_id == resident_id:
        return None
    return AccessLog(
        at=at,
        actor=principal.actor,
        actor_name=principal.display_name[:100],
        role=principal.role.value,
        resident_id=resident_id,
        what=what[:200],
        why=why.strip()[:200],
        route=(route or "")[:200] or None,
    )


def log_read(
    uow: UnitOfWork, *, principal: Principal, resident_id: str, what: str, why: str, route: str | None = None
) -> None:
    """Record that ``principal`` read ``what`` (e.g. ``resident.profile``) of a resident, for ``why``.

    The row commits with the unit of work (see :func:`access_row` for what is recorded).
    """
    row = access_row(
        principal=principal,
        resident_id=resident_id,
        what=what,
        why=why,
        at=uow.clock.now(),
        route=route or _ROUTES.get(uow),
    )
    if row is not None:
        uow.record(row)


def log_reads(uow: UnitOfWork, *, principal: Principal, resident_ids: list[str], what: str, why: str) -> None:
    """One entry per resident, for list pages that show several residents' personal data."""
    for rid in resident_ids:
        log_read(uow, principal=principal, resident_id=rid, what=what, why=why)


def list_for_resident(uow: UnitOfWork, *, resident_id: str, limit: int = 100) -> list[AccessRecord]:
    """Who read this resident's data, newest first (for the resident's own page).

    The caller has already checked that the principal may see this resident's page.
    """
    return [AccessRecord.of(r) for r in repo.for_resident(uow.db, resident_id, limit=limit)]


def list(
    uow: UnitOfWork,
    *,
    principal: Principal,
    resident_id: str | None = None,  # noqa: A001
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AccessRecord]:
    """Query the log (city admin, auditors). A scoped auditor must name a resident in their scope."""
    if principal.role not in OVERSIGHT:
        raise PermissionDenied("only auditors and the city admin read the access log")
    if principal.unit_path is not None:
        if resident_id is None:
            raise InvalidInput(
                Problem("a unit-scoped auditor queries one resident at a time", field="resident_id")
            )
        from moralbank.auth import service as auth

        auth.authorize(uow, principal, "read", resident_id=resident_id)
    rows = repo.query(
        uow.db,
        resident_id=resident_id,
        actor=actor,
        since=since,
        until=until,
        limit=min(limit, 1000),
        offset=offset,
    )
    return [AccessRecord.of(r) for r in rows]
