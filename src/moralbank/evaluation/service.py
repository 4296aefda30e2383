"""Moral evaluation use cases: deeds, grid mutual evaluation, village review, big-data proposals,
deductions, objections, credit repair, human review of automated decisions, rings and deadlines.

Every step is kept in ``evaluation_event`` and told to the resident through ``notify.service.send``.
Points reach the ledger only through :func:`_post` (``ledger.service.post``), once per item. Services
never commit: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.evaluation import domain as d
from moralbank.evaluation import files as evidence_files
from moralbank.evaluation import repository as repo
from moralbank.evaluation.models import (
    EvaluationEvent,
    EvaluationItem,
    EvaluationVote,
    EvidenceFile,
    Objection,
    RingFlag,
)
from moralbank.evaluation.workdays import is_workday
from moralbank.kernel.clock import local_date

__all__ = [
    "Upload",
    "rules",
    "submit",
    "vote",
    "approve",
    "reject",
    "bulk_review",
    "reopen",
    "withdraw",
    "propose_deduction",
    "propose_from_record",
    "withdraw_from_record",
    "process_due",
    "object_to",
    "decide_objection",
    "apply_repair",
    "refuse_automated",
    "request_human_review",
    "get",
    "trail",
    "items_of",
    "objections_of",
    "pending_confirmations",
    "review_queue",
    "objections_due",
    "overdue",
    "audit_list",
    "ring_flags",
    "review_ring",
    "scan_rings",
    "evidence",
    "disputed_seqs",
]

REVIEWERS = frozenset({Role.VILLAGE_OFFICER, Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN})
AUDITORS = frozenset({Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN})
RING_LOOKBACK_DAYS = 180


@dataclass(frozen=True)
class Upload:
    """An evidence file as received (the web layer or a test builds it)."""

    filename: str
    data: bytes


# -- the policy, as evaluation reads it ------------------------------------------------------------


def rules_of(policy: Any) -> d.Rules:
    """The evaluation rules of a ``policy.domain.Policy``: points as magnitudes, stages, caps, limits."""
    from moralbank.policy.domain import Stage as PStage

    indicators = {}
    for code, ind in policy.indicators.items():
        neg = ind.is_negative
        lo, hi = (abs(ind.max_points), abs(ind.min_points)) if neg else (ind.min_points, ind.max_points)
        path = ind.path(PStage.BIGDATA)
        stage = d.Stage.AUTO if not path else (d.Stage.GRID if path[0] is PStage.GRID else d.Stage.VILLAGE)
        indicators[code] = d.IndicatorRule(
            code=code,
            name=ind.name_zh,
            aspect=ind.aspect,
            negative=neg,
            min_points=lo,
            max_points=hi,
            quorum=ind.quorum if ind.applies(PStage.GRID) else 0,
            record_stage=stage,
            auto_post=bool(ind.auto_post and not neg),
            basis=ind.basis_zh,
            severity=d.Severity(ind.severity.value) if ind.severity else None,
            display_months=ind.display_months,
            evidence_required=ind.evidence_required,
            self_submit=ind.applies(PStage.SELF),
            default_points=abs(ind.points),
            caps=tuple(d.CapRule(str(c.period.value), c.max_points, c.max_count) for c in ind.caps),
        )
    ev, obj = policy.evaluation, policy.objections
    stage_days = {str(getattr(k, "value", k)): v for k, v in ev.deadlines.items()}
    village = stage_days.get("village", d.DEFAULT_DEADLINES["village_review"])
    deadlines = {
        "grid_review": stage_days.get("grid", d.DEFAULT_DEADLINES["grid_review"]),
        "village_review": village,
        "confirm_review": village,
        "objection_mark": obj.mark_disputed,
        "objection_decide": obj.decide,
        "repair_decide": policy.repair.decide,
    }
    return d.Rules(
        version=str(policy.version),
        indicators=indicators,
        deadlines=deadlines,
        objection_window=obj.window_working_days,
        display_months={
            d.Severity(str(getattr(k, "value", k))): v for k, v in policy.negatives.display_months.items()
        },
        repair_min_months={
            d.Severity(str(getattr(k, "value", k))): v for k, v in policy.repair.min_months.items()
        },
        submissions_per_day=ev.rate_limits.submissions_per_day,
        submissions_per_hour=ev.rate_limits.submissions_per_hour,
        confirmations_per_day=ev.rate_limits.confirmations_per_day,
        submit_within_days=ev.submit_within_days,
    )


def rules(uow: UnitOfWork, *, version: str | None = None) -> d.Rules:
    """The evaluation rules of the active policy (or of a version items were decided under)."""
    from moralbank.policy import service as policy_service

    policy = policy_service.get(uow, version=int(version)) if version else policy_service.active(uow)
    key = f"evaluation.rules:{policy.version}:{policy.sha256}"
    cached = uow.deps.cache.get(key)
    if cached is None:
        cached = uow.deps.cache[key] = rules_of(policy)
    return cached


# -- helpers ---------------------------------------------------------------------------------------------


def _today(uow: UnitOfWork) -> date:
    return local_date(uow.clock.now())


def _grid_of(uow: UnitOfWork, resident_id: str) -> str:
    from moralbank.residents import service as residents

    return residents.grid_of(uow, resident_id=resident_id)


def _household(uow: UnitOfWork, resident_id: str) -> set[str]:
    from moralbank.residents import service as residents

    return set(residents.household_members(uow, resident_id=resident_id))


def _path_of(uow: UnitOfWork, code: str) -> str:
    from moralbank.orgs import service as orgs

    return orgs.path_of(uow, code=code)


def _village_path(grid_path: str) -> str:
    """``/330281/330281001/330281001001/G01/`` → the village's path (one level up)."""
    parts = [p for p in grid_path.split("/") if p]
    return "/" + "/".join(parts[:-1]) + "/" if len(parts) > 1 else grid_path


def _to_item(row: EvaluationItem, votes: Iterable[EvaluationVote] | None = None) -> d.Item:
    return d.Item(
        resident_id=row.resident_id,
        grid_code=row.grid_code,
        indicator=row.indicator,
        negative=row.negative,
        origin=d.Origin(row.origin),
        state=d.State(row.state),
        points=row.points,
        automated=row.automated,
        proposer=row.proposer,
        votes=[d.Vote(v.voter, v.actor, v.confirm, v.reason) for v in (votes or [])],
        approvals=list(row.approvals or []),
        reason=row.reason,
        severity=d.Severity(row.severity) if row.severity else None,
        effective_on=row.effective_on,
        posted_seq=row.posted_seq,
        quorum=row.quorum,
    )


def _load(uow: UnitOfWork, item_id: int, *, lock: bool = False) -> tuple[EvaluationItem, d.Item]:
    row = repo.item(uow.db, item_id, lock=lock)
    if row is None:
        raise NotFound(f"no evaluation item {item_id}")
    return row, _to_item(row, repo.votes(uow.db, item_id))


def _save(uow: UnitOfWork, row: EvaluationItem, item: d.Item, rules_: d.Rules) -> None:
    """Copy the domain item back; a change of state restarts the stage clock and its deadline."""
    if row.state != item.state.value:
        row.state = item.state.value
        row.state_since = uow.clock.now()
        row.due_on = d.stage_due(rules_, item.state, _today(uow), is_workday)
    row.points = item.points
    row.approvals = list(item.approvals)
    row.reason = item.reason
    row.effective_on = item.effective_on
    row.posted_seq = item.posted_seq
    row.severity = item.severity.value if item.severity else None
    row.automated = item.automated
    if item.state is d.State.GRID_REVIEW and not item.votes:
        for v in repo.votes(uow.db, row.id):  # a reopened deed starts grid evaluation afresh
            uow.db.delete(v)
    uow.db.flush()


def _event(
    uow: UnitOfWork,
    row: EvaluationItem | None,
    ev: d.Event,
    *,
    resident_id: str | None = None,
    objection: Objection | None = None,
) -> EvaluationEvent:
    e = EvaluationEvent(
        resident_id=resident_id or (row.resident_id if row else objection.resident_id),
        item_id=row.id if row else (objection.item_id if objection else None),
        objection_id=objection.id if objection else None,
        action=ev.action,
        actor=ev.actor,
        reason=ev.reason,
        data=ev.data,
        at=uow.clock.now(),
    )
    repo.add(uow.db, e)
    return e


def _indicator_name(rules_: d.Rules, code: str) -> str:
    rule = rules_.indicators.get(code)
    return rule.name if rule else code


def _tell(uow: UnitOfWork, resident_id: str, subject: str, body: str, ref: str) -> None:
    from moralbank.notify import service as notify

    notify.send(uow, resident_id=resident_id, subject=subject, body=body, ref=ref)


MESSAGES = {
    # action → (subject, body); zh-CN is the source language (docs/evaluation.md lists them)
    "submitted": ("您的善行已提交", "「{ind}」已提交，等待网格互评。"),
    "assisted_entry": ("网格员为您录入了善行", "网格员代为录入「{ind}」，等待网格互评。"),
    "advanced_village": ("善行已通过网格互评", "「{ind}」已获网格确认，等待村（社区）评议。"),
    "approved": ("善行已通过评议", "「{ind}」已通过村（社区）评议，{points} 分将记入您的道德积分。"),
    "posted": ("积分已入账", "「{ind}」{points} 分已记入道德银行（流水号 {seq}）。"),
    "rejected": ("评议未通过", "「{ind}」未通过：{reason}。如有异议，可在“我的评议”页面提出。"),
    "record_proposed": ("部门数据评价", "根据部门数据，拟为您记录「{ind}」{points} 分，正在审核。"),
    "deduction_notice": (
        "扣分告知",
        "拟因「{ind}」扣 {points} 分（依据：{basis}）。如无异议，将于 {effective} 生效；"
        "您可在此之前提出异议。",
    ),
    "deduction_posted": ("扣分已生效", "「{ind}」扣 {points} 分已生效，展示至 {expires}。"),
    "reopened": ("评议已重新打开", "「{ind}」经上级复核重新进入评议：{reason}。"),
    "objection_marked": ("异议已受理", "您的异议已受理，相关记录已标注为“有异议”，将于 {due} 前作出决定。"),
    "objection_upheld": ("异议成立", "您的异议成立：{reason}。"),
    "objection_rejected": ("异议未成立", "您的异议未成立，理由：{reason}。"),
    "repair_received": ("信用修复申请已受理", "您的信用修复申请已受理，将于 {due} 前作出决定。"),
    "repair_upheld": ("信用修复已完成", "修复成功：该记录已不再计入积分和公开查询。{reason}"),
    "repair_rejected": ("信用修复未通过", "信用修复未通过，理由：{reason}。"),
    "refused": ("已拒绝自动化决定", "您已拒绝该自动化决定，相关积分已冲回。"),
    "withdrawn": ("已撤回", "「{ind}」已撤回。"),
    "record_withdrawn": ("部门数据已更正", "部门更正了「{ind}」所依据的记录，相关评议已撤回：{reason}。"),
}


def _notify(uow: UnitOfWork, key: str, resident_id: str, ref: str, **values: Any) -> None:
    subject, body = MESSAGES[key]
    _tell(uow, resident_id, subject, body.format(**values), ref)


# -- authorisation -------------------------------------------------------------------------------------


def _require_reviewer(principal: Principal, row: EvaluationItem | Objection) -> None:
    if principal.role not in REVIEWERS:
        raise PermissionDenied("only village/community officers (or the levels above) decide")
    if not principal.covers(row.unit_path):
        raise NotFound("no such item in your area")


def _require_auditor(principal: Principal, row: EvaluationItem) -> None:
    if principal.role not in AUDITORS:
        raise PermissionDenied("only township and city staff audit and reopen")
    if not principal.covers(row.unit_path):
        raise NotFound("no such item in your area")


def _may_read(principal: Principal, row: EvaluationItem | Objection) -> bool:
    if principal.role == Role.RESIDENT:
        return principal.resident_id == row.resident_id
    if principal.role == Role.GRID_WORKER:
        return principal.covers(row.unit_path)
    if principal.role in (*REVIEWERS, Role.AUDITOR):
        return principal.covers(row.unit_path)
    return False


# -- deeds -----------------------------------------------------------------------------------------------


def _store_files(uow: UnitOfWork, row: EvaluationItem, uploads: Sequence[Upload], actor: str) -> list[str]:
    if len(uploads) > evidence_files.MAX_FILES:
        raise InvalidInput(Problem(f"at most {evidence_files.MAX_FILES} files", field="evidence"))
    checked = [
        (u, evidence_files.check(u.data, u.filename)) for u in uploads
    ]  # all checked before any is kept
    hashes = []
    for upload, media_type in checked:
        digest = evidence_files.store(uow.deps.settings.files_dir, upload.data)
        repo.add(
            uow.db,
            EvidenceFile(
                resident_id=row.resident_id,
                item_id=row.id,
                sha256=digest,
                media_type=media_type,
                size=len(upload.data),
                filename=upload.filename[-200:],
                uploaded_by=actor,
                created_at=uow.clock.now(),
            ),
        )
        hashes.append(digest)
    return hashes


def _new_row(
    uow: UnitOfWork,
    item: d.Item,
    rules_: d.Rules,
    *,
    deed_date: date,
    description: str,
    witnesses: Sequence[str] = (),
    interface: str | None = None,
    source_ref: str | None = None,
    record_evidence: Sequence[str] = (),
) -> EvaluationItem:
    now = uow.clock.now()
    rule = rules_.indicator(item.indicator)
    row = EvaluationItem(
        resident_id=item.resident_id,
        grid_code=item.grid_code,
        unit_path=_path_of(uow, item.grid_code),
        indicator=item.indicator,
        aspect=rule.aspect,
        negative=item.negative,
        origin=item.origin.value,
        state=item.state.value,
        points=item.points,
        automated=item.automated,
        proposer=item.proposer,
        approvals=list(item.approvals),
        quorum=item.quorum,
        reason="",
        severity=item.severity.value if item.severity else None,
        deed_date=deed_date,
        description=description.strip(),
        witnesses=[w.strip() for w in witnesses if w.strip()],
        record_evidence=list(record_evidence),
        interface=interface,
        source_ref=source_ref,
        policy_version=rules_.version,
        state_since=now,
        due_on=d.stage_due(rules_, item.state, local_date(now), is_workday),
        created_at=now,
    )
    repo.add(uow.db, row)
    return row


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
    grid = _grid_of(uow, resident_id)
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
        today=_today(uow),
        evidence_count=len(uploads),
    )
    rule = rules_.indicator(indicator)
    _check_cap(uow, rules_, resident_id=resident_id, indicator=indicator, deed_date=deed_date, points=0)
    row = _new_row(uow, item, rules_, deed_date=deed_date, description=description, witnesses=witnesses)
    ev.data["files"] = _store_files(uow, row, uploads, principal.actor)
    _event(uow, row, ev)
    _notify(uow, ev.action, resident_id, f"deed:{row.id}", ind=rule.name)
    return row


def vote(
    uow: UnitOfWork, *, principal: Principal, item_id: int, confirm: bool, reason: str = ""
) -> EvaluationItem:
    """Grid mutual evaluation: the grid worker or a resident of the same grid confirms or disputes."""
    row, item = _load(uow, item_id, lock=True)
    rules_ = rules(uow, version=row.policy_version)
    if principal.role == Role.RESIDENT and principal.resident_id:
        voter = d.Voter(principal.actor, _grid_of(uow, principal.resident_id), principal.resident_id)
    elif principal.role == Role.GRID_WORKER:
        voter = d.Voter(principal.actor, principal.unit_code, is_grid_worker=True)
    else:
        raise PermissionDenied("grid mutual evaluation is for the grid worker and residents of the grid")
    d.check_confirmation_rate(
        rules_, today=repo.votes_since(uow.db, voter.voice, uow.clock.now() - timedelta(days=1))
    )
    household = _household(uow, row.resident_id) if voter.resident_id else set()
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
    _save(uow, row, item, rules_)
    _event(uow, row, ev)
    name = _indicator_name(rules_, row.indicator)
    if item.state is d.State.VILLAGE_REVIEW:
        _notify(uow, "advanced_village", row.resident_id, f"deed:{row.id}", ind=name)
    elif item.state is d.State.REJECTED:
        _notify(uow, "rejected", row.resident_id, f"deed:{row.id}", ind=name, reason=item.reason)
    if confirm and voter.resident_id:
        # Only a pair that now confirms each other often enough can close a ring: scan then.
        since = uow.clock.now() - timedelta(days=RING_LOOKBACK_DAYS)
        pairs = repo.pair_confirmations(
            uow.db, confirmer=voter.resident_id, owner=row.resident_id, since=since
        )
        if pairs >= rules_.ring_min_confirmations:
            scan_rings(uow, village_path=_village_path(row.unit_path))
    return row


def approve(
    uow: UnitOfWork, *, principal: Principal, item_id: int, points: int | None = None
) -> EvaluationItem:
    """A village/community officer approves (with points in the policy's range). A deduction needs a
    second, different officer; its confirmation opens the objection window."""
    row, item = _load(uow, item_id, lock=True)
    _require_reviewer(principal, row)
    rules_ = rules(uow, version=row.policy_version)
    today = _today(uow)
    ev = d.approve(item, rules_, actor=principal.actor, points=points, today=today, is_workday=is_workday)
    if not item.negative:
        _check_cap(
            uow,
            rules_,
            resident_id=row.resident_id,
            indicator=row.indicator,
            deed_date=row.deed_date,
            points=item.points,
            exclude_id=row.id,
        )
    _save(uow, row, item, rules_)
    _event(uow, row, ev)
    name = _indicator_name(rules_, row.indicator)
    if item.state is d.State.NOTICE:
        _notify(
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
        _notify(uow, "approved", row.resident_id, f"deed:{row.id}", ind=name, points=item.points)
        _post(uow, row, item, rules_, actor=principal.actor)
    return row


def reject(uow: UnitOfWork, *, principal: Principal, item_id: int, reason: str) -> EvaluationItem:
    row, item = _load(uow, item_id, lock=True)
    _require_reviewer(principal, row)
    rules_ = rules(uow, version=row.policy_version)
    ev = d.reject(item, actor=principal.actor, reason=reason)
    _save(uow, row, item, rules_)
    _event(uow, row, ev)
    _notify(
        uow,
        "rejected",
        row.resident_id,
        f"deed:{row.id}",
        ind=_indicator_name(rules_, row.indicator),
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
    row, item = _load(uow, item_id, lock=True)
    _require_auditor(principal, row)
    rules_ = rules(uow, version=row.policy_version)
    ev = d.reopen(item, actor=principal.actor, reason=reason)
    _save(uow, row, item, rules_)
    _event(uow, row, ev)
    _notify(
        uow,
        "reopened",
        row.resident_id,
        f"deed:{row.id}",
        ind=_indicator_name(rules_, row.indicator),
        reason=ev.reason,
    )
    return row


def withdraw(uow: UnitOfWork, *, principal: Principal, item_id: int, reason: str) -> EvaluationItem:
    row, item = _load(uow, item_id, lock=True)
    if principal.role != Role.RESIDENT or principal.resident_id != row.resident_id or item.negative:
        raise PermissionDenied("residents withdraw their own deeds")
    rules_ = rules(uow, version=row.policy_version)
    ev = d.withdraw(item, actor=principal.actor, reason=reason)
    _save(uow, row, item, rules_)
    _event(uow, row, ev)
    _notify(uow, "withdrawn", row.resident_id, f"deed:{row.id}", ind=_indicator_name(rules_, row.indicator))
    return row


# -- deductions and big data -----------------------------------------------------------------------------


def _check_cap(
    uow: UnitOfWork,
    rules_: d.Rules,
    *,
    resident_id: str,
    indicator: str,
    deed_date: date,
    points: int,
    exclude_id: int | None = None,
) -> None:
    """The policy's caps for the indicator in each period the deed date falls in."""
    rule = rules_.indicator(indicator)
    d.check_cap(
        rule,
        lambda period: repo.used_in_period(
            uow.db,
            resident_id,
            indicator,
            d.period_start(deed_date, period),
            d.period_end(deed_date, period),
            exclude_id=exclude_id,
            pending=rule.negative,
        ),
        points,
    )


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
    grid = _grid_of(uow, resident_id)
    path = _path_of(uow, grid)
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
    if deed_date > _today(uow):
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
    _check_cap(
        uow, rules_, resident_id=resident_id, indicator=indicator, deed_date=deed_date, points=item.points
    )
    row = _new_row(uow, item, rules_, deed_date=deed_date, description=description)
    ev.data["files"] = _store_files(uow, row, uploads, principal.actor)
    _event(uow, row, ev)
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
    grid = _grid_of(uow, resident_id)
    actor = f"feed:{interface}"
    item, ev = d.new_record_proposal(
        rules_, resident_id=resident_id, grid_code=grid, indicator=indicator, points=points, actor=actor
    )
    row = _new_row(
        uow,
        item,
        rules_,
        deed_date=deed_date,
        description=f"{interface}: {source_ref}",
        interface=interface,
        source_ref=source_ref,
        record_evidence=[str(e) for e in evidence] or [f"record:{interface}/{source_ref}"],
    )
    _event(uow, row, ev)
    name = _indicator_name(rules_, indicator)
    if item.state is d.State.APPROVED or item.negative:
        try:
            _check_cap(
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
            _save(uow, row, item, rules_)
            _event(uow, row, d.Event("rejected", actor, item.reason))
            return row
    if item.state is d.State.APPROVED:
        _post(uow, row, item, rules_, actor=actor)
    else:
        _notify(uow, "record_proposed", resident_id, f"deed:{row.id}", ind=name, points=item.points)
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
        if not _is_reversed(uow, row.resident_id, row.posted_seq):
            seq = _reverse(
                uow,
                entry=_entry(uow, row.resident_id, row.posted_seq),
                source="correction",
                actor=actor,
                reason=reason,
                ref=f"record:{interface}/{source_ref}",
            )
            _event(uow, row, d.Event("record_withdrawn", actor, reason, {"seq": seq}))
            _notify(
                uow,
                "record_withdrawn",
                row.resident_id,
                f"deed:{row.id}",
                ind=_indicator_name(rules(uow, version=row.policy_version), row.indicator),
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
        _event(uow, row, d.Event("record_withdrawn", actor, reason))
        _notify(
            uow,
            "record_withdrawn",
            row.resident_id,
            f"deed:{row.id}",
            ind=_indicator_name(rules(uow, version=row.policy_version), row.indicator),
            reason=reason,
        )
    return row


def process_due(uow: UnitOfWork) -> list[int]:
    """Post the deductions whose objection window has passed with no open objection (run daily; the
    pages also run it). Returns the ids posted."""
    today = _today(uow)
    posted = []
    for row in repo.notices_due(uow.db, today):
        row, item = _load(uow, row.id, lock=True)
        rules_ = rules(uow, version=row.policy_version)
        if d.mature(item, today=today):
            _save(uow, row, item, rules_)
            _post(uow, row, item, rules_, actor="system:evaluation")
            posted.append(row.id)
    return posted


def _trail_refs(uow: UnitOfWork, row: EvaluationItem) -> tuple[str, ...]:
    """The whole trail as evidence references on the ledger entry."""
    refs = [f"evaluation:{row.id}"]
    refs += [f"file:sha256:{f.sha256}" for f in repo.files(uow.db, row.id)]
    refs += [
        f"record:{e}" if not str(e).startswith("record:") else str(e) for e in (row.record_evidence or [])
    ]
    refs += [f"{'confirm' if v.confirm else 'dispute'}:{v.voter}" for v in repo.votes(uow.db, row.id)]
    refs += [f"approval:{a}" for a in row.approvals or []]
    refs += [f"witness:{w}" for w in row.witnesses or []]
    return tuple(refs)


def _post(uow: UnitOfWork, row: EvaluationItem, item: d.Item, rules_: d.Rules, *, actor: str) -> None:
    """Post an approved item to the ledger, once (the row is locked; ``posted_seq`` is unique)."""
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    d.ready_to_post(item, rules_)
    rule = rules_.indicator(row.indicator)
    today = _today(uow)
    expires_on = None
    if item.negative:
        severity = item.severity or d.Severity.GENERAL
        expires_on = d.display_until(rules_, severity, item.effective_on or today, row.indicator)
    if item.negative:
        reason = f"{rule.name}：{rule.basis}"
    elif item.automated:
        reason = f"{rule.name}（部门数据自动评价）"
    else:
        reason = f"{rule.name}（自评—网格互评—村社区评议）" if item.quorum else f"{rule.name}（村社区评议）"
    entry = NewEntry(
        resident_id=row.resident_id,
        indicator=row.indicator,
        aspect=rule.aspect,
        points=d.ledger_points(item),
        deed_date=row.deed_date,
        source="department" if item.origin is d.Origin.RECORD else "evaluation",
        actor=actor,
        policy_version=row.policy_version,
        reason=reason,
        source_ref=f"evaluation:{row.id}",
        evidence=_trail_refs(uow, row),
        severity=item.severity.value if item.negative and item.severity else None,
        expires_on=expires_on,
    )
    [posted] = ledger.post(uow, [entry])
    d.mark_posted(item, posted.seq)
    row.expires_on = expires_on
    _save(uow, row, item, rules_)
    _event(
        uow,
        row,
        d.Event(
            "posted",
            actor,
            data={
                "seq": posted.seq,
                "points": entry.points,
                "expires_on": expires_on.isoformat() if expires_on else None,
            },
        ),
    )
    name = rule.name
    if item.negative:
        _notify(
            uow,
            "deduction_posted",
            row.resident_id,
            f"ledger:{posted.seq}",
            ind=name,
            points=item.points,
            expires=expires_on.isoformat() if expires_on else "",
        )
    else:
        _notify(
            uow,
            "posted",
            row.resident_id,
            f"ledger:{posted.seq}",
            ind=name,
            points=item.points,
            seq=posted.seq,
        )


# -- objections, human review, refusal, repair ------------------------------------------------------------


def _entry(uow: UnitOfWork, resident_id: str, seq: int) -> Any:
    from moralbank.ledger import service as ledger

    entry = ledger.get(uow, seq=seq)
    if entry.resident_id != resident_id:
        raise NotFound(f"no ledger entry {seq}")
    return entry


def _is_reversed(uow: UnitOfWork, resident_id: str, seq: int) -> bool:
    from moralbank.ledger import service as ledger

    return any(e.reverses_seq == seq for e in ledger.entries_of(uow, resident_id=resident_id))


def _reverse(uow: UnitOfWork, *, entry: Any, source: str, actor: str, reason: str, ref: str) -> int:
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    if _is_reversed(uow, entry.resident_id, entry.seq):
        raise Conflict(f"ledger entry {entry.seq} is already reversed")
    [posted] = ledger.post(
        uow,
        [
            NewEntry(
                resident_id=entry.resident_id,
                indicator=entry.indicator,
                aspect=entry.aspect,
                points=-entry.points,
                deed_date=entry.deed_date,
                source=source,
                actor=actor,
                policy_version=entry.policy_version,
                reason=reason,
                source_ref=ref,
                evidence=(ref, f"ledger:{entry.seq}"),
                reverses_seq=entry.seq,
                severity=entry.severity,
                expires_on=entry.expires_on,
            )
        ],
    )
    item = repo.item_by_seq(uow.db, entry.seq)
    if item is not None:
        item.state = d.State.REVERSED.value
        item.state_since = uow.clock.now()
        item.due_on = None
    return posted.seq


def _require_resident(principal: Principal, resident_id: str) -> None:
    if principal.role != Role.RESIDENT or principal.resident_id != resident_id:
        raise PermissionDenied("only the resident concerned can do this")


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
    kind_ = d.ObjectionKind(kind)
    if kind_ not in (d.ObjectionKind.OBJECTION, d.ObjectionKind.HUMAN_REVIEW):
        raise InvalidInput(Problem("kind is objection or human_review", field="kind"))
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
    _require_resident(principal, resident_id)
    if ledger_seq is not None:
        _entry(uow, resident_id, ledger_seq)  # NotFound unless it is this resident's
        if _is_reversed(uow, resident_id, ledger_seq):
            raise Conflict("this entry has already been reversed")
    if repo.open_objection_on(uow.db, item_id=row.id if row else None, ledger_seq=ledger_seq):
        raise Conflict("there is already an open objection on this")
    if kind_ is d.ObjectionKind.HUMAN_REVIEW and not (row and row.automated):
        raise InvalidInput(
            Problem("only automated decisions are reviewed on request; object instead", field="kind")
        )
    rules_ = rules(uow)
    today = _today(uow)
    o = d.new_objection(
        rules_, kind=kind_, resident_id=resident_id, statement=statement, today=today, is_workday=is_workday
    )
    grid_path = row.unit_path if row else _path_of(uow, _grid_of(uow, resident_id))
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
    _event(uow, None, d.Event(kind_.value + "_opened", principal.actor, o.reason), objection=obj)
    # Marked disputed now, well within the 1-working-day limit.
    if row is not None and d.State(row.state) in d.OPEN_STATES:
        item = _to_item(row, repo.votes(uow.db, row.id))
        obj.prior_state = row.state
        ev = d.dispute(item, actor="system:evaluation")
        _save(uow, row, item, rules_)
        _event(uow, row, ev, objection=obj)
    else:  # a decided item or a ledger entry: the objection itself is the mark
        _event(uow, None, d.Event("marked_disputed", "system:evaluation"), objection=obj)
    obj.marked_at = uow.clock.now()
    _notify(uow, "objection_marked", resident_id, f"objection:{obj.id}", due=obj.decide_due.isoformat())
    return obj


def refuse_automated(
    uow: UnitOfWork, *, principal: Principal, item_id: int, statement: str = ""
) -> Objection:
    """The resident refuses a decision made by automation alone: its points are reversed at once."""
    row = repo.item(uow.db, item_id, lock=True)
    if row is None:
        raise NotFound(f"no evaluation item {item_id}")
    _require_resident(principal, row.resident_id)
    if not row.automated or row.state != d.State.POSTED.value or row.posted_seq is None:
        raise Conflict("only a posted automated decision can be refused")
    today = _today(uow)
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
    entry = _entry(uow, row.resident_id, row.posted_seq)
    obj.outcome_seq = _reverse(
        uow,
        entry=entry,
        source="objection",
        actor=principal.actor,
        reason="居民拒绝仅由自动化作出的决定",
        ref=f"objection:{obj.id}",
    )
    _event(
        uow, row, d.Event("refused", principal.actor, obj.statement, {"seq": obj.outcome_seq}), objection=obj
    )
    _notify(uow, "refused", row.resident_id, f"objection:{obj.id}")
    return obj


def request_human_review(uow: UnitOfWork, *, principal: Principal, item_id: int, statement: str) -> Objection:
    return object_to(uow, principal=principal, item_id=item_id, statement=statement, kind="human_review")


def apply_repair(uow: UnitOfWork, *, principal: Principal, ledger_seq: int, commitment: str) -> Objection:
    """Credit repair: after the policy's minimum period a resident applies, with a written commitment,
    to have a negative record leave the score and public views. Decision within 3 working days."""
    resident_id = principal.resident_id or ""
    _require_resident(principal, resident_id)
    entry = _entry(uow, resident_id, ledger_seq)
    if entry.points >= 0 or entry.reverses_seq is not None:
        raise InvalidInput(Problem("only a negative record can be repaired", field="ledger_seq"))
    if _is_reversed(uow, resident_id, ledger_seq):
        raise Conflict("this record has already been reversed or repaired")
    if repo.open_objection_on(uow.db, ledger_seq=ledger_seq):
        raise Conflict("there is already an open request on this record")
    rules_ = rules(uow)
    today = _today(uow)
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
        is_workday=is_workday,
    )
    row = repo.item_by_seq(uow.db, ledger_seq)
    obj = Objection(
        resident_id=resident_id,
        kind="repair",
        state="open",
        item_id=row.id if row else None,
        ledger_seq=ledger_seq,
        unit_path=row.unit_path if row else _path_of(uow, _grid_of(uow, resident_id)),
        statement=o.reason,
        opened_at=uow.clock.now(),
        marked_at=None,
        mark_due=o.mark_due,
        decide_due=o.decide_due,
        decision_reason="",
    )
    repo.add(uow.db, obj)
    _event(uow, None, d.Event("repair_applied", principal.actor, o.reason), objection=obj)
    _notify(uow, "repair_received", resident_id, f"objection:{obj.id}", due=obj.decide_due.isoformat())
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
    _require_reviewer(principal, obj)
    row = repo.item(uow.db, obj.item_id, lock=True) if obj.item_id else None
    if row is not None and principal.actor in (row.approvals or []) and obj.kind != "repair":
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
    today = _today(uow)
    repair = obj.kind == "repair"
    if upheld and obj.ledger_seq is not None and (row is None or row.state == d.State.POSTED.value):
        entry = _entry(uow, obj.resident_id, obj.ledger_seq)
        obj.outcome_seq = _reverse(
            uow,
            entry=entry,
            source="repair" if repair else "objection",
            actor=principal.actor,
            reason=o.decision_reason,
            ref=f"objection:{obj.id}",
        )
    elif row is not None and row.state == d.State.DISPUTED.value:
        item = _to_item(row, repo.votes(uow.db, row.id))
        prior = d.State(obj.prior_state or d.State.VILLAGE_REVIEW.value)
        ev = d.settle_dispute(
            item, upheld=upheld, actor=principal.actor, reason=o.decision_reason, prior=prior, today=today
        )
        _save(uow, row, item, rules_)
        _event(uow, row, ev, objection=obj)
        if item.state is d.State.APPROVED:
            _post(uow, row, item, rules_, actor=principal.actor)
    elif upheld and row is not None and row.state == d.State.REJECTED.value:
        item = _to_item(row, repo.votes(uow.db, row.id))
        ev = d.reopen(item, actor=principal.actor, reason=o.decision_reason)
        _save(uow, row, item, rules_)
        _event(uow, row, ev, objection=obj)
    action = ("repair_" if repair else "objection_") + ("upheld" if upheld else "rejected")
    _event(
        uow,
        None,
        d.Event(
            action, principal.actor, o.decision_reason, {"seq": obj.outcome_seq} if obj.outcome_seq else {}
        ),
        objection=obj,
    )
    _notify(uow, action, obj.resident_id, f"objection:{obj.id}", reason=o.decision_reason)
    return obj


# -- rings -----------------------------------------------------------------------------------------------


def scan_rings(uow: UnitOfWork, *, village_path: str) -> list[RingFlag]:
    """Find reciprocal confirmation rings among residents under a village and flag new ones."""
    rules_ = rules(uow)
    since = uow.clock.now() - timedelta(days=RING_LOOKBACK_DAYS)
    rings = d.find_rings(
        repo.resident_confirmations(uow.db, path_prefix=village_path, since=since),
        min_each=rules_.ring_min_confirmations,
        max_length=rules_.ring_max_length,
    )
    flagged = []
    for ring in rings:
        evidence = [[a, b, list(ids)] for (a, b), ids in ring.edges.items()]
        flag = repo.ring(uow.db, ring.key)
        now = uow.clock.now()
        if flag is None:
            flag = RingFlag(
                resident_id=ring.members[0],
                village_path=village_path,
                members_key=ring.key,
                members=list(ring.members),
                evidence=evidence,
                status="open",
                created_at=now,
                updated_at=now,
            )
            repo.add(uow.db, flag)
        elif flag.evidence != evidence:
            flag.evidence, flag.updated_at = evidence, now
            if flag.status == "dismissed":
                flag.status = "open"  # new deeds since it was dismissed: look again
        flagged.append(flag)
    return flagged


def ring_flags(uow: UnitOfWork, *, principal: Principal, status: str | None = "open") -> list[RingFlag]:
    if principal.role not in (*REVIEWERS, Role.AUDITOR):
        raise PermissionDenied("ring flags are for officers")
    return repo.rings_in(uow.db, principal.unit_path, status)


def review_ring(uow: UnitOfWork, *, principal: Principal, flag_id: int, status: str, note: str) -> RingFlag:
    """The officer marks a flag ``confirmed`` (gaming: act on the deeds) or ``dismissed``, with a note."""
    flag = repo.ring_by_id(uow.db, flag_id)
    if flag is None or principal.role not in REVIEWERS or not principal.covers(flag.village_path):
        raise NotFound(f"no ring flag {flag_id}")
    if status not in ("confirmed", "dismissed"):
        raise InvalidInput(Problem("status is confirmed or dismissed", field="status"))
    if not note.strip():
        raise InvalidInput(Problem("say why", field="note"))
    flag.status, flag.note, flag.reviewed_by, flag.updated_at = (
        status,
        note.strip(),
        principal.actor,
        uow.clock.now(),
    )
    return flag


# -- reading ---------------------------------------------------------------------------------------------


def get(uow: UnitOfWork, *, principal: Principal, item_id: int) -> EvaluationItem:
    row = repo.item(uow.db, item_id)
    if row is None or not _may_read(principal, row):
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
    return Trail(
        row,
        repo.votes(uow.db, row.id),
        repo.files(uow.db, row.id),
        repo.events(uow.db, item_id=row.id),
        objs,
        rule.basis if rule else "",
        rule.name if rule else row.indicator,
    )


def items_of(uow: UnitOfWork, *, principal: Principal, resident_id: str) -> list[EvaluationItem]:
    rows = repo.items_of(uow.db, resident_id)
    return [r for r in rows if _may_read(principal, r)]


def objections_of(uow: UnitOfWork, *, principal: Principal, resident_id: str) -> list[Objection]:
    return [o for o in repo.objections_of(uow.db, resident_id) if _may_read(principal, o)]


def pending_confirmations(uow: UnitOfWork, *, principal: Principal) -> list[EvaluationItem]:
    """Deeds in the caller's grid waiting for mutual evaluation that the caller may still take part in."""
    if principal.role == Role.GRID_WORKER:
        grid, me, household = principal.unit_code, principal.actor, set()
    elif principal.role == Role.RESIDENT and principal.resident_id:
        grid, me = _grid_of(uow, principal.resident_id), f"resident:{principal.resident_id}"
        household = _household(uow, principal.resident_id) | {principal.resident_id}
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
    return out


def review_queue(uow: UnitOfWork, *, principal: Principal) -> list[EvaluationItem]:
    if principal.role not in REVIEWERS:
        raise PermissionDenied("the review queue is for officers")
    process_due(uow)
    return repo.items_in(
        uow.db,
        states=[d.State.VILLAGE_REVIEW.value, d.State.CONFIRM_REVIEW.value],
        path_prefix=principal.unit_path,
    )


def objections_due(uow: UnitOfWork, *, principal: Principal) -> list[Objection]:
    if principal.role not in (*REVIEWERS, Role.AUDITOR):
        raise PermissionDenied("objections are decided by officers")
    return repo.objections_in(uow.db, path_prefix=principal.unit_path, state="open")


@dataclass(frozen=True)
class Overdue:
    items: list[EvaluationItem]
    objections: list[Objection]


def overdue(uow: UnitOfWork, *, principal: Principal) -> Overdue:
    """Items and objections past their working-day deadline, for the level above (township/city)."""
    if principal.role not in (Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN, Role.AUDITOR, Role.VILLAGE_OFFICER):
        raise PermissionDenied("the overdue list is for officers")
    today = _today(uow)
    objs = [
        o
        for o in repo.objections_in(uow.db, path_prefix=principal.unit_path, state="open")
        if o.decide_due < today
    ]
    return Overdue(repo.overdue_items(uow.db, today=today, path_prefix=principal.unit_path), objs)


def audit_list(
    uow: UnitOfWork, *, principal: Principal, state: str = "rejected", limit: int = 200
) -> list[EvaluationItem]:
    """Items in one state under the caller's unit (township/city audit; auditors read)."""
    if principal.role not in (Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN, Role.AUDITOR, Role.VILLAGE_OFFICER):
        raise PermissionDenied("the audit list is for officers and auditors")
    d.State(state)  # refuses an unknown state
    return repo.items_in(uow.db, states=[state], path_prefix=principal.unit_path, limit=limit)


def evidence(uow: UnitOfWork, *, principal: Principal, sha256: str) -> tuple[EvidenceFile, bytes]:
    """An evidence file's bytes, for someone who may read an item it belongs to."""
    for f in repo.file_by_hash(uow.db, sha256):
        row = repo.item(uow.db, f.item_id)
        if row is not None and _may_read(principal, row):
            return f, evidence_files.load(uow.deps.settings.files_dir, sha256)
    raise NotFound("no such file")


def disputed_seqs(uow: UnitOfWork, *, seqs: list[int]) -> set[int]:
    """Ledger entries under an open objection (shown as disputed by ledger and scoring views)."""
    return repo.disputed_seqs(uow.db, seqs)
