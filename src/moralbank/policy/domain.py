"""Policy as data: the published catalogue of indicators and the rules every capability applies.

A policy is a YAML file (``schema_version: 1``; docs/policy.md describes every field) that
``moralbank.policy.source`` reads into the frozen dataclasses of this module, naming the line and field
of every problem. The rules refuse what a moral bank must never do: award points for donations of money
or goods or for family status, collect forbidden data (religion, genes, fingerprints, blood type,
illness), show negative records longer than the law allows, or set objection/repair deadlines looser
than the legal limits.

Pure rules: stdlib and ``moralbank.errors`` only (no YAML here; see ``moralbank.policy.source``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from moralbank.errors import InvalidInput, Problem

__all__ = [
    "Aspect",
    "Benefit",
    "Cap",
    "CreditRules",
    "CreditTerms",
    "DataCategory",
    "Direction",
    "Effect",
    "EnrolmentRules",
    "EvaluationRules",
    "GreenCodeRules",
    "Indicator",
    "LEGAL",
    "NegativeRules",
    "ObjectionRules",
    "Period",
    "Policy",
    "RateLimits",
    "RepairRules",
    "SCHEMA_VERSION",
    "ScoreModel",
    "Severity",
    "Stage",
    "Tier",
    "WorkCalendar",
    "Change",
    "as_dict",
    "change_as_dict",
    "diff",
]

SCHEMA_VERSION = 1


class Direction(StrEnum):
    POSITIVE = "positive"
    NEGATIVE = "negative"


class Severity(StrEnum):
    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"


class Stage(StrEnum):
    """The Yuyao evaluation path, in its order."""

    SELF = "self"
    GRID = "grid"
    VILLAGE = "village"
    BIGDATA = "bigdata"


STAGE_ORDER = (Stage.SELF, Stage.GRID, Stage.VILLAGE, Stage.BIGDATA)


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class _Legal:
    """Legal limits (../shared/DOMAIN.md). A policy may be stricter, never looser."""

    DISPLAY_MONTHS_CEILING = 60  # no negative record is shown for more than 5 years
    # The longest each severity may be shown (minor ≤ 3 months, general ≤ 12; serious 1–3 years by
    # default, and never past the 5-year ceiling).
    DISPLAY_MONTHS_MAX = MappingProxyType({Severity.MINOR: 3, Severity.GENERAL: 12, Severity.SERIOUS: 60})
    MARK_DISPUTED = 1  # working days to mark an objected record disputed
    DECIDE_OBJECTION = 5  # working days to decide an objection
    FORWARD_OBJECTION = 2  # working days to forward an objection to the source department
    DECIDE_AFTER_FORWARD = 5  # then working days for the department to decide
    REPAIR_FEEDBACK = 10  # working days to give a repair applicant feedback
    REPAIR_DECIDE = 3  # working days for the department to decide a repair
    PUBLIC_REMOVAL = 3  # working days for a repaired/revoked record to leave public queries
    GUARDIAN_CONSENT_AGE = 14  # PIPL Art. 31: under 14 needs a guardian's consent
    MAX_ADVERSE_REASONS = 4  # an adverse notice names at most four principal reasons


LEGAL = _Legal()

# Indicator categories. A category that rewards what money or birth buys is refused outright.
ALLOWED_CATEGORIES = frozenset({"conduct", "honour", "record", "violation"})
FORBIDDEN_CATEGORIES = MappingProxyType(
    {
        "donation": "awards points for donating money or goods (status buying)",
        "family_status": "awards points for family status (e.g. a son in the army, a relative's office)",
        "membership": "awards points for a relative's or one's own membership or office",
    }
)

# Words that betray a donation rule, in the names or basis of an indicator. Donating blood, organs,
# marrow or stem cells is a deed, not a purchase, so those phrases are removed before matching.
DONATION_WORDS = (
    "捐款",
    "捐物",
    "捐赠",
    "捐钱",
    "捐资",
    "捐助",
    "善款",
    "赞助",
    "donation",
    "donate",
    "donating",
    "donated",
    "sponsor",
)
DONATION_EXEMPT = re.compile(
    r"(blood|organ|bone[- ]marrow|marrow|stem[- ]cells?|plasma|platelets?|cornea)s?\s+donat\w*"
    r"|donat\w*\s+(of\s+)?(blood|organs?|bone[- ]marrow|marrow|stem[- ]cells?|plasma|platelets?|corneas?)",
    re.IGNORECASE,
)
FAMILY_STATUS_WORDS = (
    "军属",
    "军人家属",
    "烈属",
    "参军",
    "亲属",
    "家属",
    "党员",
    "干部子女",
    "官员",
    "relative of",
    "relatives of",
    "family of",
    "son in the army",
    "daughter in the army",
    "in the army",
    "military family",
    "party member",
    "official's",
    "kin of",
)

# Data that may not be collected at all (Shanghai Social Credit Regulation).
FORBIDDEN_DATA = MappingProxyType(
    {
        "religion": ("religion", "religious", "faith", "宗教", "信仰"),
        "genes": ("gene", "genes", "genetic", "dna", "genome", "基因"),
        "fingerprints": ("fingerprint", "fingerprints", "指纹"),
        "blood type": ("blood type", "blood group", "blood_type", "血型"),
        "illness": (
            "illness",
            "disease",
            "diagnosis",
            "medical history",
            "medical_history",
            "health condition",
            "health_condition",
            "疾病",
            "病史",
            "病情",
            "诊断",
        ),
    }
)


# --- the dataclasses --------------------------------------------------------------------------


@dataclass(frozen=True)
class Aspect:
    """One of the four aspects (社会公德, 职业道德, 家庭美德, 个人品德)."""

    code: str
    name_zh: str
    name_en: str
    max_points: int | None = None  # the most this aspect's sub-score may add in the window

    def name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class Cap:
    """At most ``max_points`` (absolute) and/or ``max_count`` entries per resident per period."""

    period: Period
    max_points: int | None = None
    max_count: int | None = None


@dataclass(frozen=True)
class Indicator:
    """A published rule: what conduct earns or costs how many points, and how it is evaluated.

    ``points``, ``min_points`` and ``max_points`` carry the sign they are posted with (negative for a
    negative indicator); an officer may award any value in ``[min_points, max_points]``.
    """

    code: str
    name_zh: str
    name_en: str
    aspect: str
    direction: Direction
    points: int
    min_points: int
    max_points: int
    basis_zh: str
    basis_en: str
    category: str = "conduct"
    evidence_required: bool = False
    caps: tuple[Cap, ...] = ()
    stages: tuple[Stage, ...] = (Stage.SELF, Stage.GRID, Stage.VILLAGE)
    quorum: int = 0  # grid confirmations needed (0 when the grid stage does not apply)
    auto_post: bool = False  # big-data positives may post without a human (never negatives)
    severity: Severity | None = None  # negatives only
    display_months: int | None = None  # negatives only: months the record is shown and counted
    description_zh: str = ""
    description_en: str = ""

    @property
    def is_negative(self) -> bool:
        return self.direction is Direction.NEGATIVE

    def allows(self, points: int) -> bool:
        """Whether an officer may award ``points`` (signed) under this indicator."""
        return self.min_points <= points <= self.max_points

    def cap(self, period: Period | str) -> Cap | None:
        return next((c for c in self.caps if c.period == period), None)

    def applies(self, stage: Stage | str) -> bool:
        return stage in self.stages

    def path(self, origin: Stage | str = Stage.SELF) -> tuple[Stage, ...]:
        """The human stages a proposal from ``origin`` passes before it posts, in order.

        A resident's self-evaluation walks every stage after ``self`` except ``bigdata``; a department
        record (origin ``bigdata``) goes to the village stage, or straight to posting when the
        indicator is a positive with ``auto_post``.
        """
        origin = Stage(origin)
        if origin is Stage.BIGDATA:
            if self.auto_post and not self.is_negative:
                return ()
            return (Stage.VILLAGE,)
        start = STAGE_ORDER.index(origin)
        return tuple(s for s in self.stages if s is not Stage.BIGDATA and STAGE_ORDER.index(s) > start)

    def name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh

    def basis(self, lang: str = "zh-CN") -> str:
        return self.basis_en if lang.startswith("en") else self.basis_zh


@dataclass(frozen=True)
class Tier:
    code: str
    name_zh: str
    name_en: str
    min_score: int
    color: str = "#5f6b73"
    effects: tuple[str, ...] = ()  # codes from the effects catalogue

    def name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class ScoreModel:
    """Score = clamp(base + Σ aspect sub-scores, min, max).

    An aspect's sub-score is the sum of its counted entries (positives whose deed date lies within
    ``window_months``; negatives while displayed), capped at the aspect's ``max_points``.
    """

    min: int
    max: int
    base: int
    window_months: int
    tiers: tuple[Tier, ...]  # highest first

    def clamp(self, score: int) -> int:
        return max(self.min, min(self.max, score))

    def tier_for(self, score: int) -> Tier:
        for tier in self.tiers:
            if score >= tier.min_score:
                return tier
        return self.tiers[-1]

    def tier(self, code: str) -> Tier:
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise KeyError(code)

    def total(self, subscores: Mapping[str, int], aspects: Mapping[str, Aspect]) -> int:
        """The score from raw per-aspect sums (each capped by its aspect's ``max_points``)."""
        total = self.base
        for code, raw in subscores.items():
            cap = aspects[code].max_points if code in aspects else None
            total += min(raw, cap) if cap is not None else raw
        return self.clamp(total)


@dataclass(frozen=True)
class RateLimits:
    submissions_per_hour: int
    submissions_per_day: int
    confirmations_per_day: int


@dataclass(frozen=True)
class EvaluationRules:
    deadlines: Mapping[Stage, int]  # working days each stage has to act
    submit_within_days: int  # calendar days after the deed in which it may be submitted
    default_quorum: int
    rate_limits: RateLimits
    second_officer_for_negatives: bool = True

    def deadline(self, stage: Stage | str) -> int:
        return self.deadlines[Stage(stage)]


@dataclass(frozen=True)
class ObjectionRules:
    window_working_days: int  # a deduction takes effect only after this window
    mark_disputed: int
    decide: int
    forward: int
    decide_after_forward: int


@dataclass(frozen=True)
class RepairRules:
    feedback: int
    decide: int
    public_removal: int
    min_months: Mapping[Severity, int]  # months after the record before repair may be applied for


@dataclass(frozen=True)
class NegativeRules:
    display_months: Mapping[Severity, int]  # defaults; an indicator may set its own (shorter or equal)


@dataclass(frozen=True)
class EnrolmentRules:
    min_age: int
    guardian_consent_below: int

    def needs_guardian(self, age: int) -> bool:
        return age < self.guardian_consent_below


@dataclass(frozen=True)
class DataCategory:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Benefit:
    """A courtesy benefit (medical, transport, rent, travel, …) and the tiers that unlock it."""

    code: str
    name_zh: str
    name_en: str
    kind: str
    tiers: tuple[str, ...]
    description_zh: str = ""
    description_en: str = ""

    def name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class Effect:
    """Something a tier may cause. ``adverse`` effects are notified with reasons and can be objected to."""

    code: str
    name_zh: str
    name_en: str
    adverse: bool = False
    description_zh: str = ""
    description_en: str = ""

    def name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


@dataclass(frozen=True)
class CreditTerms:
    tier: str
    line_fen: int
    rate_discount_bp: int


@dataclass(frozen=True)
class CreditRules:
    terms: Mapping[str, CreditTerms]  # by tier code; a tier not listed gets no moral loan

    def for_tier(self, tier: str) -> CreditTerms | None:
        return self.terms.get(tier)


@dataclass(frozen=True)
class GreenCodeRules:
    dynamic_minutes: int
    card_days: int


@dataclass(frozen=True)
class WorkCalendar:
    """The State Council's holiday schedule for years the working-day package does not know yet.

    ``holidays``: days off (a weekday of a holiday week); ``workdays``: make-up working days (调休上班,
    always a Saturday or Sunday). Any other day follows the package, or Monday to Friday where the
    package has no schedule for its year.
    """

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def says(self, d: date) -> bool | None:
        """Whether ``d`` is a working day by this schedule; ``None`` when the schedule does not say."""
        if d in self.holidays:
            return False
        if d in self.workdays:
            return True
        return None

    def years(self) -> frozenset[int]:
        return frozenset(d.year for d in self.holidays | self.workdays)


@dataclass(frozen=True)
class Policy:
    """One version of the policy. ``version`` is 0 for a file not (yet) applied."""

    schema_version: int
    name_zh: str
    name_en: str
    aspects: Mapping[str, Aspect]
    indicators: Mapping[str, Indicator]
    score: ScoreModel
    evaluation: EvaluationRules
    objections: ObjectionRules
    repair: RepairRules
    negatives: NegativeRules
    enrolment: EnrolmentRules
    data_categories: tuple[DataCategory, ...]
    benefits: Mapping[str, Benefit]
    effects: Mapping[str, Effect]
    credit: CreditRules
    greencode: GreenCodeRules
    calendar: WorkCalendar = WorkCalendar()
    issuer_zh: str = ""
    issuer_en: str = ""
    division_code: str = ""
    version: int = 0
    sha256: str = ""

    def indicator(self, code: str) -> Indicator:
        try:
            return self.indicators[code]
        except KeyError:
            raise InvalidInput(Problem(f"unknown indicator {code!r}", field="indicator")) from None

    def indicators_of(self, aspect: str) -> list[Indicator]:
        return [i for i in self.indicators.values() if i.aspect == aspect]

    def tier_for(self, score: int) -> Tier:
        return self.score.tier_for(score)

    def benefits_for(self, tier: str) -> list[Benefit]:
        return [b for b in self.benefits.values() if tier in b.tiers]

    def name(self, lang: str = "zh-CN") -> str:
        return self.name_en if lang.startswith("en") else self.name_zh


# --- pure text checks (used while reading a policy file) ---------------------------------------


def _contains_any(text: str, words: Iterable[str]) -> str | None:
    low = text.lower()
    for w in words:
        if re.search(r"[a-z]", w):
            if re.search(r"(?<![a-z])" + re.escape(w.lower()), low):
                return w
        elif w in text:
            return w
    return None


def _forbidden_data(text: str) -> str | None:
    for category, words in FORBIDDEN_DATA.items():
        if _contains_any(text.replace("_", " "), [w.replace("_", " ") for w in words]):
            return category
    return None


@dataclass(frozen=True)
class Change:
    """One indicator-level (or section-level) difference between two policies."""

    kind: str  # "added" | "removed" | "changed"
    what: str  # "indicator" | "aspect" | "tier" | "benefit" | "effect" | "section"
    code: str
    fields: tuple[tuple[str, Any, Any], ...] = field(default=())  # (field, old, new) for "changed"


def diff(old: Policy, new: Policy) -> list[Change]:
    """What changed from ``old`` to ``new``: indicators field by field, then the other catalogues."""
    changes: list[Change] = []

    def compare(what: str, a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
        for code in a:
            if code not in b:
                changes.append(Change("removed", what, code))
        for code, item in b.items():
            if code not in a:
                changes.append(Change("added", what, code))
            elif a[code] != item:
                fields = tuple(
                    (f, getattr(a[code], f), getattr(item, f))
                    for f in item.__dataclass_fields__
                    if getattr(a[code], f) != getattr(item, f)
                )
                changes.append(Change("changed", what, code, fields))

    compare("indicator", old.indicators, new.indicators)
    compare("aspect", old.aspects, new.aspects)
    compare("tier", {t.code: t for t in old.score.tiers}, {t.code: t for t in new.score.tiers})
    compare("benefit", old.benefits, new.benefits)
    compare("effect", old.effects, new.effects)
    for section in (
        "evaluation",
        "objections",
        "repair",
        "negatives",
        "enrolment",
        "credit",
        "greencode",
        "calendar",
    ):
        a, b = getattr(old, section), getattr(new, section)
        if a != b:
            changes.append(
                Change(
                    "changed",
                    "section",
                    section,
                    tuple(
                        (f, _plain(getattr(a, f)), _plain(getattr(b, f)))
                        for f in b.__dataclass_fields__
                        if getattr(a, f) != getattr(b, f)
                    ),
                )
            )
    a_score = (old.score.min, old.score.max, old.score.base, old.score.window_months)
    b_score = (new.score.min, new.score.max, new.score.base, new.score.window_months)
    if a_score != b_score:
        names = ("min", "max", "base", "window_months")
        changes.append(
            Change(
                "changed",
                "section",
                "score",
                tuple((n, x, y) for n, x, y in zip(names, a_score, b_score, strict=True) if x != y),
            )
        )
    return changes


def as_dict(policy: Policy) -> dict[str, Any]:
    """The whole policy as plain JSON-ready data (enums as their values, catalogues as lists)."""
    out = _plain(policy)
    for key in ("aspects", "indicators", "benefits", "effects"):
        out[key] = list(out[key].values())
    return out


def change_as_dict(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "what": change.what,
        "code": change.code,
        "fields": [{"field": f, "old": _plain(a), "new": _plain(b)} for f, a, b in change.fields],
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return {f: _plain(getattr(value, f)) for f in value.__dataclass_fields__}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value
