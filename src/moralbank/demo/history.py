"""Demo step: a ledger history for the demo residents, posted through ``ledger.service.post``.

Over the last ~18 months each resident gets a plausible handful of entries from the active policy's
catalogue: evaluated deeds (self → grid → village), department records and a few corrections that
reverse an earlier entry. Deterministic from the seed; every entry names the policy version applied.

A department record comes from one of the installed data interfaces, as an import through it would
post it: the interface's own rules (``feeds.domain.apply_rules``, clamped by the policy) give its
indicator and points, the actor is ``feed:<interface>`` and the record is named by
``feeds.service.source_ref``. Positives come only from rules whose indicator posts without a human;
negatives are shown as already reviewed, with their severity and display period. An interface that
needs consent sends records only of residents whose consent covers it.
"""

from __future__ import annotations

import calendar
import dataclasses
import random
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from moralbank.bootstrap import Container
from moralbank.feeds import domain as feeds_domain
from moralbank.feeds import service as feeds
from moralbank.feeds.domain import Interface, Rule
from moralbank.kernel.clock import local_date
from moralbank.ledger.domain import NewEntry

PER_RESIDENT = {"town": (0, 9), "yuyao": (0, 6)}  # entries per resident, uniform in this range
BATCH = 20_000  # entries per posting batch (one signed checkpoint each)
HISTORY_DAYS = 540
DEFAULT_DISPLAY_MONTHS = {"minor": 3, "general": 12, "serious": 36}


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _residents(uow) -> list[tuple[str, str]]:  # noqa: ANN001
    from moralbank.residents import service as residents

    out, offset = [], 0
    while True:
        page = residents.list_ids(uow, limit=50_000, offset=offset)
        out += [(r["id"], r["grid"]) for r in page]
        if len(page) < 50_000:
            return sorted(out)
        offset += len(page)


@dataclass(frozen=True)
class DepartmentSource:
    """One way a department record reaches the ledger: an interface and one of its rules."""

    interface: Interface
    rule: Rule
    negative: bool


def department_sources(policy: Any, interfaces: Sequence[Interface]) -> list[DepartmentSource]:
    """The interface rules whose records reach the ledger: every negative one (once reviewed) and the
    positives whose indicator posts without a human (``auto_post``)."""
    out = []
    for iface in sorted(interfaces, key=lambda i: i.name):
        for rule in iface.rules:
            ind = policy.indicators.get(rule.indicator)
            if ind is not None and (ind.is_negative or ind.auto_post):
                out.append(DepartmentSource(iface, rule, ind.is_negative))
    return out


def _record_values(rule: Rule, rng: random.Random) -> dict[str, Any]:
    """The fields of a department record that the rule looks at, with values it matches."""
    values: dict[str, Any] = {field: rng.choice(allowed) for field, allowed in rule.when}
    if rule.per_field and rule.per:
        values[rule.per_field] = rng.randint(rule.per, 3 * rule.per)
    return values


class DepartmentRecords:
    """Ledger entries of department records, as an import through their interface would post them."""

    def __init__(
        self, policy: Any, interfaces: Sequence[Interface], consented: Mapping[str, Collection[str]]
    ) -> None:
        self.policy, self.consented = policy, consented
        self.sources = department_sources(policy, interfaces)
        # what the importer clamps an interface's points to (feeds.service: the policy's caps)
        self.caps = {
            code: (min(i.min_points, i.max_points), max(i.min_points, i.max_points))
            for code, i in policy.indicators.items()
        }
        self.display = getattr(getattr(policy, "negatives", None), "display_months", {}) or {}
        self.numbers: Counter[tuple[str, int]] = Counter()  # the departments' record numbers, per year

    def entry(self, rng: random.Random, rid: str, day: date, *, negative: bool) -> NewEntry | None:
        """A record about ``rid`` from an interface that may send one (None: none may)."""
        eligible = [
            s
            for s in self.sources
            if s.negative == negative
            and (not s.interface.consent_required or rid in self.consented.get(s.interface.name, ()))
        ]
        if not eligible:
            return None
        src = rng.choice(eligible)
        iface = src.interface
        mapping = feeds_domain.apply_rules(iface, _record_values(src.rule, rng), caps=self.caps)
        if mapping is None:
            return None
        ind = self.policy.indicators[mapping.indicator]
        key = (iface.name, day.year)
        self.numbers[key] += 1
        record_id = f"{iface.name.replace('_', '')[:4].upper()}-{day.year}-{self.numbers[key]:06d}"
        entry = NewEntry(
            resident_id=rid,
            indicator=ind.code,
            aspect=ind.aspect,
            points=mapping.points,
            deed_date=day,
            source="department",
            actor=f"feed:{iface.name}",
            policy_version=str(self.policy.version),
            reason=f"{ind.name_zh}（部门数据自动评价）",
            source_ref=feeds.source_ref(iface.name, record_id, 1),
        )
        if not ind.is_negative:
            return entry
        severity = str(ind.severity or "general")
        months = ind.display_months or self.display.get(severity) or DEFAULT_DISPLAY_MONTHS[severity]
        return dataclasses.replace(
            entry,
            reason=f"{ind.name_zh}：{ind.basis_zh}",
            evidence=(f"document:demo-{rng.randrange(10**6)}",),
            severity=severity,
            expires_on=_add_months(day, min(int(months), 60)),
        )


def plan_history(
    policy: Any,
    people: list[tuple[str, str]],
    *,
    today: date,
    scale: str,
    seed: int,
    interfaces: Sequence[Interface] | None = None,
    consented: Mapping[str, Collection[str]] | None = None,
) -> list[NewEntry]:
    """The entries to post (without corrections), ordered by deed date.

    Department records come from ``interfaces`` (default: the installed ones); ``consented`` names,
    per interface that needs consent, the residents whose consent covers it (nobody when not given)."""
    rng = random.Random(f"{seed}:history")
    indicators = sorted(policy.indicators.values(), key=lambda i: i.code)
    deeds = [i for i in indicators if i.direction == "positive" and i.category != "record"]
    records = DepartmentRecords(
        policy, feeds.list_interfaces() if interfaces is None else interfaces, consented or {}
    )
    version = str(policy.version)
    lo, hi = PER_RESIDENT.get(scale, PER_RESIDENT["town"])
    out = []
    for rid, grid in people:
        for _ in range(rng.randint(lo, hi)):
            day = today - timedelta(days=rng.randrange(1, HISTORY_DAYS))
            roll = rng.random()
            if roll < 0.70 and deeds:
                ind = rng.choice(deeds)
                pts = rng.randint(min(ind.min_points, ind.points), max(ind.max_points, ind.points))
                out.append(
                    NewEntry(
                        resident_id=rid,
                        indicator=ind.code,
                        aspect=ind.aspect,
                        points=pts,
                        deed_date=day,
                        source="evaluation",
                        actor=f"user:demo-village-{grid[:12]}",
                        policy_version=version,
                        reason=f"{ind.name_zh}（自评—网格互评—村社区评议）",
                        source_ref=f"demo-deed:{rid}:{day}",
                        evidence=(f"photo:demo-{rng.randrange(10**6)}",),
                    )
                )
            else:
                entry = records.entry(rng, rid, day, negative=roll >= 0.92)
                if entry is not None:
                    out.append(entry)
    out.sort(key=lambda e: (e.deed_date, e.resident_id))
    return out


CORRECTION_REASONS = ("更正：重复登记", "更正：分值录入错误", "异议成立：记录不属实", "更正：记错居民")


def build_history(container: Container, *, scale: str, seed: int) -> str:
    from moralbank.ledger import service as ledger
    from moralbank.policy import service as policy_service
    from moralbank.residents import service as residents

    rng = random.Random(f"{seed}:history:corrections")
    with container.uow() as uow:
        policy = policy_service.active(uow)
        people = _residents(uow)
        # who the interfaces that need consent may send records about
        interfaces = feeds.list_interfaces()
        ids = [rid for rid, _ in people]
        consented = {
            i.name: residents.consented_residents(uow, resident_ids=ids, interface=i.name)
            for i in interfaces
            if i.consent_required and i.rules
        }
        uow.commit()  # ``active`` installs the default policy on first use
    today = local_date(container.clock.now())
    plan = plan_history(
        policy, people, today=today, scale=scale, seed=seed, interfaces=interfaces, consented=consented
    )
    posted = 0
    corrections = 0
    for start in range(0, len(plan), BATCH):
        with container.uow() as uow:
            batch = ledger.post(uow, plan[start : start + BATCH])
            # About one in two hundred entries (at least one a batch) turns out wrong and is reversed by
            # a new entry.
            wrong = [e for e in batch if rng.random() < 0.005] or batch[:: max(1, len(batch))][:1]
            fixes = [
                NewEntry(
                    resident_id=e.resident_id,
                    indicator=e.indicator,
                    aspect=e.aspect,
                    points=-e.points,
                    deed_date=e.deed_date,
                    source="objection" if e.points < 0 else "correction",
                    actor="user:demo-village-officer",
                    policy_version=e.policy_version,
                    reason=rng.choice(CORRECTION_REASONS),
                    source_ref=f"demo-correction:{e.seq}",
                    reverses_seq=e.seq,
                )
                for e in wrong
            ]
            if fixes:
                ledger.post(uow, fixes)
            uow.commit()
        posted += len(batch) + len(fixes)
        corrections += len(fixes)
    return (
        f"ledger: {posted} entries for {len(people)} residents ({corrections} corrections), "
        f"policy v{policy.version}, signed checkpoints per batch"
    )
