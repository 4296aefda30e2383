"""Moral evaluation: the pure rules (stdlib + kernel + errors only).

One state machine carries every item that may become points on the ledger:

* a **deed** (positive indicator) a resident submits (or a grid worker enters for them), confirmed by
  the grid (mutual evaluation), approved by a village/community officer, then posted;
* a **deduction** (negative indicator) an officer proposes (or a department record suggests), confirmed
  by a *second* officer, shown to the resident for the objection window, then posted;
* a **record proposal** from big-data evaluation, entering at the stage the policy names.

Working days, caps, display periods and confirmation rings are here too. Nothing in this module
touches a database or the clock: callers pass ``today`` and an ``is_workday`` function.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from moralbank.errors import Conflict, InvalidInput, PermissionDenied, Problem, RateLimited

# -- vocabulary ---------------------------------------------------------------------------------


class State(StrEnum):
    GRID_REVIEW = "grid_review"  # waiting for grid mutual evaluation
    VILLAGE_REVIEW = "village_review"  # waiting for a village/community officer
    CONFIRM_REVIEW = "confirm_review"  # deduction waiting for a second officer
    NOTICE = "notice"  # deduction shown to the resident, objection window open
    DISPUTED = "disputed"  # an objection is open against it
    APPROVED = "approved"  # every approval given; posting is the next step
    POSTED = "posted"  # on the ledger
    REJECTED = "rejected"  # refused, with a reason
    WITHDRAWN = "withdrawn"  # taken back (by the resident, or an upheld objection)
    REVERSED = "reversed"  # posted, then reversed (objection upheld, refusal, repair)


OPEN_STATES = frozenset(
    {
        State.GRID_REVIEW,
        State.VILLAGE_REVIEW,
        State.CONFIRM_REVIEW,
        State.NOTICE,
        State.DISPUTED,
        State.APPROVED,
    }
)
FINAL_STATES = frozenset({State.POSTED, State.REJECTED, State.WITHDRAWN, State.REVERSED})


class Stage(StrEnum):
    """Where a record proposal enters the path (named per indicator by the policy)."""

    GRID = "grid"
    VILLAGE = "village"
    AUTO = "auto"


class Origin(StrEnum):
    SELF = "self"  # the resident submitted it
    ASSISTED = "assisted"  # a grid worker entered it for the resident
    RECORD = "record"  # big-data evaluation from a department record
    OFFICER = "officer"  # an officer proposed it (deductions)


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


MAX_DISPLAY_MONTHS = 60  # never more than 5 years, whatever a policy says

# -- the rules a policy gives -------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRule:
    """What the policy says about one indicator. Points are magnitudes; negatives post ``-points``."""

    code: str
    name: str
    aspect: str
    negative: bool = False
    min_points: int = 1
    max_points: int = 5
    quorum: int = 2  # grid confirmations needed
    record_stage: Stage = Stage.VILLAGE
    auto_post: bool = False  # a positive record proposal may post without a person
    basis: str = ""  # the published basis (required for a negative to be applied)
    severity: Severity | None = None
    display_months: int | None = None  # negatives: overrides the severity's display period
    evidence_required: bool = False
    self_submit: bool = True  # residents may submit it themselves (the "self" stage applies)
    default_points: int | None = None
    caps: tuple[CapRule, ...] = ()  # most points / entries per resident per period


@dataclass(frozen=True)
class CapRule:
    period: str  # day | week | month | quarter | year
    max_points: int | None = None
    max_count: int | None = None


@dataclass(frozen=True)
class Rules:
    """The evaluation part of one policy version."""

    version: str
    indicators: dict[str, IndicatorRule]
    deadlines: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DEADLINES))
    objection_window: int = 5  # working days a deduction waits before it posts
    display_months: dict[Severity, int] = field(default_factory=lambda: dict(DEFAULT_DISPLAY_MONTHS))
    repair_min_months: dict[Severity, int] = field(default_factory=lambda: dict(DEFAULT_REPAIR_MONTHS))
    submissions_per_day: int = 5
    submissions_per_hour: int = 3
    confirmations_per_day: int = 30
    submit_within_days: int = 30  # a deed may be submitted this many days after it
    ring_min_confirmations: int = 2  # edges of a ring need this many confirmations
    ring_max_length: int = 4

    def indicator(self, code: str) -> IndicatorRule:
        try:
            return self.indicators[code]
        except KeyError:
            # Only conduct in the published catalogue may be recorded.
            raise InvalidInput(
                Problem(f"indicator {code!r} is not in policy {self.version}", field="indicator")
            ) from None


# Working days per stage. Legal limits (objection marking 1, decision 5, repair 3) are defaults a
# policy may tighten; service code refuses to loosen them.
DEFAULT_DEADLINES = {
    "grid_review": 3,
    "village_review": 5,
    "confirm_review": 3,
    "objection_mark": 1,
    "objection_decide": 5,
    "repair_decide": 3,
}
LEGAL_MAXIMA = {"objection_mark": 1, "objection_decide": 5, "repair_decide": 3}
DEFAULT_DISPLAY_MONTHS = {Severity.MINOR: 3, Severity.GENERAL: 12, Severity.SERIOUS: 36}
DEFAULT_REPAIR_MONTHS = {Severity.MINOR: 1, Severity.GENERAL: 3, Severity.SERIOUS: 12}

# -- working days -------------------------------------------------------------------------------

IsWorkday = Callable[[date], bool]


def weekdays_only(d: date) -> bool:
    return d.weekday() < 5


def add_working_days(start: date, n: int, is_workday: IsWorkday = weekdays_only) -> date:
    """The day ``n`` working days after ``start`` (``start`` itself does not count).

    A deadline of 1 working day for something arriving on the Friday before a holiday week falls on
    the first working day after it, and a make-up Saturday counts as a working day.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    d = start
    while n > 0:
        d += timedelta(days=1)
        if is_workday(d):
            n -= 1
    return d


def working_days_between(start: date, end: date, is_workday: IsWorkday = weekdays_only) -> int:
    """Working days in (start, end]; 0 when end <= start."""
    count, d = 0, start
    while d < end:
        d += timedelta(days=1)
        count += is_workday(d)
    return count


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def display_until(rules: Rules, severity: Severity, effective_on: date, indicator: str | None = None) -> date:
    """When a negative record leaves the score and every view (capped at 5 years)."""
    rule = rules.indicators.get(indicator) if indicator else None
    months = (
        rule.display_months
        if rule and rule.display_months
        else rules.display_months.get(severity, DEFAULT_DISPLAY_MONTHS[severity])
    )
    months = min(months, MAX_DISPLAY_MONTHS)
    return add_months(effective_on, months)


def repair_allowed_from(rules: Rules, severity: Severity, effective_on: date) -> date:
    return add_months(effective_on, rules.repair_min_months.get(severity, DEFAULT_REPAIR_MONTHS[severity]))


def period_start(d: date, period: str) -> date:
    if period == "day":
        return d
    if period == "week":
        return d - timedelta(days=d.weekday())
    if period == "month":
        return d.replace(day=1)
    if period == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, 1, 1)


def period_end(d: date, period: str) -> date:
    """The first day after the period ``d`` falls in."""
    start = period_start(d, period)
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return add_months(start, 1)
    if period == "quarter":
        return add_months(start, 3)
    return date(start.year + 1, 1, 1)


def check_cap(rule: IndicatorRule, used: Callable[[str], tuple[int, int]], points: int) -> None:
    """Refuse points beyond the policy's caps for the indicator. ``used(period)`` gives the points and
    count the resident already has (posted or approved) in the current period."""
    for cap in rule.caps:
        so_far, count = used(cap.period)
        if cap.max_points is not None and so_far + points > cap.max_points:
            raise Conflict(
                f"cap reached: at most {cap.max_points} points for {rule.code} per {cap.period} "
                f"({so_far} already)"
            )
        if cap.max_count is not None and count + 1 > cap.max_count:
            raise Conflict(f"cap reached: at most {cap.max_count} times {rule.code} per {cap.period}")


# -- the item and its events --------------------------------------------------------------------


@dataclass
class Vote:
    voter: str  # one voice per person: "resident:R…" or the staff actor
    actor: str
    confirm: bool
    reason: str = ""


@dataclass
class Event:
    action: str
    actor: str
    reason: str = ""
    data: dict = field(default_factory=dict)


@dataclass
class Item:
    """One deed or deduction on its way to the ledger."""

    resident_id: str
    grid_code: str
    indicator: str
    negative: bool
    origin: Origin
    state: State
    points: int = 0  # magnitude proposed/approved; the ledger gets -points for negatives
    automated: bool = False  # decided without a person (big-data auto-post)
    proposer: str = ""
    votes: list[Vote] = field(default_factory=list)
    approvals: list[str] = field(default_factory=list)  # officer actors, in order
    reason: str = ""  # why it was rejected / withdrawn
    severity: Severity | None = None
    effective_on: date | None = None  # deductions: the day the objection window ends
    posted_seq: int | None = None
    quorum: int = 0  # grid confirmations this item needed (0 = no grid stage)

    @property
    def confirmations(self) -> int:
        return sum(v.confirm for v in self.votes)

    @property
    def disputes(self) -> int:
        return sum(not v.confirm for v in self.votes)


def _require_state(item: Item, *states: State) -> None:
    if item.state not in states:
        raise Conflict(f"the item is {item.state.value}; this needs {' or '.join(s.value for s in states)}")


def _require_reason(reason: str, what: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(Problem(f"a {what} is required", field="reason"))
    return reason


def _check_points(rule: IndicatorRule, points: int) -> int:
    if not rule.min_points <= points <= rule.max_points:
        raise InvalidInput(
            Problem(
                f"points for {rule.code} must be between {rule.min_points} and {rule.max_points}",
                field="points",
            )
        )
    return points


def new_deed(
    rules: Rules,
    *,
    resident_id: str,
    grid_code: str,
    indicator: str,
    actor: str,
    assisted: bool = False,
    deed_date: date | None = None,
    today: date | None = None,
    evidence_count: int = 0,
) -> tuple[Item, Event]:
    """A self-evaluation (or an assisted entry); it goes to grid mutual evaluation (or straight to the
    village when the indicator has no grid stage)."""
    rule = rules.indicator(indicator)
    problems = []
    if rule.negative:
        problems.append(Problem("a resident cannot submit a deduction", field="indicator"))
    elif not rule.self_submit:
        problems.append(
            Problem("this indicator is not self-evaluated; it comes from records", field="indicator")
        )
    if deed_date and today:
        if deed_date > today:
            problems.append(Problem("the deed date is in the future", field="deed_date"))
        elif (today - deed_date).days > rules.submit_within_days:
            problems.append(
                Problem(f"deeds are submitted within {rules.submit_within_days} days", field="deed_date")
            )
    if rule.evidence_required and evidence_count < 1:
        problems.append(Problem("this indicator needs evidence (a photo or PDF)", field="evidence"))
    if problems:
        raise InvalidInput(problems)
    item = Item(
        resident_id=resident_id,
        grid_code=grid_code,
        indicator=indicator,
        negative=False,
        origin=Origin.ASSISTED if assisted else Origin.SELF,
        state=State.GRID_REVIEW if rule.quorum else State.VILLAGE_REVIEW,
        points=rule.default_points or rule.max_points,
        proposer=actor,
        quorum=rule.quorum,
    )
    return item, Event("assisted_entry" if assisted else "submitted", actor)


def new_deduction(
    rules: Rules,
    *,
    resident_id: str,
    grid_code: str,
    indicator: str,
    points: int,
    severity: Severity | None,
    evidence_count: int,
    actor: str,
    by_officer: bool = True,
) -> tuple[Item, Event]:
    """An officer proposes a deduction: evidence and the policy's basis are required; a second
    officer must confirm it. A grid worker may report one: then two officers still decide."""
    rule = rules.indicator(indicator)
    problems = []
    if not rule.negative:
        problems.append(Problem(f"{indicator} is not a negative indicator", field="indicator"))
    if not rule.basis.strip():
        problems.append(
            Problem(
                "the policy publishes no basis for this indicator; it cannot be applied", field="indicator"
            )
        )
    if evidence_count < 1:
        problems.append(Problem("a deduction needs evidence", field="evidence"))
    if problems:
        raise InvalidInput(problems)
    severity = severity or rule.severity or Severity.GENERAL
    item = Item(
        resident_id=resident_id,
        grid_code=grid_code,
        indicator=indicator,
        negative=True,
        origin=Origin.OFFICER,
        state=State.CONFIRM_REVIEW if by_officer else State.VILLAGE_REVIEW,
        points=_check_points(rule, abs(points)),
        proposer=actor,
        approvals=[actor] if by_officer else [],
        severity=Severity(severity),
    )
    return item, Event(
        "deduction_proposed",
        actor,
        data={"points": item.points, "severity": item.severity.value, "basis": rule.basis},
    )


def new_record_proposal(
    rules: Rules, *, resident_id: str, grid_code: str, indicator: str, points: int, actor: str
) -> tuple[Item, Event]:
    """Big-data evaluation. Positives enter at the policy's stage (and may post on their own if the
    policy allows); negatives always wait for two officers and the objection window."""
    rule = rules.indicator(indicator)
    magnitude = _check_points(rule, abs(points))
    if rule.negative:
        if not rule.basis.strip():
            raise InvalidInput(Problem("the policy publishes no basis for this indicator", field="indicator"))
        item = Item(
            resident_id=resident_id,
            grid_code=grid_code,
            indicator=indicator,
            negative=True,
            origin=Origin.RECORD,
            state=State.VILLAGE_REVIEW,
            points=magnitude,
            proposer=actor,
            severity=rule.severity or Severity.GENERAL,
        )
        return item, Event("record_proposed", actor, data={"points": magnitude, "stage": "village"})
    stage = rule.record_stage
    if stage is Stage.AUTO and not rule.auto_post:
        stage = Stage.VILLAGE
    state = {Stage.GRID: State.GRID_REVIEW, Stage.VILLAGE: State.VILLAGE_REVIEW, Stage.AUTO: State.APPROVED}[
        stage
    ]
    item = Item(
        resident_id=resident_id,
        grid_code=grid_code,
        indicator=indicator,
        negative=False,
        origin=Origin.RECORD,
        state=state,
        points=magnitude,
        proposer=actor,
        automated=stage is Stage.AUTO,
        quorum=max(rule.quorum, 1) if stage is Stage.GRID else 0,
    )

    return item, Event(
        "record_proposed",
        actor,
        data={"points": magnitude, "stage": stage.value, "automated": item.automated},
    )


@dataclass(frozen=True)
class Voter:
    """Who is taking part in grid mutual evaluation."""

    actor: str
    grid_code: str | None
    resident_id: str | None = None
    is_grid_worker: bool = False

    @property
    def voice(self) -> str:
        return f"resident:{self.resident_id}" if self.resident_id else self.actor


def vote(
    item: Item, voter: Voter, *, confirm: bool, reason: str = "", owner_household: Iterable[str] = ()
) -> Event:
    """A grid confirmation or dispute. Moves the item on when the quorum is reached."""
    _require_state(item, State.GRID_REVIEW)
    if voter.grid_code != item.grid_code:
        raise PermissionDenied("only the grid worker and residents of the deed's grid take part")
    if voter.resident_id and voter.resident_id == item.resident_id:
        raise PermissionDenied("nobody confirms their own deed")
    if voter.resident_id and voter.resident_id in set(owner_household):
        raise PermissionDenied("nobody confirms a deed of their own household")
    if voter.actor == item.proposer and not voter.resident_id:
        raise PermissionDenied("the grid worker who entered the deed does not also confirm it")
    if any(v.voter == voter.voice for v in item.votes):
        raise Conflict("one voice per person: you have already taken part")
    if not confirm:
        reason = _require_reason(reason, "reason for the dispute")
    item.votes.append(Vote(voter.voice, voter.actor, confirm, reason.strip()))
    event = Event("confirmed" if confirm else "disputed", voter.actor, reason.strip())
    if item.confirmations >= item.quorum:
        item.state = State.VILLAGE_REVIEW
        event.data["advanced"] = State.VILLAGE_REVIEW.value
    elif item.disputes >= item.quorum:
        item.state = State.REJECTED
        item.reason = "grid mutual evaluation disputed it: " + "; ".join(
            v.reason for v in item.votes if not v.confirm
        )
        event.data["advanced"] = State.REJECTED.value
    return event


def decided_by(actor: str, objection_kind: str, approvals: Sequence[str]) -> bool:
    """Whether ``actor`` took part in the decision an objection is against: they may not decide it
    (another officer of the village or the level above does). A credit repair asks for a record's
    removal, it does not challenge a decision, so it is exempt."""
    return objection_kind != ObjectionKind.REPAIR.value and actor in approvals


def approve(
    item: Item,
    rules: Rules,
    *,
    actor: str,
    points: int | None = None,
    today: date | None = None,
    is_workday: IsWorkday = weekdays_only,
) -> Event:
    """An officer approves. Positive: village approval → approved. Negative: the first officer's check
    (record proposals) → waits for a second; the second officer's confirmation opens the objection
    window."""
    rule = rules.indicator(item.indicator)
    if not item.negative:
        _require_state(item, State.VILLAGE_REVIEW)
        if item.quorum and item.confirmations < item.quorum:
            raise Conflict("the grid quorum has not been reached")
        item.points = _check_points(rule, item.points if points is None else points)
        item.approvals.append(actor)
        item.state = State.APPROVED
        return Event("approved", actor, data={"points": item.points})
    _require_state(item, State.VILLAGE_REVIEW, State.CONFIRM_REVIEW)
    if points is not None:
        if item.state is State.CONFIRM_REVIEW and points != item.points:
            raise Conflict("the second officer confirms the points proposed; reject to change them")
        item.points = _check_points(rule, abs(points))
    if actor in item.approvals:
        raise PermissionDenied("a deduction needs a second, different officer")
    item.approvals.append(actor)
    if item.state is State.VILLAGE_REVIEW:
        item.state = State.CONFIRM_REVIEW
        return Event("deduction_checked", actor, data={"points": item.points})
    if today is None:
        raise ValueError("today is needed to open the objection window")
    item.effective_on = add_working_days(today, rules.objection_window, is_workday)
    item.state = State.NOTICE
    return Event(
        "deduction_confirmed",
        actor,
        data={"points": item.points, "effective_on": item.effective_on.isoformat()},
    )


def reject(item: Item, *, actor: str, reason: str) -> Event:
    """An officer rejects, always with a reason."""
    _require_state(item, State.VILLAGE_REVIEW, State.CONFIRM_REVIEW)
    item.reason = _require_reason(reason)
    item.state = State.REJECTED
    return Event("rejected", actor, item.reason)


def withdraw(item: Item, *, actor: str, reason: str) -> Event:
    """The resident withdraws their own deed before it is decided."""
    _require_state(item, State.GRID_REVIEW, State.VILLAGE_REVIEW)
    item.reason = _require_reason(reason)
    item.state = State.WITHDRAWN
    return Event("withdrawn", actor, item.reason)


def reopen(item: Item, *, actor: str, reason: str) -> Event:
    """Township/city audit sends a rejected item back for a fresh decision (approvals start over)."""
    _require_state(item, State.REJECTED)
    reason = _require_reason(reason)
    # Approvals start over: a reopened deduction needs two officers again.
    item.state = State.VILLAGE_REVIEW
    item.approvals = []
    if item.quorum and item.confirmations < item.quorum:
        item.state = State.GRID_REVIEW
        item.votes = []
    item.reason = ""
    return Event("reopened", actor, reason)


def mature(item: Item, *, today: date) -> bool:
    """A deduction whose objection window has passed with no open objection becomes approved."""
    if item.state is State.NOTICE and item.effective_on is not None and today >= item.effective_on:
        item.state = State.APPROVED
        return True
    return False


def dispute(item: Item, *, actor: str) -> Event:
    """An objection marks a not-yet-final item as disputed at once."""
    _require_state(item, *OPEN_STATES)
    item.state = State.DISPUTED
    return Event("objection_marked", actor)


def settle_dispute(item: Item, *, upheld: bool, actor: str, reason: str, prior: State, today: date) -> Event:
    """The objection's outcome for an item that had not posted yet."""
    _require_state(item, State.DISPUTED)
    reason = _require_reason(reason)
    if upheld:
        item.state = State.WITHDRAWN
        item.reason = reason
        return Event("objection_upheld", actor, reason)
    item.state = prior
    if prior is State.NOTICE:
        mature(item, today=today)
    return Event("objection_rejected", actor, reason)


def ready_to_post(item: Item, rules: Rules) -> None:
    """The gate before the ledger: every approval the policy requires must be there."""
    _require_state(item, State.APPROVED)
    if item.posted_seq is not None:
        raise Conflict("already posted")
    rule = rules.indicator(item.indicator)
    if item.negative:
        if len(set(item.approvals)) < 2:
            raise Conflict("a deduction needs two different officers")
        if item.effective_on is None:
            raise Conflict("the objection window has not been opened")
        return
    if item.automated:
        if not (rule.auto_post and item.origin is Origin.RECORD):
            raise Conflict("this indicator may not post without a person")
        return
    if not item.approvals:
        raise Conflict("a village/community officer has not approved it")
    if item.quorum and item.confirmations < item.quorum:
        raise Conflict("the grid quorum has not been reached")


def mark_posted(item: Item, seq: int) -> None:
    item.posted_seq = seq
    item.state = State.POSTED


def ledger_points(item: Item) -> int:
    return -item.points if item.negative else item.points


# -- objections and repair ----------------------------------------------------------------------


class ObjectionKind(StrEnum):
    OBJECTION = "objection"  # "this is wrong"
    HUMAN_REVIEW = "human_review"  # "let a person look at this automated decision"
    REFUSAL = "refusal"  # "I refuse this automated decision"
    REPAIR = "repair"  # credit repair of a negative record


class ObjectionState(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


@dataclass
class Objection:
    kind: ObjectionKind
    state: ObjectionState
    resident_id: str
    opened_on: date
    mark_due: date
    decide_due: date
    reason: str = ""
    decision_reason: str = ""


def new_objection(
    rules: Rules,
    *,
    kind: ObjectionKind,
    resident_id: str,
    statement: str,
    today: date,
    is_workday: IsWorkday = weekdays_only,
) -> Objection:
    statement = _require_reason(statement, "written statement")
    key = "repair_decide" if kind is ObjectionKind.REPAIR else "objection_decide"
    return Objection(
        kind=kind,
        state=ObjectionState.OPEN,
        resident_id=resident_id,
        opened_on=today,
        mark_due=add_working_days(today, deadline(rules, "objection_mark"), is_workday),
        decide_due=add_working_days(today, deadline(rules, key), is_workday),
        reason=statement,
    )


def decide_objection(obj: Objection, *, upheld: bool, reason: str) -> None:
    """Upheld or rejected; a rejection always carries written reasons (an upheld one says why too)."""
    if obj.state is not ObjectionState.OPEN:
        raise Conflict("the objection has already been decided")
    obj.decision_reason = _require_reason(reason, "written reason")
    obj.state = ObjectionState.UPHELD if upheld else ObjectionState.REJECTED


def deadline(rules: Rules, key: str) -> int:
    """Working days for a stage; legal limits cap whatever the policy says."""
    days = rules.deadlines.get(key, DEFAULT_DEADLINES.get(key, 5))
    if key in LEGAL_MAXIMA:
        days = min(days, LEGAL_MAXIMA[key])
    return max(days, 1)


def stage_due(
    rules: Rules, state: State, entered_on: date, is_workday: IsWorkday = weekdays_only
) -> date | None:
    """When an item in ``state`` since ``entered_on`` is due; None for states with no deadline."""
    if state.value not in ("grid_review", "village_review", "confirm_review"):
        return None
    return add_working_days(entered_on, deadline(rules, state.value), is_workday)


# -- rate limits and rings ----------------------------------------------------------------------


def check_rate(rules: Rules, *, last_hour: int, today: int) -> None:
    """Submission rate limits per resident (assisted entries count for the resident)."""
    if last_hour >= rules.submissions_per_hour:
        raise RateLimited(f"at most {rules.submissions_per_hour} submissions an hour")
    if today >= rules.submissions_per_day:
        raise RateLimited(f"at most {rules.submissions_per_day} submissions a day")


def check_confirmation_rate(rules: Rules, *, today: int) -> None:
    if today >= rules.confirmations_per_day:
        raise RateLimited(f"at most {rules.confirmations_per_day} confirmations a day")


@dataclass(frozen=True)
class Ring:
    """Residents who confirm each other's deeds in a cycle; ``edges`` maps (confirmer, owner) to the
    deed ids that show it."""

    members: tuple[str, ...]
    edges: dict[tuple[str, str], tuple[int, ...]]

    @property
    def key(self) -> str:
        return ">".join(self.members)


def find_rings(
    confirmations: Iterable[tuple[str, str, int]], *, min_each: int = 2, max_length: int = 4
) -> list[Ring]:
    """Cycles A→B→…→A of length 2..max_length where every step is at least ``min_each`` confirmations.

    ``confirmations`` are (confirmer resident, deed owner resident, deed id). Each cycle is reported
    once, rotated to start at its smallest member.
    """
    confirmations = list(confirmations)
    # Most pairs confirm once; count them all at C speed, keep deed ids only for the repeated ones.
    counts = Counter((a, b) for a, b, _ in confirmations)
    strong = {pair for pair, n in counts.items() if n >= min_each and pair[0] != pair[1]}
    deeds: dict[tuple[str, str], list[int]] = defaultdict(list)
    for confirmer, owner, deed_id in confirmations:
        if (confirmer, owner) in strong:
            deeds[(confirmer, owner)].append(deed_id)
    graph: dict[str, list[str]] = defaultdict(list)
    for a, b in deeds:
        graph[a].append(b)
    for targets in graph.values():
        targets.sort()
    rings: dict[tuple[str, ...], Ring] = {}

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in graph.get(node, ()):
            if nxt == start and len(path) >= 2:
                members = tuple(path)
                if members not in rings:
                    pairs = list(zip(members, members[1:] + members[:1], strict=True))
                    rings[members] = Ring(members, {p: tuple(sorted(deeds[p])) for p in pairs})
            elif nxt > start and nxt not in path and len(path) < max_length:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return sorted(rings.values(), key=lambda r: (len(r.members), r.members))
