"""The score model: which ledger entries count, per-aspect sub-scores, total, tier, and the words that
explain them. Pure: stdlib only.

The rules (the policy's score model; docs/scoring.md):

* An entry counts on day ``as_of`` when it was done on or before that day, is not part of a reversal
  (an entry another entry reverses — corrected, withdrawn after an objection, repaired — and the
  reversing entry both drop out), and is still in effect: a deed with positive points when dated
  after ``as_of − window_months``; a negative record until its ``expires_on`` (the end of its
  display period, fixed when it was posted) or, when the ledger gave none, for the display period
  of its severity.
* An aspect's sub-score is the sum of its counted points, capped above at the aspect's
  ``max_points`` (so no single kind of deed can buy a tier). Per-indicator caps (per month/year)
  limit what may be *posted* and are enforced where points are posted.
* The total is ``clamp(base + Σ sub-scores, min, max)``; the tier is the highest whose minimum the
  total reaches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

MAX_REASONS = 4  # adverse-action notices give at most four principal reasons (Reg B model)


class EntryLike(Protocol):
    """The fields of a ledger entry the score reads (``ledger.domain.Entry`` has them all)."""

    seq: int
    resident_id: str
    indicator: str
    aspect: str
    points: int
    deed_date: date
    source: str
    reverses_seq: int | None
    severity: str | None
    expires_on: date | None


@dataclass(frozen=True)
class Aspect:
    code: str
    name_zh: str
    name_en: str
    max_points: int | None  # the most this aspect may add to the score (None: no cap)


@dataclass(frozen=True)
class Tier:
    code: str
    name_zh: str
    name_en: str
    min_score: int
    color: str = "#5f6b73"


@dataclass(frozen=True)
class Deed:
    """A catalogued positive indicator, as far as the portrait needs it."""

    code: str
    aspect: str
    name_zh: str
    name_en: str
    points: int


@dataclass(frozen=True)
class ScoreModel:
    """The policy's score model (``policy.domain.ScoreModel`` and the aspects), as scoring reads it."""

    policy_version: str
    aspects: tuple[Aspect, ...]
    tiers: tuple[Tier, ...]  # any order
    base: int = 60
    min: int = 0
    max: int = 110
    window_months: int = 24
    negative_months: Mapping[str, int] = field(
        default_factory=lambda: {"minor": 3, "general": 12, "serious": 36}
    )
    deeds: tuple[Deed, ...] = ()
    names: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # indicator -> (zh, en)
    bases: Mapping[str, tuple[str, str]] = field(
        default_factory=dict
    )  # indicator -> published basis (zh, en)

    @property
    def aspect_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.aspects)

    def ranked_tiers(self) -> list[Tier]:
        """Lowest first."""
        return sorted(self.tiers, key=lambda t: t.min_score)

    def tier_of(self, total: int) -> str:
        best = self.ranked_tiers()[0] if self.tiers else None
        for t in self.ranked_tiers():
            if total >= t.min_score:
                best = t
        return best.code if best else ""

    def tier_rank(self, code: str) -> int:
        codes = [t.code for t in self.ranked_tiers()]
        return codes.index(code) if code in codes else -1

    def tier(self, code: str) -> Tier | None:
        return next((t for t in self.tiers if t.code == code), None)

    def next_tier(self, total: int) -> Tier | None:
        return next((t for t in self.ranked_tiers() if t.min_score > total), None)

    def negative_period(self, severity: str | None) -> int:
        return self.negative_months.get(severity or "general", self.negative_months.get("general", 12))

    def window_start(self, as_of: date) -> date:
        """Positive deeds dated after this day count on ``as_of``."""
        return add_months(as_of, -self.window_months)

    def negative_start(self, as_of: date, severity: str | None) -> date:
        """Negatives without an expiry date count when dated after this day."""
        return add_months(as_of, -self.negative_period(severity))

    def indicator_name(self, code: str, lang: str = "zh-CN") -> str:
        zh, en = self.names.get(code, (code, code))
        return en if lang.startswith("en") else zh

    def indicator_basis(self, code: str, lang: str = "zh-CN") -> str:
        """The published rule an indicator rests on (the catalogue's basis text)."""
        zh, en = self.bases.get(code, ("", ""))
        return en if lang.startswith("en") else zh


def add_months(d: date, months: int) -> date:
    """Calendar months, clipped to the month's end (2024-02-29 + 12 months = 2025-02-28)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return date(year, month, min(d.day, days))


class Status(StrEnum):
    """Why an entry does or does not count on the day scored."""

    COUNTED = "counted"
    FUTURE = "future"  # deed date after the day scored
    OUT_OF_WINDOW = "out_of_window"  # a positive deed older than the window
    EXPIRED = "expired"  # a negative record past its display period
    REVERSED = "reversed"  # reversed by a later entry (correction, objection, repair)
    REVERSAL = "reversal"  # the reversing entry itself
    ZERO = "zero"  # no points
    OTHER_ASPECT = "other_aspect"  # not one of the model's aspects


def effect_end(e: EntryLike, model: ScoreModel) -> date:
    """The first day an entry may no longer count (never later than the true end)."""
    if e.points < 0:
        if e.expires_on is not None:
            return e.expires_on
        return add_months(e.deed_date, model.negative_period(e.severity))
    return add_months(e.deed_date, model.window_months)


def excluded_by_reversal(entries: Iterable[EntryLike]) -> set[int]:
    """Seqs of every entry in a reversal pair: the reversed entry and the reversing one."""
    out: set[int] = set()
    for e in entries:
        if e.reverses_seq is not None:
            out.add(e.seq)
            out.add(e.reverses_seq)
    return out


def status_of(e: EntryLike, model: ScoreModel, as_of: date, reversal: set[int]) -> Status:
    if e.seq in reversal:
        return Status.REVERSAL if e.reverses_seq is not None else Status.REVERSED
    if e.aspect not in model.aspect_codes:
        return Status.OTHER_ASPECT
    if e.points == 0:
        return Status.ZERO
    if e.deed_date > as_of:
        return Status.FUTURE
    if e.points > 0:
        return Status.COUNTED if e.deed_date > model.window_start(as_of) else Status.OUT_OF_WINDOW
    if e.expires_on is not None:
        return Status.COUNTED if as_of < e.expires_on else Status.EXPIRED
    return Status.COUNTED if e.deed_date > model.negative_start(as_of, e.severity) else Status.EXPIRED


@dataclass(frozen=True)
class Score:
    """A resident's score on one day, from one policy version."""

    resident_id: str
    as_of: date
    policy_version: str
    aspects: tuple[int, ...]  # sub-scores in the model's aspect order
    total: int
    tier: str
    next_change: date | None  # a day on or before which the score may change with no new entries


def finish(model: ScoreModel, aspect_sums: Mapping[str, int]) -> tuple[tuple[int, ...], int, str]:
    """Sub-scores (each capped at its aspect's maximum), total and tier from the counted points."""
    subs = tuple(
        min(aspect_sums.get(a.code, 0), a.max_points)
        if a.max_points is not None
        else aspect_sums.get(a.code, 0)
        for a in model.aspects
    )
    total = max(model.min, min(model.max, model.base + sum(subs)))
    return subs, total, model.tier_of(total)


def compute(model: ScoreModel, resident_id: str, entries: Iterable[EntryLike], as_of: date) -> Score:
    """The score of one resident on ``as_of`` from their ledger entries (the reference computation)."""
    entries = list(entries)
    reversal = excluded_by_reversal(entries)
    sums: dict[str, int] = defaultdict(int)
    changes: list[date] = []
    for e in entries:
        st = status_of(e, model, as_of, reversal)
        if st is Status.COUNTED:
            sums[e.aspect] += e.points
            changes.append(effect_end(e, model))
        elif st is Status.FUTURE:
            changes.append(e.deed_date)
    subs, total, tier = finish(model, sums)
    return Score(resident_id, as_of, model.policy_version, subs, total, tier, min(changes, default=None))


def timeline(history: Iterable[tuple[date, int]], score: Score) -> list[tuple[date, int]]:
    """The score over time as the line chart draws it: one point per day, oldest first, each day's last
    recorded total, ending with ``score`` on its own day — it replaces what a run recorded earlier that
    day, so the chart ends on the score the portrait shows."""
    days = {day: total for day, total in history if day < score.as_of}
    days[score.as_of] = score.total
    return sorted(days.items())


def dropped_tier(model: ScoreModel, old_tier: str | None, new_tier: str) -> bool:
    """A fall to a lower tier: an adverse effect the resident is told about, with reasons."""
    return old_tier is not None and model.tier_rank(new_tier) < model.tier_rank(old_tier)


# -- explanation --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One entry on the portrait: how it bears on today's score."""

    entry: EntryLike
    status: Status
    effect_end: date


@dataclass(frozen=True)
class Explanation:
    score: Score
    lines: tuple[Line, ...]  # newest first
    reasons: tuple[str, ...]  # up to four, plain words, only when below the top tier
    raise_by: tuple[Deed, ...]  # catalogued deeds that would raise the score


def explain(
    model: ScoreModel, resident_id: str, entries: Iterable[EntryLike], as_of: date, *, lang: str = "zh-CN"
) -> Explanation:
    entries = sorted(entries, key=lambda e: e.seq, reverse=True)
    score = compute(model, resident_id, entries, as_of)
    reversal = excluded_by_reversal(entries)
    lines = tuple(Line(e, status_of(e, model, as_of, reversal), effect_end(e, model)) for e in entries)
    return Explanation(
        score, lines, principal_reasons(model, score, lines, lang=lang), raising_deeds(model, score)
    )


def principal_reasons(
    model: ScoreModel, score: Score, lines: Iterable[Line], *, lang: str = "zh-CN"
) -> tuple[str, ...]:
    """At most four plain reasons why the score is below the next tier: the heaviest negative records
    still in effect first, then the aspects with the most room left below their maximum."""
    if model.next_tier(score.total) is None:
        return ()
    en = lang.startswith("en")
    negatives: dict[str, list[Line]] = defaultdict(list)
    for line in lines:
        if line.status is Status.COUNTED and line.entry.points < 0:
            negatives[line.entry.indicator].append(line)
    ranked = sorted(negatives.items(), key=lambda kv: (sum(li.entry.points for li in kv[1]), kv[0]))
    reasons: list[str] = []
    for indicator, group in ranked[:MAX_REASONS]:
        pts = -sum(li.entry.points for li in group)
        until = max(li.effect_end for li in group)
        name = model.indicator_name(indicator, lang)
        if en:
            what = f"{len(group)} records" if len(group) > 1 else f"recorded for {group[0].entry.deed_date}"
            reasons.append(f"Negative record “{name}” ({what}) takes off {pts} points until {until}.")
        else:
            what = f"{len(group)} 条" if len(group) > 1 else f"{group[0].entry.deed_date}"
            reasons.append(f"负面记录“{name}”（{what}）扣 {pts} 分，{until} 起不再计入。")
    rooms = sorted(
        (
            (a.max_points - sub, a)
            for a, sub in zip(model.aspects, score.aspects, strict=True)
            if a.max_points is not None and sub < a.max_points
        ),
        key=lambda g: (-g[0], g[1].code),
    )
    for room, aspect in rooms:
        if len(reasons) >= MAX_REASONS:
            break
        have = aspect.max_points - room  # type: ignore[operator]
        if en:
            reasons.append(
                f"{aspect.name_en}: {have} of up to {aspect.max_points} points from deeds "
                f"recorded in the last {model.window_months} months."
            )
        else:
            reasons.append(
                f"{aspect.name_zh}：近 {model.window_months} 个月记录的善行计 {have} 分"
                f"（最多 {aspect.max_points} 分）。"
            )
    return tuple(reasons)


def raising_deeds(model: ScoreModel, score: Score, *, limit: int = 6) -> tuple[Deed, ...]:
    """Catalogued positive deeds in aspects with room left below their maximum; most points first."""
    room = {
        a.code
        for a, sub in zip(model.aspects, score.aspects, strict=True)
        if a.max_points is None or sub < a.max_points
    }
    if score.total >= model.max:
        return ()
    deeds = [d for d in model.deeds if d.points > 0 and d.aspect in room]
    return tuple(sorted(deeds, key=lambda d: (-d.points, d.code))[:limit])


MIN_GROUP = 10
"""Percentiles are shown only for units with at least this many scored residents (aggregates only)."""


def percentile(histogram: Mapping[int, int], total: int) -> float | None:
    """Share of a unit's residents (in percent) scoring below ``total`` (ties count half); None for a
    group too small to show without pointing at individuals."""
    n = sum(histogram.values())
    if n < MIN_GROUP:
        return None
    below = sum(c for s, c in histogram.items() if s < total)
    return round(100 * (below + histogram.get(total, 0) / 2) / n, 1)
