"""Reading a policy file: YAML text in, a validated ``policy.domain.Policy`` out.

The parser (PyYAML) lives here so ``policy.domain`` stays pure. It is used only through its composer so
every value keeps its line number; every problem names its line and field (docs/policy.md describes
every field).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

import yaml

from moralbank.errors import InvalidInput, Problem
from moralbank.policy.domain import (
    ALLOWED_CATEGORIES,
    DONATION_EXEMPT,
    DONATION_WORDS,
    FAMILY_STATUS_WORDS,
    FORBIDDEN_CATEGORIES,
    LEGAL,
    SCHEMA_VERSION,
    STAGE_ORDER,
    Aspect,
    Benefit,
    Cap,
    CreditRules,
    CreditTerms,
    DataCategory,
    Direction,
    Effect,
    EnrolmentRules,
    EvaluationRules,
    GreenCodeRules,
    Indicator,
    NegativeRules,
    ObjectionRules,
    Period,
    Policy,
    RateLimits,
    RepairRules,
    ScoreModel,
    Severity,
    Stage,
    Tier,
    WorkCalendar,
    _contains_any,
    _forbidden_data,
)

# libyaml when present (about 5x faster); the pure-Python loader gives the same nodes and marks.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = ["canonical_text", "load", "parse", "sha256_of", "validate"]


# --- reading YAML with line numbers -----------------------------------------------------------


class _Reader:
    """Walks composed YAML nodes, converting values and collecting problems with line and field."""

    def __init__(self, filename: str | None, loader: Any):
        self.filename = filename
        self.loader = loader
        self.problems: list[Problem] = []

    def err(self, node: yaml.Node | int | None, field: str, reason: str) -> None:
        line = node if isinstance(node, int) or node is None else node.start_mark.line + 1
        self.problems.append(Problem(reason, field=field or None, line=line, file=self.filename))

    def mapping(
        self, node: yaml.Node | None, field: str, allowed: Iterable[str], required: Iterable[str] = ()
    ) -> dict[str, yaml.Node] | None:
        if not isinstance(node, yaml.MappingNode):
            self.err(node, field, f"must be a mapping, not {_kind(node)}")
            return None
        allowed = tuple(allowed)
        out: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            sub = f"{field}.{key}" if field else str(key)
            if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
                self.err(key_node, field, f"key {key!r} must be text")
                continue
            if key in out:
                first = out[key].start_mark.line + 1
                self.err(key_node, sub, f"duplicate key {key!r} (first on line {first})")
                continue
            if key not in allowed:
                hint = f"; expected one of: {', '.join(allowed)}" if allowed else ""
                self.err(key_node, sub, f"unknown key {key!r}{hint}")
                continue
            out[key] = value_node
        for key in required:
            if key not in out:
                self.err(node, f"{field}.{key}" if field else key, "is required")
        return out

    def seq(self, node: yaml.Node | None, field: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.err(node, field, f"must be a list, not {_kind(node)}")
            return []
        return list(node.value)

    def scalar(self, node: yaml.Node | None) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return node
        return self.loader.construct_object(node, deep=True)

    def text(
        self, node: yaml.Node | None, field: str, default: str | None = None, empty_ok: bool = False
    ) -> str:
        if node is None:
            if default is None:
                return ""
            return default
        value = self.scalar(node)
        if not isinstance(value, str):
            self.err(node, field, f"must be text, not {_kind(node, value)}")
            return ""
        if not value.strip() and not empty_ok:
            self.err(node, field, "must not be empty")
        return value

    def integer(
        self,
        node: yaml.Node | None,
        field: str,
        default: int | None = None,
        *,
        min: int | None = None,
        max: int | None = None,
    ) -> int:
        if node is None:
            return default if default is not None else 0
        value = self.scalar(node)
        if isinstance(value, bool) or not isinstance(value, int):
            self.err(node, field, f"must be a whole number, not {_kind(node, value)}")
            return default if default is not None else 0
        if min is not None and value < min:
            self.err(node, field, f"must be at least {min} (got {value})")
        if max is not None and value > max:
            self.err(node, field, f"must be at most {max} (got {value})")
        return value

    def optional_int(self, node: yaml.Node | None, field: str, *, min: int | None = None) -> int | None:
        if node is None or (isinstance(node, yaml.ScalarNode) and self.scalar(node) is None):
            return None
        return self.integer(node, field, min=min)

    def boolean(self, node: yaml.Node | None, field: str, default: bool) -> bool:
        if node is None:
            return default
        value = self.scalar(node)
        if not isinstance(value, bool):
            self.err(node, field, f"must be true or false, not {_kind(node, value)}")
            return default
        return value

    def choice(
        self,
        node: yaml.Node | None,
        field: str,
        choices: Iterable[str],
        default: str | None = None,
    ) -> str | None:
        if node is None:
            return default
        value = self.scalar(node)
        choices = tuple(choices)
        if not isinstance(value, str) or value not in choices:
            self.err(node, field, f"must be one of {', '.join(choices)} (got {value!r})")
            return default
        return value

    def day(self, node: yaml.Node | None, field: str) -> date | None:
        """A date written as YYYY-MM-DD (plain or quoted)."""
        value: Any = None
        if isinstance(node, yaml.ScalarNode):
            try:
                value = date.fromisoformat(node.value)
            except ValueError:
                value = None
        if type(value) is not date or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", node.value):
            got = f"{node.value!r}" if isinstance(node, yaml.ScalarNode) else _kind(node)
            self.err(node, field, f"must be a date written YYYY-MM-DD (got {got})")
            return None
        return value

    def code(self, node: yaml.Node | None, field: str) -> str:
        value = self.text(node, field)
        if value and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_\-]{0,31}", value):
            self.err(node, field, f"code {value!r} must be a letter then letters, digits, '_' or '-' (≤ 32)")
        return value

    def codes(self, node: yaml.Node | None, field: str) -> list[tuple[str, yaml.Node]]:
        out = []
        seen: set[str] = set()
        for item in self.seq(node, field) if node is not None else []:
            value = self.text(item, field)
            if value in seen:
                self.err(item, field, f"{value!r} is listed twice")
            seen.add(value)
            if value:
                out.append((value, item))
        return out


def _kind(node: yaml.Node | None, value: Any = None) -> str:
    if node is None:
        return "nothing"
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if value is None and isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:null" or node.value == "":
            return "empty"
        return f"the value {node.value!r}"
    if value is None:
        return "empty"
    return {bool: "true/false", int: "a number", float: "a decimal number", str: "text"}.get(
        type(value), type(value).__name__
    )


def _label(prefix: str, i: int, item: yaml.Node) -> str:
    """``indicators[SM01]`` when the list item has a readable code, else ``indicators[0]``."""
    if isinstance(item, yaml.MappingNode):
        for k, v in item.value:
            if (
                isinstance(k, yaml.ScalarNode)
                and k.value == "code"
                and isinstance(v, yaml.ScalarNode)
                and re.fullmatch(r"[A-Za-z0-9_\-]{1,32}", v.value)
            ):
                return f"{prefix}[{v.value}]"
    return f"{prefix}[{i}]"


def _line(node: yaml.Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


# --- building the policy ------------------------------------------------------------------------

_TOP = (
    "schema_version",
    "meta",
    "aspects",
    "indicators",
    "score",
    "evaluation",
    "objections",
    "repair",
    "negatives",
    "enrolment",
    "data_categories",
    "benefits",
    "effects",
    "credit",
    "greencode",
    "calendar",
)
_TOP_REQUIRED = ("schema_version", "meta", "aspects", "indicators", "score")
_NAMES = ("code", "name_zh", "name_en")


class _Builder:
    def __init__(self, r: _Reader):
        self.r = r
        self.lines: dict[str, int | None] = {}
        self.tiers_ok = False

    # meta and catalogues ----------------------------------------------------------------------

    def meta(self, node: yaml.Node | None) -> dict[str, str]:
        m = (
            self.r.mapping(
                node,
                "meta",
                ("name_zh", "name_en", "issuer_zh", "issuer_en", "division_code"),
                ("name_zh", "name_en"),
            )
            or {}
        )
        return {
            k: self.r.text(m.get(k), f"meta.{k}", "")
            for k in ("name_zh", "name_en", "issuer_zh", "issuer_en", "division_code")
        }

    def aspects(self, node: yaml.Node | None) -> dict[str, Aspect]:
        out: dict[str, Aspect] = {}
        for i, item in enumerate(self.r.seq(node, "aspects")):
            m = self.r.mapping(item, _label("aspects", i, item), (*_NAMES, "max_points"), _NAMES)
            if m is None:
                continue
            code = self.r.code(m.get("code"), _label("aspects", i, item) + ".code")
            where = _label("aspects", i, item)
            a = Aspect(
                code,
                self.r.text(m.get("name_zh"), f"{where}.name_zh"),
                self.r.text(m.get("name_en"), f"{where}.name_en"),
                self.r.optional_int(m.get("max_points"), f"{where}.max_points", min=0),
            )
            if code in out:
                self.r.err(m.get("code"), f"{where}.code", f"duplicate aspect code {code!r}")
            elif code:
                out[code] = a
        if isinstance(node, yaml.SequenceNode) and not node.value:
            self.r.err(node, "aspects", "at least one aspect is required")
        return out

    def data_categories(self, node: yaml.Node | None) -> tuple[DataCategory, ...]:
        out: list[DataCategory] = []
        seen: set[str] = set()
        for i, item in enumerate(self.r.seq(node, "data_categories") if node is not None else []):
            m = self.r.mapping(item, _label("data_categories", i, item), _NAMES, _NAMES)
            if m is None:
                continue
            code = self.r.code(m.get("code"), _label("data_categories", i, item) + ".code")
            where = _label("data_categories", i, item)
            dc = DataCategory(
                code,
                self.r.text(m.get("name_zh"), f"{where}.name_zh"),
                self.r.text(m.get("name_en"), f"{where}.name_en"),
            )
            if code in seen:
                self.r.err(m.get("code"), f"{where}.code", f"duplicate data category {code!r}")
            seen.add(code)
            for key, text in (("code", dc.code), ("name_zh", dc.name_zh), ("name_en", dc.name_en)):
                bad = _forbidden_data(text)
                if bad:
                    self.r.err(
                        m.get(key),
                        f"{where}.{key}",
                        f"refused: {bad} may not be collected (Shanghai Social Credit Regulation)",
                    )
                    break
            out.append(dc)
        return tuple(out)

    def effects(self, node: yaml.Node | None) -> dict[str, Effect]:
        out: dict[str, Effect] = {}
        keys = (*_NAMES, "adverse", "description_zh", "description_en")
        for i, item in enumerate(self.r.seq(node, "effects") if node is not None else []):
            m = self.r.mapping(item, _label("effects", i, item), keys, _NAMES)
            if m is None:
                continue
            code = self.r.code(m.get("code"), _label("effects", i, item) + ".code")
            where = _label("effects", i, item)
            e = Effect(
                code,
                self.r.text(m.get("name_zh"), f"{where}.name_zh"),
                self.r.text(m.get("name_en"), f"{where}.name_en"),
                self.r.boolean(m.get("adverse"), f"{where}.adverse", False),
                self.r.text(m.get("description_zh"), f"{where}.description_zh", "", empty_ok=True),
                self.r.text(m.get("description_en"), f"{where}.description_en", "", empty_ok=True),
            )
            if code in out:
                self.r.err(m.get("code"), f"{where}.code", f"duplicate effect code {code!r}")
            elif code:
                out[code] = e
        return out

    def benefits(self, node: yaml.Node | None, tiers: Mapping[str, Tier]) -> dict[str, Benefit]:
        out: dict[str, Benefit] = {}
        keys = (*_NAMES, "kind", "tiers", "description_zh", "description_en")
        for i, item in enumerate(self.r.seq(node, "benefits") if node is not None else []):
            m = self.r.mapping(item, _label("benefits", i, item), keys, (*_NAMES, "kind", "tiers"))
            if m is None:
                continue
            code = self.r.code(m.get("code"), _label("benefits", i, item) + ".code")
            where = _label("benefits", i, item)
            tier_codes = self.r.codes(m.get("tiers"), f"{where}.tiers")
            for t, t_node in tier_codes:
                if tiers and t not in tiers:
                    self.r.err(t_node, f"{where}.tiers", f"unknown tier {t!r}; tiers are {', '.join(tiers)}")
            if m.get("tiers") is not None and not tier_codes:
                self.r.err(m.get("tiers"), f"{where}.tiers", "name at least one tier that unlocks it")
            b = Benefit(
                code,
                self.r.text(m.get("name_zh"), f"{where}.name_zh"),
                self.r.text(m.get("name_en"), f"{where}.name_en"),
                self.r.code(m.get("kind"), f"{where}.kind"),
                tuple(t for t, _ in tier_codes),
                self.r.text(m.get("description_zh"), f"{where}.description_zh", "", empty_ok=True),
                self.r.text(m.get("description_en"), f"{where}.description_en", "", empty_ok=True),
            )
            if code in out:
                self.r.err(m.get("code"), f"{where}.code", f"duplicate benefit code {code!r}")
            elif code:
                out[code] = b
        return out

    # score --------------------------------------------------------------------------------------

    def score(self, node: yaml.Node | None, effects: Mapping[str, Effect] | None) -> ScoreModel:
        m = (
            self.r.mapping(
                node,
                "score",
                ("min", "max", "base", "window_months", "tiers"),
                ("min", "max", "base", "window_months", "tiers"),
            )
            or {}
        )
        lo = self.r.integer(m.get("min"), "score.min", 0)
        hi = self.r.integer(m.get("max"), "score.max", 100)
        if m.get("max") is not None and hi <= lo:
            self.r.err(m.get("max"), "score.max", f"must be above score.min ({lo})")
        base = self.r.integer(m.get("base"), "score.base", lo)
        if m.get("base") is not None and not lo <= base <= hi:
            self.r.err(m.get("base"), "score.base", f"must lie within the scale {lo}–{hi}")
        window = self.r.integer(m.get("window_months"), "score.window_months", 12, min=1, max=60)
        tiers: list[Tier] = []
        seen: dict[str, int] = {}
        starts: set[int] = set()
        for i, item in enumerate(self.r.seq(m.get("tiers"), "score.tiers") if "tiers" in m else []):
            tm = self.r.mapping(
                item,
                _label("score.tiers", i, item),
                (*_NAMES, "min_score", "color", "effects"),
                (*_NAMES, "min_score"),
            )
            if tm is None:
                continue
            code = self.r.code(tm.get("code"), _label("score.tiers", i, item) + ".code")
            where = _label("score.tiers", i, item)
            min_score = self.r.integer(tm.get("min_score"), f"{where}.min_score", lo)
            if tm.get("min_score") is not None and not lo <= min_score <= hi:
                self.r.err(tm.get("min_score"), f"{where}.min_score", f"must lie within the scale {lo}–{hi}")
            # a tier without min_score is reported missing already: its default starts nothing
            if tm.get("min_score") is not None:
                if min_score in starts:
                    self.r.err(tm.get("min_score"), f"{where}.min_score", f"two tiers start at {min_score}")
                starts.add(min_score)
            color = self.r.text(tm.get("color"), f"{where}.color", "#5f6b73")
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", color):
                self.r.err(tm.get("color"), f"{where}.color", "must be a colour like #1b7f3b")
            eff = self.r.codes(tm.get("effects"), f"{where}.effects")
            for e, e_node in eff:
                if effects is None or e not in effects:
                    self.r.err(
                        e_node,
                        f"{where}.effects",
                        f"refused: effect {e!r} is not in the policy's effects catalogue",
                    )
            if code in seen:
                self.r.err(tm.get("code"), f"{where}.code", f"duplicate tier code {code!r}")
                continue
            seen[code] = min_score
            tiers.append(
                Tier(
                    code,
                    self.r.text(tm.get("name_zh"), f"{where}.name_zh"),
                    self.r.text(tm.get("name_en"), f"{where}.name_en"),
                    min_score,
                    color,
                    tuple(e for e, _ in eff),
                )
            )
        tiers.sort(key=lambda t: -t.min_score)
        self.tiers_ok = bool(tiers)
        if tiers and tiers[-1].min_score != lo:
            self.r.err(
                m.get("tiers"),
                "score.tiers",
                f"the lowest tier must start at score.min ({lo}) so every score has a tier",
            )
        if "tiers" in m and not tiers and isinstance(m.get("tiers"), yaml.SequenceNode):
            self.r.err(m.get("tiers"), "score.tiers", "at least one tier is required")
        return ScoreModel(lo, hi, base, window, tuple(tiers) or (Tier("none", "无", "None", lo),))

    # rules with legal limits --------------------------------------------------------------------

    def _limited(
        self,
        m: dict[str, yaml.Node],
        where: str,
        key: str,
        default: int,
        legal: int,
        rule: str,
    ) -> int:
        value = self.r.integer(m.get(key), f"{where}.{key}", default, min=1)
        if value > legal:
            self.r.err(
                m.get(key),
                f"{where}.{key}",
                f"refused: {value} working days is looser than the legal limit of {legal} ({rule})",
            )
        return value

    def evaluation(self, node: yaml.Node | None) -> EvaluationRules:
        keys = (
            "deadlines",
            "submit_within_days",
            "default_quorum",
            "rate_limits",
            "second_officer_for_negatives",
        )
        m = (self.r.mapping(node, "evaluation", keys) if node is not None else {}) or {}
        dl_node = m.get("deadlines")
        dm = (
            self.r.mapping(dl_node, "evaluation.deadlines", [s.value for s in STAGE_ORDER])
            if dl_node is not None
            else {}
        ) or {}
        defaults = {Stage.SELF: 1, Stage.GRID: 3, Stage.VILLAGE: 5, Stage.BIGDATA: 2}
        deadlines = {
            s: self.r.integer(dm.get(s.value), f"evaluation.deadlines.{s.value}", defaults[s], min=1, max=30)
            for s in STAGE_ORDER
        }
        rl_node = m.get("rate_limits")
        rm = (
            self.r.mapping(
                rl_node,
                "evaluation.rate_limits",
                ("submissions_per_hour", "submissions_per_day", "confirmations_per_day"),
            )
            if rl_node is not None
            else {}
        ) or {}
        where = "evaluation.rate_limits"
        rates = RateLimits(
            self.r.integer(rm.get("submissions_per_hour"), f"{where}.submissions_per_hour", 5, min=1),
            self.r.integer(rm.get("submissions_per_day"), f"{where}.submissions_per_day", 10, min=1),
            self.r.integer(rm.get("confirmations_per_day"), f"{where}.confirmations_per_day", 30, min=1),
        )
        if rates.submissions_per_hour > rates.submissions_per_day:
            self.r.err(
                rm.get("submissions_per_hour"),
                "evaluation.rate_limits.submissions_per_hour",
                "must not exceed submissions_per_day",
            )
        second = self.r.boolean(
            m.get("second_officer_for_negatives"), "evaluation.second_officer_for_negatives", True
        )
        if not second:
            self.r.err(
                m.get("second_officer_for_negatives"),
                "evaluation.second_officer_for_negatives",
                "refused: a deduction always needs a second officer's confirmation",
            )
        return EvaluationRules(
            MappingProxyType(deadlines),
            self.r.integer(m.get("submit_within_days"), "evaluation.submit_within_days", 30, min=1, max=366),
            self.r.integer(m.get("default_quorum"), "evaluation.default_quorum", 2, min=1, max=20),
            rates,
            second,
        )

    def objections(self, node: yaml.Node | None) -> ObjectionRules:
        keys = ("window_working_days", "mark_disputed", "decide", "forward", "decide_after_forward")
        m = (self.r.mapping(node, "objections", keys) if node is not None else {}) or {}
        rule = "Shanghai Social Credit Regulation"
        return ObjectionRules(
            self.r.integer(m.get("window_working_days"), "objections.window_working_days", 5, min=1, max=60),
            self._limited(m, "objections", "mark_disputed", LEGAL.MARK_DISPUTED, LEGAL.MARK_DISPUTED, rule),
            self._limited(m, "objections", "decide", LEGAL.DECIDE_OBJECTION, LEGAL.DECIDE_OBJECTION, rule),
            self._limited(m, "objections", "forward", LEGAL.FORWARD_OBJECTION, LEGAL.FORWARD_OBJECTION, rule),
            self._limited(
                m,
                "objections",
                "decide_after_forward",
                LEGAL.DECIDE_AFTER_FORWARD,
                LEGAL.DECIDE_AFTER_FORWARD,
                rule,
            ),
        )

    def negatives(self, node: yaml.Node | None) -> NegativeRules:
        m = (self.r.mapping(node, "negatives", ("display_months",)) if node is not None else {}) or {}
        dm_node = m.get("display_months")
        dm = (
            self.r.mapping(dm_node, "negatives.display_months", [s.value for s in Severity])
            if dm_node is not None
            else {}
        ) or {}
        defaults = {Severity.MINOR: 3, Severity.GENERAL: 12, Severity.SERIOUS: 36}
        out = {
            s: self._display(dm.get(s.value), f"negatives.display_months.{s.value}", s, defaults[s])
            for s in Severity
        }
        return NegativeRules(MappingProxyType(out))

    def _display(self, node: yaml.Node | None, field: str, severity: Severity, default: int) -> int:
        value = self.r.integer(node, field, default, min=1)
        if value > LEGAL.DISPLAY_MONTHS_CEILING:
            self.r.err(
                node,
                field,
                f"refused: {value} months is over the 5-year ceiling "
                f"({LEGAL.DISPLAY_MONTHS_CEILING} months) for showing a negative record",
            )
        elif value > LEGAL.DISPLAY_MONTHS_MAX[severity]:
            self.r.err(
                node,
                field,
                f"refused: a {severity.value} record may be shown for at most "
                f"{LEGAL.DISPLAY_MONTHS_MAX[severity]} months (got {value})",
            )
        return value

    def repair(self, node: yaml.Node | None, negatives: NegativeRules) -> RepairRules:
        m = (
            self.r.mapping(node, "repair", ("feedback", "decide", "public_removal", "min_months"))
            if node is not None
            else {}
        ) or {}
        plan = "State Council General Office credit-repair plan, 2025"
        mm_node = m.get("min_months")
        mm = (
            self.r.mapping(mm_node, "repair.min_months", [s.value for s in Severity])
            if mm_node is not None
            else {}
        ) or {}
        defaults = {Severity.MINOR: 0, Severity.GENERAL: 3, Severity.SERIOUS: 12}
        min_months = {}
        for s in Severity:
            v = self.r.integer(mm.get(s.value), f"repair.min_months.{s.value}", defaults[s], min=0)
            if v >= negatives.display_months[s] and mm.get(s.value) is not None:
                self.r.err(
                    mm.get(s.value),
                    f"repair.min_months.{s.value}",
                    f"must be shorter than the display period ({negatives.display_months[s]} months)",
                )
            min_months[s] = v
        return RepairRules(
            self._limited(m, "repair", "feedback", LEGAL.REPAIR_FEEDBACK, LEGAL.REPAIR_FEEDBACK, plan),
            self._limited(m, "repair", "decide", LEGAL.REPAIR_DECIDE, LEGAL.REPAIR_DECIDE, plan),
            self._limited(
                m,
                "repair",
                "public_removal",
                LEGAL.PUBLIC_REMOVAL,
                LEGAL.PUBLIC_REMOVAL,
                "Shanghai Social Credit Regulation",
            ),
            MappingProxyType(min_months),
        )

    def enrolment(self, node: yaml.Node | None) -> EnrolmentRules:
        m = (
            self.r.mapping(node, "enrolment", ("min_age", "guardian_consent_below"))
            if node is not None
            else {}
        ) or {}
        min_age = self.r.integer(m.get("min_age"), "enrolment.min_age", 14, min=0, max=120)
        below = self.r.integer(
            m.get("guardian_consent_below"),
            "enrolment.guardian_consent_below",
            LEGAL.GUARDIAN_CONSENT_AGE,
            min=0,
        )
        if below < LEGAL.GUARDIAN_CONSENT_AGE:
            self.r.err(
                m.get("guardian_consent_below"),
                "enrolment.guardian_consent_below",
                f"refused: residents under {LEGAL.GUARDIAN_CONSENT_AGE} always need a guardian's "
                "consent (PIPL Art. 31)",
            )
        return EnrolmentRules(min_age, below)

    def credit(self, node: yaml.Node | None, tiers: Mapping[str, Tier]) -> CreditRules:
        m = (self.r.mapping(node, "credit", ("tiers",)) if node is not None else {}) or {}
        t_node = m.get("tiers")
        if not tiers:  # score.tiers is broken and already reported
            return CreditRules(MappingProxyType({}))
        tm = (self.r.mapping(t_node, "credit.tiers", tuple(tiers)) if t_node is not None else {}) or {}
        terms = {}
        for tier, n in tm.items():
            where = f"credit.tiers.{tier}"
            cm = self.r.mapping(n, where, ("line_fen", "rate_discount_bp"), ("line_fen", "rate_discount_bp"))
            if cm is None:
                continue
            line = self.r.integer(cm.get("line_fen"), f"{where}.line_fen", 0, min=0)
            bp = self.r.integer(cm.get("rate_discount_bp"), f"{where}.rate_discount_bp", 0, min=0, max=10_000)
            terms[tier] = CreditTerms(tier, line, bp)
        return CreditRules(MappingProxyType(terms))

    def greencode(self, node: yaml.Node | None) -> GreenCodeRules:
        m = (
            self.r.mapping(node, "greencode", ("dynamic_minutes", "card_days")) if node is not None else {}
        ) or {}
        return GreenCodeRules(
            self.r.integer(m.get("dynamic_minutes"), "greencode.dynamic_minutes", 5, min=1, max=60),
            self.r.integer(m.get("card_days"), "greencode.card_days", 365, min=1, max=3 * 366),
        )

    # indicators ---------------------------------------------------------------------------------

    def calendar(self, node: yaml.Node | None) -> WorkCalendar:
        if node is None:
            return WorkCalendar()
        m = self.r.mapping(node, "calendar", ("holidays", "workdays")) or {}
        days: dict[str, dict[date, yaml.Node]] = {}
        for key in ("holidays", "workdays"):
            days[key] = {}
            for item in self.r.seq(m[key], f"calendar.{key}") if key in m else []:
                d = self.r.day(item, f"calendar.{key}")
                if d is None:
                    continue
                if d in days[key]:
                    self.r.err(item, f"calendar.{key}", f"{d} is listed twice")
                elif key == "workdays" and d.weekday() < 5:
                    self.r.err(
                        item,
                        "calendar.workdays",
                        f"{d} is a weekday: make-up working days are the Saturdays and Sundays worked",
                    )
                days[key][d] = item
        for d, item in days["workdays"].items():
            if d in days["holidays"]:
                self.r.err(item, "calendar.workdays", f"{d} is listed as a holiday too")
        return WorkCalendar(frozenset(days["holidays"]), frozenset(days["workdays"]))

    _IND_KEYS = (
        *_NAMES,
        "aspect",
        "direction",
        "points",
        "min_points",
        "max_points",
        "basis_zh",
        "basis_en",
        "category",
        "evidence_required",
        "caps",
        "stages",
        "quorum",
        "auto_post",
        "severity",
        "display_months",
        "description_zh",
        "description_en",
    )
    _IND_REQUIRED = (*_NAMES, "aspect", "direction", "points", "basis_zh", "basis_en")

    def indicators(
        self,
        node: yaml.Node | None,
        aspects: Mapping[str, Aspect],
        negatives: NegativeRules,
        evaluation: EvaluationRules,
    ) -> dict[str, Indicator]:
        out: dict[str, Indicator] = {}
        for i, item in enumerate(self.r.seq(node, "indicators")):
            ind = self.indicator(i, item, aspects, negatives, evaluation)
            if ind is None:
                continue
            if ind.code in out:
                self.r.err(
                    self.lines.get(_label("indicators", i, item) + ".code"),
                    f"indicators[{ind.code}].code",
                    f"duplicate indicator code {ind.code!r}",
                )
            elif ind.code:
                out[ind.code] = ind
        if isinstance(node, yaml.SequenceNode) and not node.value:
            self.r.err(node, "indicators", "the catalogue needs at least one indicator")
        return out

    def indicator(
        self,
        i: int,
        item: yaml.Node,
        aspects: Mapping[str, Aspect],
        negatives: NegativeRules,
        evaluation: EvaluationRules,
    ) -> Indicator | None:
        r = self.r
        m = r.mapping(item, _label("indicators", i, item), self._IND_KEYS, self._IND_REQUIRED)
        if m is None:
            return None
        code = r.code(m.get("code"), _label("indicators", i, item) + ".code")
        self.lines[_label("indicators", i, item) + ".code"] = _line(m.get("code"))
        w = _label("indicators", i, item)
        name_zh = r.text(m.get("name_zh"), f"{w}.name_zh")
        name_en = r.text(m.get("name_en"), f"{w}.name_en")
        basis_zh = r.text(m.get("basis_zh"), f"{w}.basis_zh")
        basis_en = r.text(m.get("basis_en"), f"{w}.basis_en")
        desc_zh = r.text(m.get("description_zh"), f"{w}.description_zh", "", empty_ok=True)
        desc_en = r.text(m.get("description_en"), f"{w}.description_en", "", empty_ok=True)

        aspect = r.text(m.get("aspect"), f"{w}.aspect")
        if aspect and aspects and aspect not in aspects:
            r.err(
                m.get("aspect"), f"{w}.aspect", f"unknown aspect {aspect!r}; aspects are {', '.join(aspects)}"
            )

        category = r.text(m.get("category"), f"{w}.category", "conduct")
        if category in FORBIDDEN_CATEGORIES:
            r.err(
                m.get("category"),
                f"{w}.category",
                f"refused: category {category!r} {FORBIDDEN_CATEGORIES[category]}",
            )
        elif category not in ALLOWED_CATEGORIES:
            r.err(
                m.get("category"),
                f"{w}.category",
                f"must be one of {', '.join(sorted(ALLOWED_CATEGORIES))} (got {category!r})",
            )
        for key, text in (
            ("name_zh", name_zh),
            ("name_en", name_en),
            ("basis_zh", basis_zh),
            ("basis_en", basis_en),
            ("description_zh", desc_zh),
            ("description_en", desc_en),
        ):
            word = _contains_any(DONATION_EXEMPT.sub(" ", text), DONATION_WORDS)
            if word:
                r.err(
                    m.get(key),
                    f"{w}.{key}",
                    f"refused: points for donations of money or goods "
                    f"(status buying) are not allowed (found {word!r})",
                )
            word = _contains_any(text, FAMILY_STATUS_WORDS)
            if word:
                r.err(
                    m.get(key),
                    f"{w}.{key}",
                    f"refused: points may not depend on family status or "
                    f"a relative's position (found {word!r})",
                )

        direction = Direction(
            r.choice(
                m.get("direction"), f"{w}.direction", [d.value for d in Direction], Direction.POSITIVE.value
            )
            or Direction.POSITIVE.value
        )
        negative = direction is Direction.NEGATIVE
        sign = -1 if negative else 1
        points = r.integer(m.get("points"), f"{w}.points", sign)
        if m.get("points") is not None and (points == 0 or (points < 0) != negative):
            r.err(
                m.get("points"),
                f"{w}.points",
                f"a {direction.value} indicator needs {'negative' if negative else 'positive'} points "
                f"(got {points})",
            )
        lo = r.integer(m.get("min_points"), f"{w}.min_points", points)
        hi = r.integer(m.get("max_points"), f"{w}.max_points", points)
        for key, v in (("min_points", lo), ("max_points", hi)):
            if m.get(key) is not None and (v == 0 or (v < 0) != negative):
                r.err(m.get(key), f"{w}.{key}", f"must have the same sign as points (got {v})")
        if m.get("points") is not None and not lo <= points <= hi:
            r.err(
                m.get("min_points") or m.get("max_points") or m.get("points"),
                f"{w}.points",
                f"points {points} must lie within min_points {lo} and max_points {hi}",
            )

        evidence = r.boolean(m.get("evidence_required"), f"{w}.evidence_required", negative)
        if negative and not evidence:
            r.err(
                m.get("evidence_required"),
                f"{w}.evidence_required",
                "refused: a deduction always needs evidence",
            )

        caps = self.caps(m.get("caps"), f"{w}.caps")

        stages_nodes = r.codes(m.get("stages"), f"{w}.stages") if m.get("stages") is not None else None
        stages: list[Stage] = []
        if stages_nodes is None:
            stages = [Stage.SELF, Stage.GRID, Stage.VILLAGE]
        else:
            for s, s_node in stages_nodes:
                if s not in Stage.__members__.values():
                    r.err(
                        s_node, f"{w}.stages", f"unknown stage {s!r}; stages are self, grid, village, bigdata"
                    )
                    continue
                if stages and STAGE_ORDER.index(Stage(s)) < STAGE_ORDER.index(stages[-1]):
                    r.err(
                        s_node,
                        f"{w}.stages",
                        "stages must follow the path's order: self, grid, village, bigdata",
                    )
                stages.append(Stage(s))
            if not stages_nodes:
                r.err(m.get("stages"), f"{w}.stages", "name at least one stage")
        if negative and stages and Stage.VILLAGE not in stages:
            r.err(
                m.get("stages"),
                f"{w}.stages",
                "refused: a deduction always needs the village stage "
                "(a person decides, never automation alone)",
            )
        if Stage.GRID in stages:
            quorum = r.integer(m.get("quorum"), f"{w}.quorum", evaluation.default_quorum, min=1, max=20)
        else:
            quorum = 0
            if m.get("quorum") is not None and r.integer(m.get("quorum"), f"{w}.quorum", 0) != 0:
                r.err(m.get("quorum"), f"{w}.quorum", "a quorum applies only when the grid stage is listed")
        auto_post = r.boolean(m.get("auto_post"), f"{w}.auto_post", False)
        if auto_post and negative:
            r.err(m.get("auto_post"), f"{w}.auto_post", "refused: negative points never post automatically")
        elif auto_post and Stage.BIGDATA not in stages:
            r.err(
                m.get("auto_post"), f"{w}.auto_post", "only indicators with the bigdata stage may auto-post"
            )

        severity: Severity | None = None
        display: int | None = None
        if negative:
            sev = r.choice(m.get("severity"), f"{w}.severity", [s.value for s in Severity])
            if m.get("severity") is None:
                r.err(item, f"{w}.severity", "a negative indicator needs a severity: minor, general, serious")
            severity = Severity(sev) if sev else Severity.GENERAL
            default = negatives.display_months[severity]
            display = (
                self._display(m.get("display_months"), f"{w}.display_months", severity, default)
                if m.get("display_months") is not None
                else default
            )
        else:
            for key in ("severity", "display_months"):
                if m.get(key) is not None:
                    r.err(m.get(key), f"{w}.{key}", "only negative indicators have this")

        return Indicator(
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            aspect=aspect,
            direction=direction,
            points=points,
            min_points=lo,
            max_points=hi,
            basis_zh=basis_zh,
            basis_en=basis_en,
            category=category,
            evidence_required=evidence,
            caps=caps,
            stages=tuple(stages),
            quorum=quorum,
            auto_post=auto_post,
            severity=severity,
            display_months=display,
            description_zh=desc_zh,
            description_en=desc_en,
        )

    def caps(self, node: yaml.Node | None, where: str) -> tuple[Cap, ...]:
        if node is None:
            return ()
        m = self.r.mapping(node, where, [p.value for p in Period]) or {}
        out = []
        for period, n in m.items():
            cm = self.r.mapping(n, f"{where}.{period}", ("max_points", "max_count"))
            if cm is None:
                continue
            cap = Cap(
                Period(period),
                self.r.optional_int(cm.get("max_points"), f"{where}.{period}.max_points", min=1),
                self.r.optional_int(cm.get("max_count"), f"{where}.{period}.max_count", min=1),
            )
            if cap.max_points is None and cap.max_count is None:
                self.r.err(n, f"{where}.{period}", "give max_points, max_count or both")
            out.append(cap)
        order = list(Period)
        return tuple(sorted(out, key=lambda c: order.index(c.period)))


def _compose(text: str, filename: str | None) -> tuple[yaml.Node | None, Any, list[Problem]]:
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as e:  # a character YAML does not allow (a control character)
        line = text.count("\n", 0, e.position) + 1
        return None, None, [Problem(f"not valid YAML: {e.reason}", line=line, file=filename)]
    try:
        node = loader.get_single_node()
    except yaml.reader.ReaderError as e:
        loader.dispose()
        line = text.count("\n", 0, e.position) + 1
        return None, None, [Problem(f"not valid YAML: {e.reason}", line=line, file=filename)]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        loader.dispose()
        return None, None, [Problem(f"not valid YAML: {e.problem or e}", line=line, file=filename)]
    return node, loader, []


def _build(text: str, filename: str | None) -> tuple[Policy | None, list[Problem]]:
    node, loader, problems = _compose(text, filename)
    if problems or loader is None:
        return None, problems
    try:
        if node is None:
            return None, [Problem("the file is empty", line=1, file=filename)]
        r = _Reader(filename, loader)
        b = _Builder(r)
        top = r.mapping(node, "", _TOP, _TOP_REQUIRED)
        if top is None:
            return None, r.problems
        sv = r.integer(top.get("schema_version"), "schema_version", SCHEMA_VERSION)
        if top.get("schema_version") is not None and sv != SCHEMA_VERSION:
            r.err(
                top.get("schema_version"),
                "schema_version",
                f"this moralbank reads schema_version {SCHEMA_VERSION} (got {sv})",
            )
        meta = b.meta(top.get("meta"))
        aspects = b.aspects(top.get("aspects"))
        effects = b.effects(top.get("effects"))
        score = b.score(top.get("score"), effects)
        # Only real tiers: when score.tiers is broken, references to tiers are not judged twice.
        tiers = {t.code: t for t in score.tiers} if top.get("score") is not None and b.tiers_ok else {}
        evaluation = b.evaluation(top.get("evaluation"))
        objections = b.objections(top.get("objections"))
        negatives = b.negatives(top.get("negatives"))
        repair = b.repair(top.get("repair"), negatives)
        enrolment = b.enrolment(top.get("enrolment"))
        data = b.data_categories(top.get("data_categories"))
        benefits = b.benefits(top.get("benefits"), tiers)
        credit = b.credit(top.get("credit"), tiers)
        greencode = b.greencode(top.get("greencode"))
        calendar = b.calendar(top.get("calendar"))
        indicators = b.indicators(top.get("indicators"), aspects, negatives, evaluation)
        if r.problems:
            return None, r.problems
        policy = Policy(
            schema_version=sv,
            name_zh=meta["name_zh"],
            name_en=meta["name_en"],
            issuer_zh=meta["issuer_zh"],
            issuer_en=meta["issuer_en"],
            division_code=meta["division_code"],
            aspects=MappingProxyType(aspects),
            indicators=MappingProxyType(indicators),
            score=score,
            evaluation=evaluation,
            objections=objections,
            repair=repair,
            negatives=negatives,
            enrolment=enrolment,
            data_categories=data,
            benefits=MappingProxyType(benefits),
            effects=MappingProxyType(effects),
            credit=credit,
            greencode=greencode,
            calendar=calendar,
            sha256=sha256_of(text),
        )
        return policy, []
    finally:
        loader.dispose()


def validate(text: str, filename: str | None = None) -> list[Problem]:
    """Every problem in a policy file, each with its line and field. An empty list means it is valid."""
    return _build(text, filename)[1]


def load(text: str, filename: str | None = None, *, version: int = 0) -> Policy:
    """Read a policy file; raises ``InvalidInput`` with every problem when it is not valid."""
    policy, problems = _build(text, filename)
    if problems or policy is None:
        raise InvalidInput(problems or [Problem("not a policy", file=filename)])
    if version:
        policy = replace(policy, version=version)
    return policy


def parse(text: str) -> Any:
    """The file's plain data (dicts, lists, scalars), for canonical hashing and diffs."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader


def canonical_text(text: str) -> str:
    """A deterministic encoding of a policy's content: comments, key order and layout do not matter."""
    return json.dumps(parse(text), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def sha256_of(text: str) -> str:
    return hashlib.sha256(canonical_text(text).encode("utf-8")).hexdigest()
