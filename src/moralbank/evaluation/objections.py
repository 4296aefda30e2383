"""When it goes against someone: objections (marked disputed at once), human review of automated
decisions, refusal of them, and credit repair; every decision with written reasons."""

from __future__ import annotations

from moralbank.auth.domain import Principal
from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.evaluation import domain as d
from moralbank.evaluation import repository as repo
from moralbank.evaluation.core import (
    china_today,
    grid_of_resident,
    is_reversed,
    ledger_entry,
    notify_resident,
    post_item,
    record_event,
    require_resident,
    require_reviewer,
    reverse_entry,
    rules,
    save_item,
    to_domain,
    unit_path_of,
    working_days,
)
from moralbank.evaluation.models import (
    Objection,
)
from moralbank.kernel.clock import local_date


def object_to(
    uow: UnitOfWork,
    *,
    principal: Principal,
    statement: str,
    item_id: int | None = None,
    ledger_seq: int | None = None,
    kind: str = "objection",
) -> Objection:
    """A resident objects to an entry or a decision (or asks for a person to review an automated one).

    The record is marked disputed at once (the legal limit is 1 working day) and a decision is due
    within the policy's working days (at most 5).
    """
    if kind not in (d.ObjectionKind.OBJECTION, d.ObjectionKind.HUMAN_REVIEW):
        raise InvalidInput(Problem("kind is objection or human_review", field="kind"))
    kind_ = d.ObjectionKind(kind)
    if (item_id is None) == (ledger_seq is None):
        raise InvalidInput(Problem("object to one item or one ledger entry", field="item_id"))
    row = None
    if item_id is not None:
        row = repo.item(uow.db, item_id, lock=True)
        if row is None:
            raise NotFound(f"no evaluation item {item_id}")
        resident_id = row.resident_id
        if row.state in (d.State.WITHDRAWN.value, d.State.REVERSED.value):
            raise Conflict("this item is withdrawn or reversed; there is nothing left to object to")
        if row.posted_seq is not None and row.state == d.State.POSTED.value:
            ledger_seq, item_id = row.posted_seq, row.id
    else:
        resident_id = principal.resident_id or ""
        row = repo.item_by_seq(uow.db, ledger_seq)  # type: ignore[arg-type]
    require_resident(principal, resident_id)
    if ledger_seq is not None:
        ledger_entry(uow, resident_id, ledger_seq)  # NotFound unless it is this resident's
        if is_reversed(uow, resident_id, ledger_seq):
            raise Conflict("this entry has already been reversed")
    if repo.open_objection_on(uow.db, item_id=row.id if row else None, ledger_seq=ledger_seq):
        raise Conflict("there is already an open objection on this")
    if kind_ is d.ObjectionKind.HUMAN_REVIEW and not (row and row.automated):
        raise InvalidInput(
            Problem("only automated decisions are reviewed on request; object instead", field="kind")
        )
    rules_ = rules(uow)
    today = china_today(uow)
    o = d.new_objection(
        rules_,
        kind=kind_,
        resident_id=resident_id,
        statement=statement,
        today=today,
        is_workday=working_days(uow),
    )
    grid_path = row.unit_path if row else unit_path_of(uow, grid_of_resident(uow, resident_id))
    obj = Objection(
        resident_id=resident_id,
        kind=kind_.value,
        state="open",
        item_id=row.id if row else None,
        ledger_seq=ledger_seq,
        unit_path=grid_path,
        statement=o.reason,
        opened_at=uow.clock.now(),
        mark_due=o.mark_due,
        decide_due=o.decide_due,
        decision_reason="",
    )
    repo.add(uow.db, obj)
    record_event(uow, None, d.Event(kind_.value + "_opened", principal.actor, o.reason), objection=obj)
    # Marked disputed now, well within the 1-working-day limit.
    if row is not None and d.State(row.state) in d.OPEN_STATES:
        item = to_domain(row, repo.votes(uow.db, row.id))
        obj.prior_state = row.state
        ev = d.dispute(item, actor="system:evaluation")
        save_item(uow, row, item, rules_)
        record_event(uow, row, ev, objection=obj)
    else:  # a decided item or a ledger entry: the objection itself is the mark
        record_event(uow, None, d.Event("marked_disputed", "system:evaluation"), objection=obj)
    obj.marked_at = uow.clock.now()
    notify_resident(
        uow, "objection_marked", resident_id, f"objection:{obj.id}", due=obj.decide_due.isoformat()
    )
    return obj


def refuse_automated(
    uow: UnitOfWork, *, principal: Principal, item_id: int, statement: str = ""
) -> Objection:
    """The resident refuses a decision made by automation alone: its points are reversed at once."""
    row = repo.item(uow.db, item_id, lock=True)
    if row is None:
        raise NotFound(f"no evaluation item {item_id}")
    require_resident(principal, row.resident_id)
    if not row.automated or row.state != d.State.POSTED.value or row.posted_seq is None:
        raise Conflict("only a posted automated decision can be refused")
    today = china_today(uow)
    obj = Objection(
        resident_id=row.resident_id,
        kind=d.ObjectionKind.REFUSAL.value,
        state="upheld",
        item_id=row.id,
        ledger_seq=row.posted_seq,
        unit_path=row.unit_path,
        statement=statement.strip() or "拒绝自动化决定",
        opened_at=uow.clock.now(),
        marked_at=uow.clock.now(),
        mark_due=today,
        decide_due=today,
        decided_at=uow.clock.now(),
        decided_by=principal.actor,
        decision_reason="refused by the resident (PIPL Art. 24)",
    )
    repo.add(uow.db, obj)
    entry = ledger_entry(uow, row.resident_id, row.posted_seq)
    obj.outcome_seq = reverse_entry(
        uow,
        entry=entry,
        source="objection",
        actor=principal.actor,
        reason="居民拒绝仅由自动化作出的决定",
        ref=f"objection:{obj.id}",
    )
    record_event(
        uow, row, d.Event("refused", principal.actor, obj.statement, {"seq": obj.outcome_seq}), objection=obj
    )
    notify_resident(uow, "refused", row.resident_id, f"objection:{obj.id}")
    return obj


def request_human_review(uow: UnitOfWork, *, principal: Principal, item_id: int, statement: str) -> Objection:
    return object_to(uow, principal=principal, item_id=item_id, statement=statement, kind="human_review")


def apply_repair(uow: UnitOfWork, *, principal: Principal, ledger_seq: int, commitment: str) -> Objection:
    """Credit repair: after the policy's minimum period a resident applies, with a written commitment,
    to have a negative record leave the score and public views. Decision within 3 working days."""
    resident_id = principal.resident_id or ""
    require_resident(principal, resident_id)
    entry = ledger_entry(uow, resident_id, ledger_seq)
    if entry.points >= 0 or entry.reverses_seq is not None:
        raise InvalidInput(Problem("only a negative record can be repaired", field="ledger_seq"))
    if is_reversed(uow, resident_id, ledger_seq):
        raise Conflict("this record has already been reversed or repaired")
    if repo.open_objection_on(uow.db, ledger_seq=ledger_seq):
        raise Conflict("there is already an open request on this record")
    rules_ = rules(uow)
    today = china_today(uow)
    severity = d.Severity(entry.severity or "general")
    effective = local_date(entry.recorded_at) if entry.recorded_at else entry.deed_date
    allowed = d.repair_allowed_from(rules_, severity, effective)
    if today < allowed:
        raise Conflict(f"repair can be applied for from {allowed.isoformat()}")
    o = d.new_objection(
        rules_,
        kind=d.ObjectionKind.REPAIR,
        resident_id=resident_id,
        statement=commitment,
        today=today,
        is_workday=working_days(uow),
    )
    row = repo.item_by_seq(uow.db, ledger_seq)
    obj = Objection(
        resident_id=resident_id,
        kind="repair",
        state="open",
        item_id=row.id if row else None,
        ledger_seq=ledger_seq,
        unit_path=row.unit_path if row else unit_path_of(uow, grid_of_resident(uow, resident_id)),
        statement=o.reason,
        opened_at=uow.clock.now(),
        marked_at=None,
        mark_due=o.mark_due,
        decide_due=o.decide_due,
        decision_reason="",
    )
    repo.add(uow.db, obj)
    record_event(uow, None, d.Event("repair_applied", principal.actor, o.reason), objection=obj)
    notify_resident(
        uow, "repair_received", resident_id, f"objection:{obj.id}", due=obj.decide_due.isoformat()
    )
    return obj


def decide_objection(
    uow: UnitOfWork, *, principal: Principal, objection_id: int, upheld: bool, reason: str
) -> Objection:
    """Decide an objection, human review or repair, always with written reasons.

    Upheld: a posted entry is reversed by a new ledger entry (``reverses_seq``; source ``objection`` or
    ``repair``); an item still on its way is withdrawn (or, for a rejection, reopened). Rejected: the
    item resumes where it was (a deduction posts if its window has passed)."""
    obj = repo.objection(uow.db, objection_id, lock=True)
    if obj is None:
        raise NotFound(f"no objection {objection_id}")
    require_reviewer(principal, obj)
    row = repo.item(uow.db, obj.item_id, lock=True) if obj.item_id else None
    if row is not None and d.decided_by(principal.actor, obj.kind, row.approvals or []):
        raise PermissionDenied("an officer does not decide an objection to their own decision")
    o = d.Objection(
        kind=d.ObjectionKind(obj.kind),
        state=d.ObjectionState(obj.state),
        resident_id=obj.resident_id,
        opened_on=local_date(obj.opened_at),
        mark_due=obj.mark_due,
        decide_due=obj.decide_due,
    )
    d.decide_objection(o, upheld=upheld, reason=reason)
    obj.state, obj.decision_reason = o.state.value, o.decision_reason
    obj.decided_at, obj.decided_by = uow.clock.now(), principal.actor
    rules_ = rules(uow, version=row.policy_version) if row else rules(uow)
    today = china_today(uow)
    repair = obj.kind == "repair"
    if upheld and obj.ledger_seq is not None and (row is None or row.state == d.State.POSTED.value):
        entry = ledger_entry(uow, obj.resident_id, obj.ledger_seq)
        obj.outcome_seq = reverse_entry(
            uow,
            entry=entry,
            source="repair" if repair else "objection",
            actor=principal.actor,
            reason=o.decision_reason,
            ref=f"objection:{obj.id}",
        )
    elif row is not None and row.state == d.State.DISPUTED.value:
        item = to_domain(row, repo.votes(uow.db, row.id))
        prior = d.State(obj.prior_state or d.State.VILLAGE_REVIEW.value)
        ev = d.settle_dispute(
            item, upheld=upheld, actor=principal.actor, reason=o.decision_reason, prior=prior, today=today
        )
        save_item(uow, row, item, rules_)
        record_event(uow, row, ev, objection=obj)
        if item.state is d.State.APPROVED:
            post_item(uow, row, item, rules_, actor=principal.actor)
    elif upheld and row is not None and row.state == d.State.REJECTED.value:
        item = to_domain(row, repo.votes(uow.db, row.id))
        ev = d.reopen(item, actor=principal.actor, reason=o.decision_reason)
        save_item(uow, row, item, rules_)
        record_event(uow, row, ev, objection=obj)
    action = ("repair_" if repair else "objection_") + ("upheld" if upheld else "rejected")
    record_event(
        uow,
        None,
        d.Event(
            action, principal.actor, o.decision_reason, {"seq": obj.outcome_seq} if obj.outcome_seq else {}
        ),
        objection=obj,
    )
    notify_resident(uow, action, obj.resident_id, f"objection:{obj.id}", reason=o.decision_reason)
    return obj


def not_decidable_by(uow: UnitOfWork, *, principal: Principal, objections: list[Objection]) -> set[int]:
    """The ids of ``objections`` that ``decide_objection`` would refuse to ``principal`` because they
    took part in the decision objected to (so a page offers them no decision buttons)."""
    out = set()
    for o in objections:
        row = repo.item(uow.db, o.item_id) if o.item_id else None
        if row is not None and d.decided_by(principal.actor, o.kind, row.approvals or []):
            out.add(o.id)
    return out
