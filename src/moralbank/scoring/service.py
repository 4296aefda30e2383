"""Scoring use cases: recompute (incremental or full), a resident's score and portrait, percentiles.

Services never commit; the entry point does.
"""

from __future__ import annotations

import builtins
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.kernel.clock import local_date
from moralbank.scoring import domain, repository
from moralbank.scoring.models import ScoreRun

__all__ = [
    "model",
    "model_of",
    "recompute",
    "RunSummary",
    "get",
    "current",
    "history",
    "portrait",
    "Portrait",
    "percentiles",
]

Progress = Callable[[int, int], None]  # (done, total)


# -- the model from the policy ----------------------------------------------------------------------
def model_of(policy: Any) -> domain.ScoreModel:
    """Read the policy's score model, aspects, display periods and catalogue into ``domain.ScoreModel``."""
    aspects = tuple(
        domain.Aspect(a.code, a.name_zh, a.name_en, a.max_points) for a in policy.aspects.values()
    )
    if len(aspects) > 4:
        raise ValueError("the score record holds four aspects; this policy has more")
    tiers = tuple(
        domain.Tier(t.code, t.name_zh, t.name_en, t.min_score, getattr(t, "color", "#5f6b73"))
        for t in policy.score.tiers
    )
    months = {str(k): v for k, v in policy.negatives.display_months.items()}
    deeds = tuple(
        domain.Deed(i.code, i.aspect, i.name_zh, i.name_en, i.points)
        for i in policy.indicators.values()
        if not i.is_negative and i.points > 0
    )
    names = {i.code: (i.name_zh, i.name_en) for i in policy.indicators.values()}
    bases = {i.code: (i.basis_zh, i.basis_en) for i in policy.indicators.values()}
    return domain.ScoreModel(
        policy_version=str(policy.version),
        aspects=aspects,
        tiers=tiers,
        base=policy.score.base,
        min=policy.score.min,
        max=policy.score.max,
        window_months=policy.score.window_months,
        negative_months=months,
        deeds=deeds,
        names=names,
        bases=bases,
    )


def model(uow: UnitOfWork) -> domain.ScoreModel:
    """The score model of the active policy (cached per policy version)."""
    from moralbank.policy import service as policy_service

    policy = policy_service.active(uow)
    key = f"scoring.model:{policy.version}"
    cached = uow.deps.cache.get(key)
    if cached is None:
        cached = uow.deps.cache[key] = model_of(policy)
    return cached


def today(uow: UnitOfWork) -> date:
    return local_date(uow.clock.now())


# -- recompute ----------------------------------------------------------------------------------------
@dataclass
class RunSummary:
    run_id: int
    full: bool
    as_of: date
    policy_version: str
    ledger_seq: int
    residents: int
    changed: int
    dropped: list[str] = field(default_factory=list)

    def line(self) -> str:
        kind = "full" if self.full else "incremental"
        return (
            f"score {kind} run {self.run_id}: {self.residents} residents computed, {self.changed} changed, "
            f"{len(self.dropped)} fell to a lower tier (policy v{self.policy_version}, ledger size "
            f"{self.ledger_seq}, as of {self.as_of})"
        )


def _date(v: Any) -> date | None:
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def _entries(uow: UnitOfWork, resident_id: str) -> list:
    from moralbank.ledger import service as ledger

    return ledger.entries_of(uow, resident_id=resident_id)


class _Finisher:
    """Turns aggregate rows into score values fast: 600,000 rows pass through here in a full run."""

    BIG = 1 << 62  # "no cap"

    def __init__(self, m: domain.ScoreModel):
        self.m = m
        self.n = len(m.aspects)
        self.caps = [self.BIG if a.max_points is None else a.max_points for a in m.aspects]
        self.shortest = min(m.negative_months.values(), default=12)
        self.tiers = [(t.min_score, t.code) for t in reversed(m.ranked_tiers())]  # highest first
        self.lowest = self.tiers[-1][1] if self.tiers else ""
        self._days: dict[Any, date] = {}
        self._ends: dict[Any, date] = {}

    def _day(self, v: Any) -> date:
        d = self._days.get(v)
        if d is None:
            d = self._days[v] = _date(v)  # type: ignore[assignment]
        return d  # type: ignore[return-value]

    def _end(self, v: Any, months: int) -> date:
        key = (v, months)
        end = self._ends.get(key)
        if end is None:
            end = self._ends[key] = domain.add_months(self._day(v), months)
        return end

    def finish(self, sums: Any, row: Any | None) -> tuple[tuple[int, ...], int, str, date | None]:
        m = self.m
        subs = tuple(map(min, sums, self.caps))
        total = m.base + sum(subs)
        total = m.min if total < m.min else m.max if total > m.max else total
        tier = self.lowest
        for low, code in self.tiers:
            if total >= low:
                tier = code
                break
        next_change = None
        if row is not None:
            n = self.n
            pos, exp, neg = row[1 + n], row[2 + n], row[3 + n]
            if pos is not None:
                next_change = self._end(pos, m.window_months)
            if exp is not None:
                d = self._day(exp)
                next_change = d if next_change is None or d < next_change else next_change
            if neg is not None:  # the shortest display period: a conservative (early) day
                d = self._end(neg, self.shortest)
                next_change = d if next_change is None or d < next_change else next_change
        return subs, total, tier, next_change


AS_OF_RANGE = (date(2000, 1, 1), date(2999, 12, 31))


def recompute(
    uow: UnitOfWork,
    *,
    full: bool = False,
    as_of: date | None = None,
    progress: Progress | None = None,
    notify: bool = True,
) -> RunSummary:
    """Recompute scores: every resident (``full``), or only residents with entries posted since the last
    run plus those whose score is due to change today. Falls back to a full run when there was none
    yet or the policy version changed. Residents who fall to a lower tier are notified with reasons.
    """
    from moralbank.residents import service as residents

    m = model(uow)
    as_of = as_of or today(uow)
    if not AS_OF_RANGE[0] <= as_of <= AS_OF_RANGE[1]:  # windows reach years back and ahead of it
        raise InvalidInput(
            Problem(f"as_of must be a day from {AS_OF_RANGE[0]} to {AS_OF_RANGE[1]}", field="as_of")
        )
    db = uow.db
    last = repository.last_run(db)
    if last is None or last.policy_version != m.policy_version:
        full = True
    seq = repository.ledger_size(db)
    run = repository.add_run(
        db,
        ScoreRun(
            full=full,
            as_of=as_of,
            policy_version=m.policy_version,
            ledger_seq=seq,
            started_at=uow.clock.now(),
        ),
    )
    if full:
        targets: set[str] | None = None
        old: dict[str, tuple] = {}
        total_work = repository.enrolled_count(db) if progress else 0
    else:
        assert last is not None
        targets = repository.residents_with_entries_after(db, last.ledger_seq) | repository.residents_due(
            db, as_of
        )
        old = repository.current(db, sorted(targets))
        total_work = len(targets)
    fin = _Finisher(m)
    n = fin.n
    # Take out what reversal pairs contributed: the aggregate skipped the reversing entries but counted
    # the reversed ones (see repository.reversed_entries).
    index = {a.code: i for i, a in enumerate(m.aspects)}
    corrections: dict[str, list[int]] = {}
    for e in repository.reversed_entries(db):
        if e.aspect in index and domain.status_of(e, m, as_of, set()) is domain.Status.COUNTED:
            corrections.setdefault(e.resident_id, [0] * n)[index[e.aspect]] -= e.points

    now = uow.clock.now()
    version = m.policy_version
    pad = (0,) * (4 - n)
    rows: list[tuple] = []
    hist: list[tuple] = []
    fresh: set[str] = set()
    dropped: list[str] = []
    moves: list[tuple[str, int, int]] = []  # (grid, old total, new total), for an incremental run

    def settle(
        rid: str, prev: tuple | None, grid: str | None, subs: tuple, total: int, tier: str, nxt: date | None
    ) -> None:
        """Write the resident's record if its value, next change, policy version or grid changed.
        ``prev``: the stored ``(a1 … a4, total, tier, next_change, policy_version, grid)`` or None."""
        subs4 = subs + pad if pad else subs
        if not full and prev is not None and prev[4] != total and grid is not None:
            moves.append((grid, prev[4], total))
        if (
            prev is not None
            and prev[4] == total
            and prev[:4] == subs4
            and prev[5] == tier
            and prev[6] == nxt
            and prev[7] == version
            and prev[8] == grid
        ):
            return
        if prev is None:
            fresh.add(rid)
            if not full:
                try:
                    grid = residents.grid_of(uow, resident_id=rid)
                except NotFound:
                    grid = None
        rows.append((rid, grid, *subs4, total, tier, as_of, version, seq, run.id, now, nxt))
        if prev is None or prev[4] != total or prev[:4] != subs4 or prev[5] != tier or prev[7] != version:
            hist.append((rid, run.id, as_of, *subs4, total, tier, version, seq))
        if prev is not None and domain.dropped_tier(m, prev[5], tier):
            dropped.append(rid)

    def stored(row: tuple, at: int) -> tuple | None:
        """The stored record in a full-run row: ``has_record`` at ``at``, then its nine values."""
        if not row[at]:
            return None
        r = row[at + 1 : at + 10]
        return (*r[:6], _date(r[6]), *r[7:])

    base = fin.finish([0] * n, None)
    if full:
        # Only residents whose record may have changed come back from the database (see
        # repository.full_changes); the finishing step here decides.
        for row in repository.full_changes(db, m, as_of, shortest_months=fin.shortest):
            rid = row[0]
            sums = row[1 : 1 + n]
            fix = corrections.get(rid)
            if fix is not None:
                sums = [int(a or 0) + b for a, b in zip(sums, fix, strict=True)]
            settle(rid, stored(row, 5 + n), row[4 + n], *fin.finish(sums, row))
        if progress:
            progress(total_work // 2, total_work)
        base_values = (*base[0], *pad, base[1])
        for row in repository.full_rest(db, m, as_of, base_values):
            settle(row[0], stored(row, 2), row[1], *base)
        orphans = repository.full_orphans(db, m, as_of)
    else:
        seen: set[str] = set()
        for row in repository.aggregate(db, m, as_of, sorted(targets or ())):
            rid = row[0]
            sums = row[1 : 1 + n]
            fix = corrections.get(rid)
            if fix is not None:
                sums = [int(a or 0) + b for a, b in zip(sums, fix, strict=True)]
            seen.add(rid)
            prev = old.get(rid)
            settle(rid, prev, prev[8] if prev else None, *fin.finish(sums, row))
        for rid in (targets or set()) - seen:
            prev = old.get(rid)
            settle(rid, prev, prev[8] if prev else None, *base)

    repository.upsert_scores(db, rows, fresh=fresh)
    repository.add_history(db, hist)
    per_grid: Counter = Counter()  # (grid, total) -> residents, for the distributions of a full run
    if full:
        repository.delete_scores(db, orphans)
        db.flush()
        for grid, total, count in repository.totals_by_grid(db):
            per_grid[(grid, total)] += count
        scored = sum(per_grid.values())  # every enrolled resident and everyone with an entry counted
    else:
        scored = len(targets or ())
    _update_distributions(uow, run, full=full, per_grid=per_grid, moves=moves)
    if notify:
        for rid in dropped:
            _notify_drop(uow, m, rid, as_of)
    run.residents = scored
    run.changed = len(rows)
    run.dropped = len(dropped)
    run.finished_at = uow.clock.now()
    db.flush()
    if progress:
        progress(total_work, total_work)
    return RunSummary(run.id, full, as_of, m.policy_version, seq, scored, len(rows), dropped)


def _ancestors(uow: UnitOfWork) -> dict[str, list[tuple[str, str]]]:
    """Grid code → [(unit code, level)] for the grid and every unit above it."""
    from moralbank.orgs import service as orgs

    key = "scoring.ancestors"
    levels = ("city", "township", "village", "grid")
    out: dict[str, list[tuple[str, str]]] = {}
    for grid, path in orgs.open_grids(uow).items():
        codes = [c for c in path.split("/") if c]
        out[grid] = [(c, levels[i] if i < len(levels) else "grid") for i, c in enumerate(codes)]
    uow.deps.cache[key] = out
    return out


def _update_distributions(
    uow: UnitOfWork, run: ScoreRun, *, full: bool, per_grid: Counter, moves: list[tuple[str, int, int]]
) -> None:
    """Per-unit histograms of totals: rebuilt by a full run, adjusted by an incremental one."""
    ancestors = _ancestors(uow)
    if full:
        # Each grid's histogram, then every unit's added into its parent's, deepest units first: one
        # addition per (unit, total) instead of one per (grid, total) and level.
        hists: dict[str, Counter] = defaultdict(Counter)
        for (grid, total), n in per_grid.items():
            if grid in ancestors:
                hists[grid][total] += n
        levels = {code: level for chain in ancestors.values() for code, level in chain}
        parent: dict[str, tuple[int, str]] = {}  # unit -> (its depth, its parent)
        for chain in ancestors.values():
            for depth in range(1, len(chain)):
                parent[chain[depth][0]] = (depth, chain[depth - 1][0])
        for code in sorted(parent, key=lambda c: -parent[c][0]):
            h = hists.get(code)
            if h:
                up = hists[parent[code][1]]
                for total, n in h.items():
                    up[total] += n
        repository.replace_distributions(
            uow.db,
            [
                {
                    "unit_code": code,
                    "level": levels[code],
                    "histogram": {str(k): v for k, v in sorted(h.items())},
                    "residents": sum(h.values()),
                    "run_id": run.id,
                }
                for code, h in hists.items()
            ],
        )
        return
    by_grid: dict[str, Counter] = defaultdict(Counter)
    for grid, before, after in moves:  # residents placed by a full run whose total changed
        by_grid[grid][before] -= 1
        by_grid[grid][after] += 1
    deltas: dict[str, Counter] = defaultdict(Counter)
    for grid, change in by_grid.items():
        for code, _level in ancestors.get(grid, ()):
            deltas[code].update(change)
    if not deltas:
        return
    stored = repository.histograms(uow.db, deltas)
    updates = []
    for code, delta in deltas.items():
        hist = stored.get(code)
        if hist is None:
            continue
        h = dict(hist)
        reorder = False
        for total, d in delta.items():
            if d:
                k = str(total)
                v = h.get(k, 0) + d
                if k not in h or v <= 0:
                    reorder = True
                if v > 0:
                    h[k] = v
                else:
                    h.pop(k, None)
        if reorder:  # a total appeared or went: keep the keys in numeric order, as a full run writes them
            h = dict(sorted(h.items(), key=_numeric_key))
        updates.append({"u": code, "histogram": h, "residents": sum(h.values()), "run_id": run.id})
    repository.update_histograms(uow.db, updates)


def _numeric_key(item: tuple[str, int]) -> int:
    return int(item[0])


OBJECTION_PATH = "/me/portrait#entries"


def _notify_drop(uow: UnitOfWork, m: domain.ScoreModel, resident_id: str, as_of: date) -> None:
    from moralbank.notify import service as notify

    ex = domain.explain(m, resident_id, _entries(uow, resident_id), as_of)
    tier = m.tier(ex.score.tier)
    name = tier.name_zh if tier else ex.score.tier
    lines = [f"您的道德积分为 {ex.score.total} 分，等级调整为“{name}”。主要原因："]
    lines += [f"{i}. {r}" for i, r in enumerate(ex.reasons or ("积分记录发生变化。",), 1)]
    lines.append(f"可在“我的道德画像”查看每条记录；如有异议，可在此提出：{OBJECTION_PATH}")
    notify.send(
        uow,
        resident_id=resident_id,
        subject=f"道德积分等级调整为“{name}”",
        body="\n".join(lines),
        ref=f"score:{resident_id}",
    )


# -- reading ------------------------------------------------------------------------------------------
def get(uow: UnitOfWork, *, resident_id: str) -> Any:
    """The stored score record (NotFound before the first run that scored the resident)."""
    s = repository.get(uow.db, resident_id)
    if s is None:
        raise NotFound(f"no score for {resident_id} yet")
    return s


def current(uow: UnitOfWork, *, resident_id: str) -> domain.Score:
    """Today's score computed from the ledger now (what the green code shows)."""
    return domain.compute(model(uow), resident_id, _entries(uow, resident_id), today(uow))


def history(uow: UnitOfWork, *, resident_id: str) -> builtins.list[tuple[date, int]]:
    """(day, total) points of the line chart, oldest first."""
    return [(h.as_of, h.total) for h in repository.history(uow.db, resident_id)]


def percentiles(uow: UnitOfWork, *, grid_code: str | None, total: int) -> dict[str, float | None]:
    """Percentile of ``total`` in the resident's grid, village and the city (aggregates only)."""
    ancestors = (
        _ancestors(uow) if "scoring.ancestors" not in uow.deps.cache else uow.deps.cache["scoring.ancestors"]
    )
    chain = dict((level, code) for code, level in ancestors.get(grid_code or "", ()))
    wanted = {level: chain.get(level) for level in ("grid", "village", "city")}
    stored = repository.distributions(uow.db, [c for c in wanted.values() if c])
    out: dict[str, float | None] = {}
    for level, code in wanted.items():
        d = stored.get(code) if code else None
        out[level] = domain.percentile({int(k): v for k, v in d.histogram.items()}, total) if d else None
    return out


@dataclass
class Portrait:
    resident_id: str
    model: domain.ScoreModel
    explanation: domain.Explanation
    record: Any | None  # the stored score record, when a run has scored the resident
    history: builtins.list[tuple[date, int]]
    percentiles: dict[str, float | None]

    @property
    def score(self) -> domain.Score:
        return self.explanation.score

    @property
    def timeline(self) -> builtins.list[tuple[date, int]]:
        """The line chart's points: the recorded history, one point a day, ending on today's score."""
        return domain.timeline(self.history, self.score)


def portrait(uow: UnitOfWork, *, resident_id: str, principal: Principal, lang: str = "zh-CN") -> Portrait:
    """A resident's moral portrait, for the resident or for staff whose subtree holds them (logged)."""
    from moralbank.audit import service as audit
    from moralbank.auth import service as auth

    if principal.role == Role.RESIDENT:
        if principal.resident_id != resident_id:
            raise NotFound(f"no resident {resident_id}")
    elif principal.is_staff:
        auth.authorize(uow, principal, "read", resident_id=resident_id)
        audit.log_read(
            uow, principal=principal, resident_id=resident_id, what="scoring.portrait", why="moral portrait"
        )
    else:
        raise PermissionDenied("only the resident and staff in scope see a portrait")
    m = model(uow)
    ex = domain.explain(m, resident_id, _entries(uow, resident_id), today(uow), lang=lang)
    record = repository.get(uow.db, resident_id)
    grid = record.grid_code if record else None
    if grid is None:
        from moralbank.residents import service as residents

        try:
            grid = residents.grid_of(uow, resident_id=resident_id)
        except NotFound:
            grid = None
    return Portrait(
        resident_id,
        m,
        ex,
        record,
        history(uow, resident_id=resident_id),
        percentiles(uow, grid_code=grid, total=ex.score.total),
    )
