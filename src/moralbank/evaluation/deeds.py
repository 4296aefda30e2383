"""Deeds, deductions and record proposals on their way to the ledger: submission (and assisted
entry), grid mutual evaluation, village/community review (single and bulk), audit reopening, big-data
proposals and their withdrawal, and the daily posting of deductions whose objection window passed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.evaluation import domain as d
from moralbank.evaluation import files as evidence_files
from moralbank.evaluation import repository as repo
from moralbank.evaluation.core import (
    REVIEWERS,
    RING_LOOKBACK_DAYS,
    Upload,
    check_caps,
    china_today,
    grid_of_resident,
    household_of,
    indicator_name,
    is_reversed,
    ledger_entry,
    load_item,
    new_item_row,
    notify_resident,
    post_item,
    record_event,
    require_auditor,
    require_reviewer,
    reverse_entry,
    rules,
    save_item,
    store_files,
    unit_path_of,
    village_path_of,
    working_days,
)
from moralbank.evaluation.models import (
    EvaluationItem,
    EvaluationVote,
)
from moralbank.evaluation.rings import scan_rings


def submit(
    uow: UnitOfWork,
    *,
    principal: Principal,
    indicator: str,
    deed_date: date,
    description: str,
    resident_id: str | None = None,
    uploads: Sequence[Upload] = (),
    witnesses: Sequence[str] = (),
) -> EvaluationItem:
    """A resident's self-evaluation, or a grid worker's assisted entry for a resident of their grid."""
    if principal.role == Role.RESIDENT:
        if resident_id not in (None, principal.resident_id):
            raise PermissionDenied("residents submit their own deeds")
        resident_id = principal.resident_id
        assisted = False
    elif principal.role == Role.GRID_WORKER:
        if not resident_id:
            raise InvalidInput(Problem("name the resident you enter the deed for", field="resident_id"))
        assisted = True
    else:
        raise PermissionDenied("deeds are submitted by the resident or entered by their grid worker")
    assert resident_id is not None
    grid = grid_of_resident(uow, resident_id)
    if assisted and principal.unit_code != grid:
        raise NotFound(f"no resident {resident_id} in your grid")
    if not description.strip():
        raise InvalidInput(Problem("describe the deed", field="description"))
    rules_ = rules(uow)
    now = uow.clock.now()
    d.check_rate(
        rules_,
        last_hour=repo.submissions_since(uow.db, resident_id, now - timedelta(hours=1)),
        today=repo.submissions_since(uow.db, resident_id, now - timedelta(days=1)),
    )
    item, ev = d.new_deed(
        rules_,
        resident_id=resident_id,
        grid_code=grid,
        indicator=indicator,
        actor=principal.actor,
        assisted=assisted,
        deed_date=deed_date,
        today=china_today(uow),
        evidence_count=len(uploads),
    )
    rule = rules_.indicator(indicator)
    check_caps(uow, rules_, resident_id=resident_id, indicator=indicator, deed_date=deed_date, points=0)
    row = new_item_row(uow, item, rules_, deed_date=deed_date, description=description, witnesses=witnesses)
    ev.data["files"] = store_files(uow, row, uploads, principal.actor)
    record_event(uow, row, ev)
    notify_resident(uow, ev.action, resident_id, f"deed:{row.id}", ind=rule.name)
    return row


def vote(
    uow: UnitOfWork, *, principal: Principal, item_id: int, confirm: bool, reason: str = ""
) -> EvaluationItem:
    """Grid mutual evaluation: the grid worker or a resident of the same grid confirms or disputes."""
    row, item = load_item(uow, item_id, lock=True)
    rules_ = rules(uow, version=row.policy_version)
    if principal.role == Role.RESIDENT and principal.resident_id:
        voter = d.Voter(principal.actor, grid_of_resident(uow, principal.resident_id), principal.resident_id)
    elif principal.role == Role.GRID_WORKER:
        voter = d.Voter(principal.actor, principal.unit_code, is_grid_worker=True)
    else:
        raise PermissionDenied("grid mutual evaluation is for the grid worker and residents of the grid")
    d.check_confirmation_rate(
        rules_, today=repo.votes_since(uow.db, voter.voice, uow.clock.now() - timedelta(days=1))
    )
    household = household_of(uow, row.resident_id) if voter.resident_id else set()
    ev = d.vote(item, voter, confirm=confirm, reason=reason, owner_household=household)
    repo.add(
        uow.db,
        EvaluationVote(
            item_id=row.id,
            resident_id=row.resident_id,
            voter=voter.voice,
            voter_resident_id=voter.resident_id,
            actor=principal.actor,
            confirm=confirm,
            reason=item.votes[-1].reason,
            at=uow.clock.now(),
        ),
    )
    save_item(uow, row, item, rules_)
    record_event(uow, row, ev)
    name = indicator_name(rules_, row.indicator)
    if item.state is d.State.VILLAGE_REVIEW:
        notify_resident(uow, "advanced_village", row.resident_id, f"deed:{row.id}", ind=name)
    elif item.state is d.State.REJECTED:
        notify_resident(uow, "rejected", row.resident_id, f"deed:{row.id}", ind=name, reason=item.reason)
    if confirm and voter.resident_id:
        # Only a pair that now confirms each other often enough can close a ring: scan then.
        since = uow.clock.now() - timedelta(days=RING_LOOKBACK_DAYS)
        pairs = repo.pair_confirmations(
            uow.db, confirmer=voter.resident_id, owner=row.resident_id, since=since
        )
        if pairs >= rules_.ring_min_confirmations:
            scan_rings(uow, village_path=village_path_of(row.unit_path))
    return row


def approve(
    uow: UnitOfWork, *, principal: Principal, item_id: int, points: int | None = None
) -> EvaluationItem:
    """A village/community officer approves (with points in the policy's range). A deduction needs a
    second, different officer; its confirmation opens the objection window."""
    row, item = load_item(uow, item_id, lock=True)
    require_reviewer(principal, row)
    rules_ = rules(uow, version=row.policy_version)
    today = china_today(uow)
    ev = d.approve(
        item, rules_, actor=principal.actor, points=points, today=today, is_workday=working_days(uow)
    )
    if not item.negative:
        check_caps(
            uow,
            rules_,
            resident_id=row.resident_id,
            indicator=row.indicator,
            deed_date=row.deed_date,
            points=item.points,
            exclude_id=row.id,
        )
    save_item(uow, row, item, rules_)
    record_event(uow, row, ev)
    name = indicator_name(rules_, row.indicator)
    if item.state is d.State.NOTICE:
        notify_resident(
            uow,
            "deduction_notice",
            row.resident_id,
            f"deed:{row.id}",
            ind=name,
            points=item.points,
            basis=rules_.indicator(row.indicator).basis,
            effective=item.effective_on.isoformat(),
        )
    elif item.state is d.State.APPROVED:
        notify_resident(uow, "approved", row.resident_id, f"deed:{row.id}", ind=name, points=item.points)
        post_item(uow, row, item, rules_, actor=principal.actor)
    return row


def reject(uow: UnitOfWork, *, principal: Principal, item_id: int, reason: str) -> EvaluationItem:
    row, item = load_item(uow, item_id, lock=True)
    require_reviewer(principal, row)
    rules_ = rules(uow, version=row.policy_version)
    ev = d.reject(item, actor=principal.actor, reason=reason)
    save_item(uow, row, item, rules_)
    record_event(uow, row, ev)
    notify_resident(
        uow,
        "rejected",
        row.resident_id,
        f"deed:{row.id}",
        ind=indicator_name(rules_, row.indicator),
        reason=item.reason,
    )
    return row


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def bulk_review(
    uow: UnitOfWork, *, principal: Principal, item_ids: Sequence[int], decision: str, reason: str = ""
) -> BulkResult:
    """Approve (with each item's proposed points) or reject (one reason for all) a selection of the
    queue. Each item is decided on its own; the ones that cannot be are reported, not forced."""
    if decision not in ("approve", "reject"):
        raise InvalidInput(Problem("decision is approve or reject", field="decision"))
    if decision == "reject" and not reason.strip():
        raise InvalidInput(Problem("a rejection needs a reason", field="reason"))
    result = BulkResult()
    for item_id in dict.fromkeys(item_ids):
        try:
            with uow.db.begin_nested():
                if decision == "approve":
                    approve(uow, principal=principal, item_id=item_id)
                else:
                    reject(uow, principal=principal, item_id=item_id, reason=reason)
            result.done.append(item_id)
        except (Conflict, InvalidInput, PermissionDenied, NotFound) as e:
            result.failed[item_id] = str(e)
    return result


def reopen(uow: UnitOfWork, *, principal: Principal, item_id: int, reason: str) -> EvaluationItem:
    """Township/city audit: a rejected item goes back for a fresh decision."""
    row, item = load_item(uow, item_id, lock=True)
    require_auditor(principal, row)
    rules_ = rules(uow, version=row.policy_version)
    ev = d.reopen(item, actor=principal.actor, reason=reason)
    save_item(uow, row, item, rules_)
    record_event(uow, row, ev)
    notify_resident(
        uow,
        "reopened",
        row.resident_id,
        f"deed:{row.id}",
        ind=indicator_name(rules_, row.indicator),
        reason=ev.reason,
    )
    return row


def withdraw(uow: UnitOfWork, *, principal: Principal, item_id: int, reason: str) -> EvaluationItem:
    row, item = load_item(uow, item_id, lock=True)
    if principal.role != Role.RESIDENT or principal.resident_id != row.resident_id or item.negative:
        raise PermissionDenied("residents withdraw their own deeds")
    rules_ = rules(uow, version=row.policy_version)
    ev = d.withdraw(item, actor=principal.actor, reason=reason)
    save_item(uow, row, item, rules_)
    record_event(uow, row, ev)
    notify_resident(
        uow, "withdrawn", row.resident_id, f"deed:{row.id}", ind=indicator_name(rules_, row.indicator)
    )
    return row


def propose_deduction(
    uow: UnitOfWork,
    *,
    principal: Principal,
    resident_id: str,
    indicator: str,
    points: int,
    deed_date: date,
    description: str,
    uploads: Sequence[Upload] = (),
    severity: str | None = None,
) -> EvaluationItem:
    """An officer (or a grid worker, reporting) proposes a deduction with evidence; the policy's
    published basis is attached; a second officer must confirm it."""
    grid = grid_of_resident(uow, resident_id)
    path = unit_path_of(uow, grid)
    if principal.role == Role.GRID_WORKER:
        if principal.unit_code != grid:
            raise NotFound(f"no resident {resident_id} in your grid")
        by_officer = False
    elif principal.role in REVIEWERS:
        if not principal.covers(path):
            raise NotFound(f"no resident {resident_id} in your area")
        by_officer = True
    else:
        raise PermissionDenied("deductions are proposed by staff")
    if not description.strip():
        raise InvalidInput(Problem("describe what happened", field="description"))
    if deed_date > china_today(uow):
        raise InvalidInput(Problem("the date is in the future", field="deed_date"))
    for u in uploads:
        evidence_files.check(u.data, u.filename)
    rules_ = rules(uow)
    item, ev = d.new_deduction(
        rules_,
        resident_id=resident_id,
        grid_code=grid,
        indicator=indicator,
        points=points,
        severity=d.Severity(severity) if severity else None,
        evidence_count=len(uploads),
        actor=principal.actor,
        by_officer=by_officer,
    )
    check_caps(
        uow, rules_, resident_id=resident_id, indicator=indicator, deed_date=deed_date, points=item.points
    )
    row = new_item_row(uow, item, rules_, deed_date=deed_date, description=description)
    ev.data["files"] = store_files(uow, row, uploads, principal.actor)
    record_event(uow, row, ev)
    return row


def propose_from_record(
    uow: UnitOfWork,
    *,
    resident_id: str,
    indicator: str,
    points: int,
    deed_date: date,
    source_ref: str,
    interface: str,
    evidence: Sequence[str],
) -> EvaluationItem:
    """Big-data evaluation: a department record proposes points (the feeds capability calls this).

    Enters the path at the stage the policy names for the indicator. A positive whose indicator allows
    auto-posting posts at once (marked automated: the resident may ask for a person's review or refuse
    it); a negative always waits for two officers and the objection window. Idempotent on
    ``(interface, source_ref)``: a re-sent record returns the item it created the first time.
    """
    existing = repo.item_by_record(uow.db, interface, source_ref)
    if existing is not None:
        return existing
    rules_ = rules(uow)
    grid = grid_of_resident(uow, resident_id)
    actor = f"feed:{interface}"
    item, ev = d.new_record_proposal(
        rules_, resident_id=resident_id, grid_code=grid, indicator=indicator, points=points, actor=actor
    )
    row = new_item_row(
        uow,
        item,
        rules_,
        deed_date=deed_date,
        description=f"{interface}: {source_ref}",
        interface=interface,
        source_ref=source_ref,
        record_evidence=[str(e) for e in evidence] or [f"record:{interface}/{source_ref}"],
    )
    record_event(uow, row, ev)
    name = indicator_name(rules_, indicator)
    if item.state is d.State.APPROVED or item.negative:
        try:
            check_caps(
                uow,
                rules_,
                resident_id=resident_id,
                indicator=indicator,
                deed_date=deed_date,
                points=item.points,
                exclude_id=row.id,
            )
        except Conflict as e:  # kept, with the cap as its reason, so a re-sent record stays decided
            item.state, item.reason = d.State.REJECTED, str(e)
            save_item(uow, row, item, rules_)
            record_event(uow, row, d.Event("rejected", actor, item.reason))
            return row
    if item.state is d.State.APPROVED:
        post_item(uow, row, item, rules_, actor=actor)
    else:
        notify_resident(uow, "record_proposed", resident_id, f"deed:{row.id}", ind=name, points=item.points)
    return row


def withdraw_from_record(
    uow: UnitOfWork, *, interface: str, source_ref: str, actor: str, reason: str
) -> EvaluationItem | None:
    """A department corrected or withdrew a record: undo what its proposal caused (the feeds
    capability calls this). An item still on its way is withdrawn; a posted one is reversed
    (``source="correction"``); a decided-against one is left as it is. Idempotent."""
    row = repo.item_by_record(uow.db, interface, source_ref)
    if row is None:
        return None
    row = repo.item(uow.db, row.id, lock=True)
    assert row is not None
    reason = (reason or "").strip() or f"the department withdrew record {source_ref}"
    if row.state == d.State.POSTED.value and row.posted_seq is not None:
        if not is_reversed(uow, row.resident_id, row.posted_seq):
            seq = reverse_entry(
                uow,
                entry=ledger_entry(uow, row.resident_id, row.posted_seq),
                source="correction",
                actor=actor,
                reason=reason,
                ref=f"record:{interface}/{source_ref}",
            )
            record_event(uow, row, d.Event("record_withdrawn", actor, reason, {"seq": seq}))
            notify_resident(
                uow,
                "record_withdrawn",
                row.resident_id,
                f"deed:{row.id}",
                ind=indicator_name(rules(uow, version=row.policy_version), row.indicator),
                reason=reason,
            )
    elif d.State(row.state) in d.OPEN_STATES:
        row.state, row.reason, row.state_since, row.due_on = (
            d.State.WITHDRAWN.value,
            reason,
            uow.clock.now(),
            None,
        )
        for o in repo.objections_of(uow.db, row.resident_id):
            if o.item_id == row.id and o.state == "open":  # nothing left to decide
                o.state, o.decision_reason = "upheld", reason
                o.decided_at, o.decided_by = uow.clock.now(), actor
        record_event(uow, row, d.Event("record_withdrawn", actor, reason))
        notify_resident(
            uow,
            "record_withdrawn",
            row.resident_id,
            f"deed:{row.id}",
            ind=indicator_name(rules(uow, version=row.policy_version), row.indicator),
            reason=reason,
        )
    return row


def process_due(uow: UnitOfWork) -> list[int]:
    """Post the deductions whose objection window has passed with no open objection (run daily; the
    pages also run it). Returns the ids posted."""
    today = china_today(uow)
    posted = []
    for row in repo.notices_due(uow.db, today):
        row, item = load_item(uow, row.id, lock=True)
        rules_ = rules(uow, version=row.policy_version)
        if d.mature(item, today=today):
            save_item(uow, row, item, rules_)
            post_item(uow, row, item, rules_, actor="system:evaluation")
            posted.append(row.id)
    return posted
