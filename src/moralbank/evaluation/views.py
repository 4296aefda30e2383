"""What residents, grid workers, officers and auditors see: items with their trail, queues, overdue
lists, evidence files."""

from __future__ import annotations

from dataclasses import dataclass

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import NotFound, PermissionDenied
from moralbank.evaluation import domain as d
from moralbank.evaluation import files as evidence_files
from moralbank.evaluation import repository as repo
from moralbank.evaluation.core import (
    REVIEWERS,
    china_today,
    grid_of_resident,
    household_of,
    may_read,
    rules,
)
from moralbank.evaluation.deeds import process_due
from moralbank.evaluation.models import (
    EvaluationEvent,
    EvaluationItem,
    EvaluationVote,
    EvidenceFile,
    Objection,
)


def _logged(uow: UnitOfWork, principal: Principal, rows: list, what: str, why: str) -> list:
    """Record in the access log whose evaluation data this caller saw (residents' own reads are not
    logged by the audit service); returns the rows."""
    from moralbank.audit import service as audit

    audit.log_reads(
        uow, principal=principal, resident_ids=sorted({r.resident_id for r in rows}), what=what, why=why
    )
    return rows


def get(uow: UnitOfWork, *, principal: Principal, item_id: int) -> EvaluationItem:
    row = repo.item(uow.db, item_id)
    if row is None or not may_read(principal, row):
        raise NotFound(f"no evaluation item {item_id}")
    return row


@dataclass(frozen=True)
class Trail:
    item: EvaluationItem
    votes: list[EvaluationVote]
    files: list[EvidenceFile]
    events: list[EvaluationEvent]
    objections: list[Objection]
    basis: str
    indicator_name: str


def trail(uow: UnitOfWork, *, principal: Principal, item_id: int) -> Trail:
    """An item with every vote, file, step and objection (what the resident and officers see)."""
    row = get(uow, principal=principal, item_id=item_id)
    rules_ = rules(uow, version=row.policy_version)
    rule = rules_.indicators.get(row.indicator)
    objs = [
        o
        for o in repo.objections_of(uow.db, row.resident_id)
        if o.item_id == row.id or (row.posted_seq and o.ledger_seq == row.posted_seq)
    ]
    _logged(uow, principal, [row], "evaluation.item", "evaluation: follow or decide the item")
    return Trail(
        row,
        repo.votes(uow.db, row.id),
        repo.files(uow.db, row.id),
        repo.events(uow.db, item_id=row.id),
        objs,
        rule.basis if rule else "",
        rule.name if rule else row.indicator,
    )


def _log_resident(uow: UnitOfWork, principal: Principal, resident_id: str, what: str, why: str) -> None:
    from moralbank.audit import service as audit

    audit.log_read(uow, principal=principal, resident_id=resident_id, what=what, why=why)


def items_of(uow: UnitOfWork, *, principal: Principal, resident_id: str) -> list[EvaluationItem]:
    """A resident's items (logged as a read of that resident, even when there are none)."""
    _log_resident(uow, principal, resident_id, "evaluation.items", "evaluation: the resident's items")
    return [r for r in repo.items_of(uow.db, resident_id) if may_read(principal, r)]


def objections_of(uow: UnitOfWork, *, principal: Principal, resident_id: str) -> list[Objection]:
    _log_resident(
        uow, principal, resident_id, "evaluation.objections", "evaluation: the resident's objections"
    )
    return [o for o in repo.objections_of(uow.db, resident_id) if may_read(principal, o)]


def pending_confirmations(uow: UnitOfWork, *, principal: Principal) -> list[EvaluationItem]:
    """Deeds in the caller's grid waiting for mutual evaluation that the caller may still take part in."""
    if principal.role == Role.GRID_WORKER:
        grid, me, household = principal.unit_code, principal.actor, set()
    elif principal.role == Role.RESIDENT and principal.resident_id:
        grid, me = grid_of_resident(uow, principal.resident_id), f"resident:{principal.resident_id}"
        household = household_of(uow, principal.resident_id) | {principal.resident_id}
    else:
        raise PermissionDenied("mutual evaluation is for grid workers and residents")
    rows = repo.items_in(uow.db, states=[d.State.GRID_REVIEW.value], path_prefix=None, grid_code=grid)
    out = []
    for r in rows:
        if r.resident_id in household or r.proposer == me:
            continue
        if any(v.voter == me for v in repo.votes(uow.db, r.id)):
            continue
        out.append(r)
    return _logged(uow, principal, out, "evaluation.deed", "grid mutual evaluation")


def review_queue(uow: UnitOfWork, *, principal: Principal) -> list[EvaluationItem]:
    if principal.role not in REVIEWERS:
        raise PermissionDenied("the review queue is for officers")
    process_due(uow)
    rows = repo.items_in(
        uow.db,
        states=[d.State.VILLAGE_REVIEW.value, d.State.CONFIRM_REVIEW.value],
        path_prefix=principal.unit_path,
    )
    return _logged(uow, principal, rows, "evaluation.items", "village/community review queue")


def objections_due(uow: UnitOfWork, *, principal: Principal) -> list[Objection]:
    if principal.role not in (*REVIEWERS, Role.AUDITOR):
        raise PermissionDenied("objections are decided by officers")
    rows = repo.objections_in(uow.db, path_prefix=principal.unit_path, state="open")
    return _logged(uow, principal, rows, "evaluation.objections", "objections to decide")


@dataclass(frozen=True)
class Overdue:
    items: list[EvaluationItem]
    objections: list[Objection]


def overdue(uow: UnitOfWork, *, principal: Principal) -> Overdue:
    """Items and objections past their working-day deadline, for the level above (township/city)."""
    if principal.role not in (Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN, Role.AUDITOR, Role.VILLAGE_OFFICER):
        raise PermissionDenied("the overdue list is for officers")
    today = china_today(uow)
    objs = [
        o
        for o in repo.objections_in(uow.db, path_prefix=principal.unit_path, state="open")
        if o.decide_due < today
    ]
    items = repo.overdue_items(uow.db, today=today, path_prefix=principal.unit_path)
    _logged(uow, principal, [*items, *objs], "evaluation.overdue", "overdue list for the level above")
    return Overdue(items, objs)


def audit_list(
    uow: UnitOfWork, *, principal: Principal, state: str = "rejected", limit: int = 200
) -> list[EvaluationItem]:
    """Items in one state under the caller's unit (township/city audit; auditors read)."""
    if principal.role not in (Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN, Role.AUDITOR, Role.VILLAGE_OFFICER):
        raise PermissionDenied("the audit list is for officers and auditors")
    d.State(state)  # refuses an unknown state
    rows = repo.items_in(uow.db, states=[state], path_prefix=principal.unit_path, limit=limit)
    return _logged(uow, principal, rows, "evaluation.items", "audit of evaluation decisions")


def _may_see_evidence(uow: UnitOfWork, principal: Principal, row: EvaluationItem) -> bool:
    """Who reads the item, and — while it waits for grid mutual evaluation — the neighbours asked to
    confirm it (residents of the same grid), so they judge the photos, not only the words."""
    if may_read(principal, row):
        return True
    return (
        principal.role == Role.RESIDENT
        and principal.resident_id is not None
        and row.state == d.State.GRID_REVIEW.value
        and grid_of_resident(uow, principal.resident_id) == row.grid_code
    )


def evidence_of(uow: UnitOfWork, *, principal: Principal, item_id: int) -> list[EvidenceFile]:
    """The evidence files of an item (for its readers, and for the neighbours confirming it)."""
    row = repo.item(uow.db, item_id)
    if row is None or not _may_see_evidence(uow, principal, row):
        raise NotFound(f"no evaluation item {item_id}")
    return repo.files(uow.db, item_id)


def evidence(uow: UnitOfWork, *, principal: Principal, sha256: str) -> tuple[EvidenceFile, bytes]:
    """An evidence file's bytes, for someone who may see an item it belongs to."""
    for f in repo.file_by_hash(uow.db, sha256):
        row = repo.item(uow.db, f.item_id)
        if row is not None and _may_see_evidence(uow, principal, row):
            _logged(uow, principal, [row], "evaluation.evidence", "evidence of an evaluation item")
            return f, evidence_files.load(uow.deps.settings.files_dir, sha256)
    raise NotFound("no such file")


def disputed_seqs(uow: UnitOfWork, *, seqs: list[int]) -> set[int]:
    """Ledger entries under an open objection (shown as disputed by ledger and scoring views)."""
    return repo.disputed_seqs(uow.db, seqs)


def interfaces_of(uow: UnitOfWork, *, item_ids: list[int]) -> dict[int, str]:
    """The data interface each of these items came from (items of department records only): whoever
    posted an item's points — the interface itself, or the officer who reviewed a deduction — the
    record's department is the item's."""
    return repo.interfaces_of(uow.db, item_ids)
