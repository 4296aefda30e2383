"""Demo step: a ledger history for the demo residents, posted through ``ledger.service.post``.

Over the last ~18 months each resident gets a plausible handful of entries from the active policy's
catalogue: evaluated deeds (self → grid → village), department records (big-data positives and a few
negatives with their severity and display period) and a few corrections that reverse an earlier
entry. Deterministic from the seed; every entry names the policy version applied.
"""

from __future__ import annotations

import calendar
import random
from datetime import date, timedelta

from moralbank.bootstrap import Container
from moralbank.kernel.clock import local_date
from moralbank.ledger.domain import NewEntry

PER_RESIDENT = {"town": (0, 9), "yuyao": (0, 6)}  # entries per resident, uniform in this range
BATCH = 20_000  # entries per posting batch (one signed checkpoint each)
HISTORY_DAYS = 540
DEFAULT_DISPLAY_MONTHS = {"minor": 3, "general": 12, "serious": 36}
FEEDS = ("social-security", "market-supervision", "taxation", "public-security", "court", "bank")


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


def plan_history(
    policy,
    people: list[tuple[str, str]],
    *,
    today: date,
    scale: str,  # noqa: ANN001
    seed: int,
) -> list[NewEntry]:
    """The entries to post (without corrections), ordered by deed date."""
    rng = random.Random(f"{seed}:history")
    indicators = sorted(policy.indicators.values(), key=lambda i: i.code)
    deeds = [i for i in indicators if i.direction == "positive" and i.category != "record"]
    records = [i for i in indicators if i.direction == "positive" and i.category == "record"] or deeds
    negatives = [i for i in indicators if i.direction == "negative"]
    display = getattr(getattr(policy, "negatives", None), "display_months", {}) or {}
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
            elif roll < 0.92 and records:
                ind = rng.choice(records)
                out.append(
                    NewEntry(
                        resident_id=rid,
                        indicator=ind.code,
                        aspect=ind.aspect,
                        points=ind.points,
                        deed_date=day,
                        source="department",
                        actor=f"feed:{rng.choice(FEEDS)}",
                        policy_version=version,
                        reason=f"{ind.name_zh}（部门数据自动评价）",
                        source_ref=f"demo-record:{rng.randrange(10**9)}",
                    )
                )
            elif negatives:
                ind = rng.choice(negatives)
                severity = str(ind.severity or "general")
                months = ind.display_months or display.get(severity) or DEFAULT_DISPLAY_MONTHS[severity]
                out.append(
                    NewEntry(
                        resident_id=rid,
                        indicator=ind.code,
                        aspect=ind.aspect,
                        points=ind.points,
                        deed_date=day,
                        source="department",
                        actor=f"feed:{rng.choice(FEEDS)}",
                        policy_version=version,
                        reason=f"{ind.name_zh}：{ind.basis_zh}",
                        source_ref=f"demo-record:{rng.randrange(10**9)}",
                        evidence=(f"document:demo-{rng.randrange(10**6)}",),
                        severity=severity,
                        expires_on=_add_months(day, min(int(months), 60)),
                    )
                )
    out.sort(key=lambda e: (e.deed_date, e.resident_id))
    return out


CORRECTION_REASONS = ("更正：重复登记", "更正：分值录入错误", "异议成立：记录不属实", "更正：记错居民")


def build_history(container: Container, *, scale: str, seed: int) -> str:
    from moralbank.ledger import service as ledger
    from moralbank.policy import service as policy_service

    rng = random.Random(f"{seed}:history:corrections")
    with container.uow() as uow:
        policy = policy_service.active(uow)
        people = _residents(uow)
        uow.commit()  # ``active`` installs the default policy on first use
    today = local_date(container.clock.now())
    plan = plan_history(policy, people, today=today, scale=scale, seed=seed)
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
