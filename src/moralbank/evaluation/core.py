"""What every evaluation use case shares: the policy's rules, loading and saving items, the trail of
events, notifications, authorisation checks, evidence files, and posting to (and reversing on) the
ledger. Package-internal: the public API is ``evaluation.service``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
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
)
from moralbank.evaluation.workdays import for_calendar
from moralbank.kernel.clock import local_date

REVIEWERS = frozenset({Role.VILLAGE_OFFICER, Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN})  # decide items
AUDITORS = frozenset({Role.TOWNSHIP_OFFICER, Role.CITY_ADMIN})  # reopen what a village rejected
RING_LOOKBACK_DAYS = 180  # rings are looked for in the last half year of confirmations


@dataclass(frozen=True)
class Upload:
    """An evidence file as received (the web layer or a test builds it)."""

    filename: str
    data: bytes


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


def working_days(uow: UnitOfWork) -> d.IsWorkday:
    """Whether a day is a working day, by the active policy's holiday schedule first (``workdays``).

    Always the active policy's, also for an item decided under an older version: a schedule is a fact
    the programme office enters once a year, not a rule of the version.
    """
    from moralbank.policy import service as policy_service

    policy = policy_service.active(uow)
    key = f"evaluation.workdays:{policy.version}:{policy.sha256}"
    cached = uow.deps.cache.get(key)
    if cached is None:
        cached = uow.deps.cache[key] = for_calendar(policy.calendar)
    return cached


def china_today(uow: UnitOfWork) -> date:
    return local_date(uow.clock.now())


def grid_of_resident(uow: UnitOfWork, resident_id: str) -> str:
    from moralbank.residents import service as residents

    return residents.grid_of(uow, resident_id=resident_id)


def household_of(uow: UnitOfWork, resident_id: str) -> set[str]:
    from moralbank.residents import service as residents

    return set(residents.household_members(uow, resident_id=resident_id))


def unit_path_of(uow: UnitOfWork, code: str) -> str:
    from moralbank.orgs import service as orgs

    return orgs.path_of(uow, code=code)


def village_path_of(grid_path: str) -> str:
    """``/330281/330281001/330281001001/G01/`` → the village's path (one level up)."""
    parts = [p for p in grid_path.split("/") if p]
    return "/" + "/".join(parts[:-1]) + "/" if len(parts) > 1 else grid_path


def to_domain(row: EvaluationItem, votes: Iterable[EvaluationVote] | None = None) -> d.Item:
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


def load_item(uow: UnitOfWork, item_id: int, *, lock: bool = False) -> tuple[EvaluationItem, d.Item]:
    row = repo.item(uow.db, item_id, lock=lock)
    if row is None:
        raise NotFound(f"no evaluation item {item_id}")
    return row, to_domain(row, repo.votes(uow.db, item_id))


def save_item(uow: UnitOfWork, row: EvaluationItem, item: d.Item, rules_: d.Rules) -> None:
    """Copy the domain item back; a change of state restarts the stage clock and its deadline."""
    if row.state != item.state.value:
        row.state = item.state.value
        row.state_since = uow.clock.now()
        row.due_on = d.stage_due(rules_, item.state, china_today(uow), working_days(uow))
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


def record_event(
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


def indicator_name(rules_: d.Rules, code: str) -> str:
    rule = rules_.indicators.get(code)
    return rule.name if rule else code


def tell(
    uow: UnitOfWork, resident_id: str, subject: str, body: str, ref: str, *, due_process: bool = False
) -> None:
    from moralbank.notify import service as notify

    notify.send(uow, resident_id=resident_id, subject=subject, body=body, ref=ref, due_process=due_process)


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


# Messages about something adverse, or about the resident's own challenge to it, which they must not
# miss: these also go by SMS (notify.service; MORALBANK_SMS_NOTIFY=all texts every message).
DUE_PROCESS = frozenset(
    {
        "rejected",
        "deduction_notice",
        "deduction_posted",
        "reopened",
        "objection_marked",
        "objection_upheld",
        "objection_rejected",
        "repair_received",
        "repair_upheld",
        "repair_rejected",
        "refused",
        "record_withdrawn",
    }
)


def notify_resident(uow: UnitOfWork, key: str, resident_id: str, ref: str, **values: Any) -> None:
    subject, body = MESSAGES[key]
    tell(uow, resident_id, subject, body.format(**values), ref, due_process=key in DUE_PROCESS)


def require_reviewer(principal: Principal, row: EvaluationItem | Objection) -> None:
    if principal.role not in REVIEWERS:
        raise PermissionDenied("only village/community officers (or the levels above) decide")
    if not principal.covers(row.unit_path):
        raise NotFound("no such item in your area")


def require_auditor(principal: Principal, row: EvaluationItem) -> None:
    if principal.role not in AUDITORS:
        raise PermissionDenied("only township and city staff audit and reopen")
    if not principal.covers(row.unit_path):
        raise NotFound("no such item in your area")


def may_read(principal: Principal, row: EvaluationItem | Objection) -> bool:
    if principal.role == Role.RESIDENT:
        return principal.resident_id == row.resident_id
    if principal.role == Role.GRID_WORKER:
        return principal.covers(row.unit_path)
    if principal.role in (*REVIEWERS, Role.AUDITOR):
        return principal.covers(row.unit_path)
    return False


def store_files(uow: UnitOfWork, row: EvaluationItem, uploads: Sequence[Upload], actor: str) -> list[str]:
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


def new_item_row(
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
        unit_path=unit_path_of(uow, item.grid_code),
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
        due_on=d.stage_due(rules_, item.state, local_date(now), working_days(uow)),
        created_at=now,
    )
    repo.add(uow.db, row)
    return row


def check_caps(
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


def trail_refs(uow: UnitOfWork, row: EvaluationItem) -> tuple[str, ...]:
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


def post_item(uow: UnitOfWork, row: EvaluationItem, item: d.Item, rules_: d.Rules, *, actor: str) -> None:
    """Post an approved item to the ledger, once (the row is locked; ``posted_seq`` is unique)."""
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    d.ready_to_post(item, rules_)
    rule = rules_.indicator(row.indicator)
    today = china_today(uow)
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
        evidence=trail_refs(uow, row),
        severity=item.severity.value if item.negative and item.severity else None,
        expires_on=expires_on,
    )
    [posted] = ledger.post(uow, [entry])
    d.mark_posted(item, posted.seq)
    row.expires_on = expires_on
    save_item(uow, row, item, rules_)
    record_event(
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
        notify_resident(
            uow,
            "deduction_posted",
            row.resident_id,
            f"ledger:{posted.seq}",
            ind=name,
            points=item.points,
            expires=expires_on.isoformat() if expires_on else "",
        )
    else:
        notify_resident(
            uow,
            "posted",
            row.resident_id,
            f"ledger:{posted.seq}",
            ind=name,
            points=item.points,
            seq=posted.seq,
        )


def ledger_entry(uow: UnitOfWork, resident_id: str, seq: int) -> Any:
    from moralbank.ledger import service as ledger

    entry = ledger.get(uow, seq=seq)
    if entry.resident_id != resident_id:
        raise NotFound(f"no ledger entry {seq}")
    return entry


def is_reversed(uow: UnitOfWork, resident_id: str, seq: int) -> bool:
    from moralbank.ledger import service as ledger

    return any(e.reverses_seq == seq for e in ledger.entries_of(uow, resident_id=resident_id))


def reverse_entry(uow: UnitOfWork, *, entry: Any, source: str, actor: str, reason: str, ref: str) -> int:
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    if is_reversed(uow, entry.resident_id, entry.seq):
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


def require_resident(principal: Principal, resident_id: str) -> None:
    if principal.role != Role.RESIDENT or principal.resident_id != resident_id:
        raise PermissionDenied("only the resident concerned can do this")
