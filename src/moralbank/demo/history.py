"""Demo step: a ledger history for the demo residents over the last ~18 months.

Each resident gets a plausible handful of entries from the active policy's catalogue: evaluated deeds
(self → grid → village), posted through ``ledger.service.post`` with a few corrections that reverse
an earlier one, and department records. Deterministic from the seed; every entry names the policy
version applied.

Department records take the path of every arrival, as the departments' quarterly files would: the
records of a quarter arrive on the first working day from the 3rd of the month after it
(``feeds.service.import_batch``, the container's clock standing at that morning). Feeds holds the
records of residents who have not consented to the interface and hands the others to evaluation,
which applies the interface's rules and the policy's ranges and caps: a positive whose indicator
posts without a human posts at once; a deduction waits for two village officers (here the next two
working days; one in twenty is rejected) and the objection window (``evaluation.service.process_due``,
run on the day they take effect). So every department entry has its record behind it, counted
on the resident's data-sharing page. Records of the quarter under way have not arrived yet.

Records are planned only from rules whose indicator posts without a human or deducts, and only about
residents whose consent covers the interface (feeds would hold the others).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from moralbank.auth.domain import Role
from moralbank.bootstrap import Container
from moralbank.demo import city
from moralbank.demo.users import staff
from moralbank.feeds import service as feeds
from moralbank.feeds.domain import Counts, Interface, Rule
from moralbank.kernel.clock import CHINA, local_date
from moralbank.ledger.domain import NewEntry

PER_RESIDENT = {"town": (0, 9), "yuyao": (0, 6)}  # entries per resident, uniform in this range
DEEDS = 0.77  # share of a resident's entries that are evaluated deeds
DEDUCTIONS = 0.0025  # ... that are department deductions; the rest are department positives
REJECTED = 0.05  # share of department deductions the second officer rejects
BATCH = 20_000  # deed entries per posting batch (one signed checkpoint each)
HISTORY_DAYS = 540


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


@dataclass(frozen=True)
class DepartmentRecord:
    """A record a department sends about a resident: its id, the deed's date and the fields its rule
    looks at (the department's other fields are filled in when it is sent)."""

    interface: Interface
    record_id: str
    resident_id: str
    deed_date: date
    values: Mapping[str, Any]
    negative: bool  # its rule deducts


class DepartmentRecords:
    """Records of the interfaces that may send one about a resident, numbered per interface and year
    (``series`` keeps the numbers of two sets of records apart)."""

    def __init__(
        self,
        policy: Any,
        interfaces: Sequence[Interface],
        consented: Mapping[str, Collection[str]],
        *,
        series: str = "",
    ) -> None:
        self.consented, self.series = consented, series
        self.sources = department_sources(policy, interfaces)
        self.numbers: Counter[tuple[str, int]] = Counter()  # the departments' record numbers, per year

    def record(
        self, rng: random.Random, rid: str, day: date, *, negative: bool, indicator: str | None = None
    ) -> DepartmentRecord | None:
        """A record about ``rid`` from an interface that may send one, of ``indicator`` when given
        (None: none may)."""
        eligible = [
            s
            for s in self.sources
            if s.negative == negative
            and indicator in (None, s.rule.indicator)
            and (not s.interface.consent_required or rid in self.consented.get(s.interface.name, ()))
        ]
        if not eligible:
            return None
        src = rng.choice(eligible)
        iface = src.interface
        key = (iface.name, day.year)
        self.numbers[key] += 1
        abbr = iface.name.replace("_", "")[:4].upper()
        record_id = f"{abbr}-{day.year}-{self.series}{self.numbers[key]:06d}"
        return DepartmentRecord(iface, record_id, rid, day, _record_values(src.rule, rng), src.negative)


@dataclass(frozen=True)
class Plan:
    deeds: list[NewEntry]  # evaluated deeds, posted as they are
    records: list[DepartmentRecord]  # department records, sent through their interfaces


def plan_history(
    policy: Any,
    people: list[tuple[str, str]],
    *,
    today: date,
    scale: str,
    seed: int,
    interfaces: Sequence[Interface] | None = None,
    consented: Mapping[str, Collection[str]] | None = None,
) -> Plan:
    """The deeds to post (without corrections) and the department records to send, each ordered by
    deed date.

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
    plan = Plan([], [])
    for rid, grid in people:
        for _ in range(rng.randint(lo, hi)):
            day = today - timedelta(days=rng.randrange(1, HISTORY_DAYS))
            roll = rng.random()
            if roll < DEEDS and deeds:
                ind = rng.choice(deeds)
                pts = rng.randint(min(ind.min_points, ind.points), max(ind.max_points, ind.points))
                plan.deeds.append(
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
            elif record := records.record(rng, rid, day, negative=roll >= 1 - DEDUCTIONS):
                plan.records.append(record)
    plan.deeds.sort(key=lambda e: (e.deed_date, e.resident_id))
    plan.records.sort(key=lambda r: (r.deed_date, r.resident_id))
    return plan


def _workday(d: date) -> date:
    """``d``, or the Monday after it when it falls on a weekend."""
    return d + timedelta(days=7 - d.weekday()) if d.weekday() >= 5 else d


def arrival(deed_date: date) -> datetime:
    """When the quarterly file holding a record of that day arrives: 09:00 on the first working day
    from the 3rd of the month after the quarter."""
    years, month = divmod((deed_date.month - 1) // 3 * 3 + 3, 12)
    day = _workday(date(deed_date.year + years, month + 1, 3))
    return datetime.combine(day, time(9), tzinfo=CHINA)


def send(
    container: Container, records: Sequence[DepartmentRecord], numbers: Mapping[str, str], *, seed: int
) -> Counts:
    """Send records the way their departments do, arriving now: one import per interface, through the
    importer every arrival takes (``feeds.importer.run_import``). A record is the interface's sample row
    (``feeds.samples.rows``) with the record's own id, resident, date and values; ``numbers`` gives the
    residents' ID numbers."""
    from moralbank.feeds import samples
    from moralbank.feeds.domain import read_json_records
    from moralbank.feeds.importer import run_import

    today = local_date(container.clock.now())
    total = Counts()
    by_interface: dict[str, list[DepartmentRecord]] = defaultdict(list)
    for r in records:
        by_interface[r.interface.name].append(r)
    for name, recs in sorted(by_interface.items()):
        iface = recs[0].interface
        ids = [numbers[r.resident_id] for r in recs]
        rows = list(samples.rows(iface, ids, len(recs), seed=seed, today=today))
        for r, number, row in zip(recs, ids, rows, strict=True):
            row.update(r.values)
            row |= {
                iface.source_id: r.record_id,
                iface.person_field: number,
                iface.date_field: r.deed_date.isoformat(),
            }
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
        file_name = f"{name}-{today:%Y%m%d}.jsonl"
        result = run_import(
            container,
            interface=name,
            rows=read_json_records(rows, file=file_name),
            file_name=file_name,
            content_sha256=hashlib.sha256(body).hexdigest(),
            transport=iface.transports[0],
            actor="demo",
        )
        total.add(result.counts)
    return total


def _villages(uow: Any) -> dict[str, tuple[str, str]]:
    """Grid code → (village code, village path), from the grids' paths ``/city/township/village/grid/``."""
    from moralbank.orgs import service as orgs

    out = {}
    for grid, path in orgs.open_grids(uow).items():
        parts = path.strip("/").split("/")
        out[grid] = (parts[-2], "/" + "/".join(parts[:-1]) + "/")
    return out


def _decide_deductions(
    container: Container, villages: Collection[tuple[str, str]], arrived: datetime, rng: random.Random
) -> Counter[str]:
    """The department deductions that arrived go the way of every deduction: two officers of each
    village decide them (the first checks them on the next working day, the second confirms them, or
    rejects one in twenty, on the day after, which opens the objection window) and the daily job posts
    them on the day they take effect. A day not yet come leaves them waiting."""
    from moralbank.evaluation import service as ev

    counts: Counter[str] = Counter()
    day, effective = arrived.date(), None
    for n, state in ((1, "village_review"), (2, "confirm_review")):
        day = _workday(day + timedelta(days=1))
        when = datetime.combine(day, time(10), tzinfo=CHINA)
        if when >= container.clock.now():
            return counts
        with city.at(container, when), container.uow() as uow:
            for village, path in sorted(villages):
                officer = staff(Role.VILLAGE_OFFICER, village, path, n)
                for item in ev.review_queue(uow, principal=officer):
                    if item.state != state or not item.negative or item.interface is None:
                        continue
                    if n == 2 and rng.random() < REJECTED:
                        ev.reject(uow, principal=officer, item_id=item.id, reason="经核实，记录与本人不符")
                        counts["rejected"] += 1
                        continue
                    row = ev.approve(uow, principal=officer, item_id=item.id)
                    counts["confirmed" if n == 2 else "checked"] += 1
                    effective = max(filter(None, (effective, row.effective_on)), default=None)
            uow.commit()
    when = datetime.combine(effective, time(9), tzinfo=CHINA) if effective else None
    if when and when < container.clock.now():
        with city.at(container, when):
            counts["posted"] += _process_due(container)
    return counts


def _process_due(container: Container) -> int:
    """The daily job: post the deductions whose objection window has passed; how many it posted."""
    from moralbank.evaluation import service as ev

    with container.uow() as uow:
        posted = ev.process_due(uow)
        uow.commit()
    return len(posted)


def send_history(
    container: Container, records: Sequence[DepartmentRecord], *, grids: Mapping[str, str], seed: int
) -> str:
    """Send the planned department records quarter by quarter, as they would have arrived, and take their
    deductions through review; a summary line. ``grids``: each resident's grid."""
    now = container.clock.now()
    numbers = city.id_numbers(container, seed=seed, resident_ids={r.resident_id for r in records})
    with container.uow(write=False) as uow:
        villages = _villages(uow)
    arrivals: dict[datetime, list[DepartmentRecord]] = defaultdict(list)
    for r in records:
        if (when := arrival(r.deed_date)) < now and r.resident_id in numbers:
            arrivals[when].append(r)
    rng = random.Random(f"{seed}:history:review")
    total = Counts()
    decided: Counter[str] = Counter()
    for k, when in enumerate(sorted(arrivals)):
        batch = arrivals[when]
        with city.at(container, when):
            total.add(send(container, batch, numbers, seed=seed * 100 + k))
        deducting = {villages[grids[r.resident_id]] for r in batch if r.negative}
        decided += _decide_deductions(container, deducting, when, rng)
    return (
        f"department history: {total.received} records in {len(arrivals)} quarterly arrivals "
        f"({total.accepted} accepted, {total.held_for_consent} held for consent); "
        f"{decided['confirmed'] + decided['rejected']} deductions decided by two officers "
        f"({decided['rejected']} rejected), {decided['posted']} posted after their objection window"
    )


CORRECTION_REASONS = ("更正：重复登记", "更正：分值录入错误", "异议成立：记录不属实", "更正：记错居民")


def _post_deeds(container: Container, deeds: list[NewEntry], rng: random.Random) -> tuple[int, int]:
    """Post the deeds in batches; about one in two hundred (at least one a batch) turns out wrong and is
    reversed by a new entry. Returns (entries posted, corrections among them)."""
    from moralbank.ledger import service as ledger

    posted = corrections = 0
    for start in range(0, len(deeds), BATCH):
        with container.uow() as uow:
            batch = ledger.post(uow, deeds[start : start + BATCH])
            wrong = [e for e in batch if rng.random() < 0.005] or batch[:1]
            fixes = [
                NewEntry(
                    resident_id=e.resident_id,
                    indicator=e.indicator,
                    aspect=e.aspect,
                    points=-e.points,
                    deed_date=e.deed_date,
                    source="correction",
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
    return posted, corrections


def build_history(container: Container, *, scale: str, seed: int) -> str:
    from moralbank.policy import service as policy_service
    from moralbank.residents import service as residents

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
    # the records first: they arrived over the months, while the deeds below are posted today
    department = send_history(container, plan.records, grids=dict(people), seed=seed)
    posted, corrections = _post_deeds(container, plan.deeds, random.Random(f"{seed}:history:corrections"))
    return (
        f"ledger: {posted} entries of deeds for {len(people)} residents ({corrections} corrections), "
        f"policy v{policy.version}, signed checkpoints per batch; {department}"
    )
