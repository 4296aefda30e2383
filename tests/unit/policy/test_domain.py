"""The policy file: the default is valid, and every refusal names the line and field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.errors import InvalidInput, Problem
from moralbank.policy import domain, source
from moralbank.policy.domain import Direction, Period, Severity, Stage
from moralbank.policy.service import default_text

DEFAULT = default_text()


def edit(anchor: str, old: str, new: str, text: str = DEFAULT) -> tuple[str, int]:
    """Replace the first ``old`` after ``anchor``; returns the new text and the (1-based) line edited."""
    start = text.index(anchor)
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old) :], text.count("\n", 0, at) + 1


def problems(text: str) -> list[Problem]:
    return source.validate(text, "city.yaml")


def only(text: str, field: str) -> Problem:
    found = [p for p in problems(text) if p.field == field]
    assert found, f"no problem for {field}: {[str(p) for p in problems(text)]}"
    return found[0]


# --- the shipped default ------------------------------------------------------------------------


def test_default_policy_is_valid_and_modelled_on_yuyao() -> None:
    assert problems(DEFAULT) == []
    p = source.load(DEFAULT)
    assert [a.name_zh for a in p.aspects.values()] == ["社会公德", "职业道德", "家庭美德", "个人品德"]
    assert len(p.indicators) == 20
    assert all(len(p.indicators_of(a)) == 5 for a in p.aspects)
    assert p.score.tier_for(80).code == "green" and p.score.tier_for(79).code != "green"
    assert (p.score.min, p.score.max) == (0, 110)
    for ind in p.indicators.values():
        assert ind.name_zh and ind.name_en and ind.basis_zh and ind.basis_en
    negatives = [i for i in p.indicators.values() if i.is_negative]
    assert len(negatives) >= 4 and all(i.evidence_required and i.points < 0 for i in negatives)
    assert p.indicators["SM05"].points == -100 and p.indicators["PE04"].points == -20
    arrears = p.indicators["PE05"]
    assert arrears.points == -10 and arrears.cap(Period.MONTH).max_count == 1
    assert {i.severity for i in negatives} == set(Severity)


def test_defaults_fill_the_legal_limits_and_display_periods() -> None:
    p = source.load(DEFAULT)
    assert p.negatives.display_months == {Severity.MINOR: 3, Severity.GENERAL: 12, Severity.SERIOUS: 36}
    assert p.indicators["SM05"].display_months == 36
    assert (p.objections.mark_disputed, p.objections.decide) == (1, 5)
    assert (p.repair.feedback, p.repair.decide) == (10, 3)
    assert p.enrolment.needs_guardian(13) and not p.enrolment.needs_guardian(14)
    assert p.credit.for_tier("green").line_fen == 20_000_000
    assert {b.code for b in p.benefits_for("green")} >= {"medical_priority", "bus_discount", "moral_rent"}
    assert p.greencode.dynamic_minutes == 5 and p.greencode.card_days == 365


def test_indicator_paths_follow_the_stages() -> None:
    p = source.load(DEFAULT)
    volunteering, arrears = p.indicators["SM01"], p.indicators["PE05"]
    assert volunteering.path(Stage.SELF) == (Stage.GRID, Stage.VILLAGE)
    assert volunteering.path(Stage.BIGDATA) == ()  # positive with auto_post
    assert arrears.path(Stage.BIGDATA) == (Stage.VILLAGE,)  # negatives never post on their own
    assert volunteering.allows(2) and volunteering.allows(5) and not volunteering.allows(6)
    assert arrears.direction is Direction.NEGATIVE and arrears.allows(-10) and not arrears.allows(10)


def test_load_raises_every_problem() -> None:
    text, _ = edit("code: SM01", "points: 5", "points: five")
    with pytest.raises(InvalidInput) as e:
        source.load(text, "city.yaml")
    assert "line" in str(e.value) and "indicators[SM01].points" in str(e.value)


# --- refusals -------------------------------------------------------------------------------------


def test_refuses_a_donation_category() -> None:
    text, line = edit("code: PE01", "category: honour", "category: donation")
    p = only(text, "indicators[PE01].category")
    assert p.line == line and "refused" in p.reason and "donat" in p.reason and p.file == "city.yaml"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name_zh", "捐款助学"),
        ("name_zh", "向村里捐物"),
        ("name_zh", "捐赠电视机"),
        ("name_en", "Donating a TV to the village"),
        ("basis_en", "Each donation of money earns 10 points."),
    ],
)
def test_refuses_donation_words_in_names_and_basis(key: str, value: str) -> None:
    lines = DEFAULT[DEFAULT.index("code: PE01") :].splitlines()
    old = next(line for line in lines if line.strip().startswith(f"{key}:"))
    text, line = edit("code: PE01", old, f'    {key}: "{value}"')
    p = only(text, f"indicators[PE01].{key}")
    assert p.line == line and "refused" in p.reason and "donation" in p.reason


def test_blood_donation_is_a_deed_not_a_purchase() -> None:
    assert source.load(DEFAULT).indicators["SM02"].name_en == "Unpaid blood donation"
    text, _ = edit("code: SM02", "name_en: Unpaid blood donation", "name_en: Donating blood or bone marrow")
    assert problems(text) == []


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("name_zh: 美丽庭院", "name_zh: 儿子参军", "name_zh"),
        ("name_zh: 美丽庭院", "name_zh: 军属家庭", "name_zh"),
        ("name_en: Clean and tidy yard", "name_en: Son in the army", "name_en"),
        ("name_en: Clean and tidy yard", "name_en: Relative of an official", "name_en"),
    ],
)
def test_refuses_family_status(old: str, new: str, key: str) -> None:
    text, line = edit("code: FV02", old, new)
    p = only(text, f"indicators[FV02].{key}")
    assert p.line == line and "family status" in p.reason


def test_refuses_a_family_status_category() -> None:
    text, line = edit("code: FV02", "category: conduct", "category: family_status")
    p = only(text, "indicators[FV02].category")
    assert p.line == line and "family status" in p.reason


def test_refuses_a_benefit_tier_that_does_not_exist() -> None:
    text, line = edit("code: moral_rent", "tiers: [green]", "tiers: [gold]")
    p = only(text, "benefits[moral_rent].tiers")
    assert p.line == line and "unknown tier 'gold'" in p.reason


def test_refuses_an_effect_not_in_the_catalogue() -> None:
    text, line = edit("code: green", "effects: [courtesy_benefits", "effects: [public_shaming")
    p = only(text, "score.tiers[green].effects")
    assert p.line == line and "not in the policy's effects catalogue" in p.reason


def test_refuses_display_periods_over_five_years() -> None:
    text, line = edit("negatives:", "serious: 36", "serious: 61")
    p = only(text, "negatives.display_months.serious")
    assert p.line == line and "5-year ceiling" in p.reason
    text, line = edit("code: PC05", "severity: serious", "severity: serious\n    display_months: 72")
    p = only(text, "indicators[PC05].display_months")
    assert p.line == line + 1 and "5-year ceiling" in p.reason


def test_refuses_a_display_period_over_its_severity_range() -> None:
    text, line = edit("negatives:", "general: 12", "general: 18")
    p = only(text, "negatives.display_months.general")
    assert p.line == line and "general record may be shown for at most 12 months" in p.reason
    shorter, _ = edit("negatives:", "general: 12", "general: 6")
    assert problems(shorter) == []


@pytest.mark.parametrize(
    ("anchor", "old", "new", "field", "limit"),
    [
        ("objections:", "mark_disputed: 1", "mark_disputed: 2", "objections.mark_disputed", 1),
        ("objections:", "decide: 5", "decide: 10", "objections.decide", 5),
        ("objections:", "forward: 2", "forward: 3", "objections.forward", 2),
        ("repair:", "feedback: 10", "feedback: 15", "repair.feedback", 10),
        ("repair:", "decide: 3", "decide: 4", "repair.decide", 3),
        ("repair:", "public_removal: 3", "public_removal: 5", "repair.public_removal", 3),
    ],
)
def test_refuses_deadlines_looser_than_the_law(
    anchor: str, old: str, new: str, field: str, limit: int
) -> None:
    text, line = edit(anchor, old, new)
    p = only(text, field)
    assert p.line == line and "looser than the legal limit" in p.reason and f"limit of {limit}" in p.reason


def test_tighter_deadlines_are_fine() -> None:
    text, _ = edit("objections:", "decide: 5", "decide: 3")
    text, _ = edit("repair:", "feedback: 10", "feedback: 5", text)
    assert problems(text) == []
    assert source.load(text).objections.decide == 3


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("{code: religion, name_zh: 宗教信仰, name_en: Religion}", "data_categories[religion].code"),
        ("{code: dna, name_zh: 基因样本, name_en: DNA samples}", "data_categories[dna].code"),
        ("{code: prints, name_zh: 指纹, name_en: Prints}", "data_categories[prints].name_zh"),
        ("{code: blood_type, name_zh: 血型, name_en: Blood type}", "data_categories[blood_type].code"),
        ("{code: health, name_zh: 慢性疾病, name_en: Chronic illness}", "data_categories[health].name_zh"),
    ],
)
def test_refuses_data_that_may_not_be_collected(entry: str, field: str) -> None:
    text, line = edit("data_categories:", "  - {code: consent", f"  - {entry}\n  - {{code: consent")
    p = only(text, field)
    assert p.line == line and "may not be collected" in p.reason


def test_refuses_auto_posting_negatives_and_deductions_without_a_person() -> None:
    text, line = edit("code: PE05", "severity: general", "severity: general\n    auto_post: true")
    p = only(text, "indicators[PE05].auto_post")
    assert p.line == line + 1 and "never post automatically" in p.reason
    text, line = edit("code: PE05", "stages: [village, bigdata]", "stages: [bigdata]")
    p = only(text, "indicators[PE05].stages")
    assert p.line == line and "village stage" in p.reason


def test_refuses_guardian_consent_below_fourteen_and_a_lone_officer() -> None:
    text, line = edit("enrolment:", "guardian_consent_below: 14", "guardian_consent_below: 12")
    assert only(text, "enrolment.guardian_consent_below").line == line
    text, line = edit(
        "evaluation:", "second_officer_for_negatives: true", "second_officer_for_negatives: false"
    )
    assert only(text, "evaluation.second_officer_for_negatives").line == line


# --- structure: unknown keys, types, duplicates, dangling references ----------------------------------


def test_unknown_key_is_named_with_its_line() -> None:
    text, line = edit("code: SM03", "points: 10", "pionts: 10")
    p = only(text, "indicators[SM03].pionts")
    assert p.line == line and "unknown key" in p.reason
    assert only(text, "indicators[SM03].points").reason == "is required"


def test_unknown_top_level_key() -> None:
    text = DEFAULT + "bonus_for_donors: true\n"
    p = only(text, "bonus_for_donors")
    assert p.line == DEFAULT.count("\n") + 1 and "unknown key" in p.reason


@pytest.mark.parametrize(
    ("anchor", "old", "new", "field", "says"),
    [
        ("code: SM03", "points: 10", "points: ten", "indicators[SM03].points", "whole number"),
        (
            "code: SM03",
            "evidence_required: true",
            "evidence_required: 1",
            "indicators[SM03].evidence_required",
            "true or false",
        ),
        ("code: SM03", "quorum: 2", "quorum: [2]", "indicators[SM03].quorum", "whole number"),
        ("score:", "base: 60", "base: 60.5", "score.base", "whole number"),
        ("code: SM03", "direction: positive", "direction: upward", "indicators[SM03].direction", "one of"),
        (
            "code: SM03",
            "stages: [self, grid, village, bigdata]",
            "stages: [self, court]",
            "indicators[SM03].stages",
            "unknown stage",
        ),
        (
            "code: SM03",
            "stages: [self, grid, village, bigdata]",
            "stages: [village, grid]",
            "indicators[SM03].stages",
            "order",
        ),
    ],
)
def test_wrong_types_and_values(anchor: str, old: str, new: str, field: str, says: str) -> None:
    text, line = edit(anchor, old, new)
    p = only(text, field)
    assert p.line == line and says in p.reason


def test_points_must_carry_the_direction_sign() -> None:
    text, line = edit("code: PE04", "points: -20", "points: 20")
    p = only(text, "indicators[PE04].points")
    assert p.line == line and "negative points" in p.reason
    text, line = edit("code: SM01", "max_points: 5", "max_points: 4")
    assert "within" in only(text, "indicators[SM01].points").reason


def test_duplicate_indicator_code() -> None:
    text, line = edit("code: SM02", "code: SM02", "code: SM01")
    p = only(text, "indicators[SM01].code")
    assert p.line == line and "duplicate indicator code" in p.reason


def test_duplicate_key_in_a_mapping() -> None:
    text, line = edit("code: SM03", "points: 10", "points: 10\n    points: 12")
    p = only(text, "indicators[SM03].points")
    assert p.line == line + 1 and "duplicate key" in p.reason and f"first on line {line}" in p.reason


def test_dangling_aspect_reference() -> None:
    text, line = edit("code: PC01", "aspect: PC", "aspect: XX")
    p = only(text, "indicators[PC01].aspect")
    assert p.line == line and "unknown aspect 'XX'" in p.reason


def test_credit_for_an_unknown_tier() -> None:
    text, line = edit("credit:", "standard: {", "gold: {")
    p = only(text, "credit.tiers.gold")
    assert p.line == line and "unknown key" in p.reason


def test_invalid_yaml_names_the_line() -> None:
    text, line = edit("code: SM03", "points: 10", "points: [10")
    found = problems(text)
    assert found and found[0].line is not None and found[0].line >= line and "YAML" in found[0].reason


def test_empty_file_and_a_list_at_the_top() -> None:
    assert "empty" in problems("")[0].reason
    assert "mapping" in problems("- 1\n")[0].reason


def test_wrong_schema_version() -> None:
    text, line = edit("schema_version", "schema_version: 1", "schema_version: 2")
    p = only(text, "schema_version")
    assert p.line == line


# --- hashing and diff -----------------------------------------------------------------------------------


def test_hash_ignores_comments_and_layout_but_not_content() -> None:
    relaid = "# changed comment\n" + DEFAULT.replace("\n\n", "\n")
    assert source.sha256_of(DEFAULT) == source.sha256_of(relaid)
    text, _ = edit("code: SM03", "points: 10", "points: 11")
    assert source.sha256_of(DEFAULT) != source.sha256_of(text)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=5, max_value=20))
def test_diff_reports_exactly_the_changed_indicator(points: int) -> None:
    text, _ = edit("code: SM03", "points: 10", f"points: {points}")
    old, new = source.load(DEFAULT), source.load(text)
    changes = domain.diff(old, new)
    if points == 10:
        assert changes == []
    else:
        expected = [("changed", "SM03", (("points", 10, points),))]
        assert [(c.kind, c.code, c.fields) for c in changes] == expected


def test_diff_sees_added_and_removed_indicators() -> None:
    start = DEFAULT.index("  - code: PC05")
    removed = DEFAULT[:start]
    changes = domain.diff(source.load(DEFAULT), source.load(removed))
    assert [(c.kind, c.what, c.code) for c in changes] == [("removed", "indicator", "PC05")]
    assert [(c.kind, c.code) for c in domain.diff(source.load(removed), source.load(DEFAULT))] == [
        ("added", "PC05")
    ]


def test_an_empty_catalogue_is_refused() -> None:
    start = DEFAULT.index("indicators:\n")
    text = DEFAULT[:start] + "indicators: []\n"
    p = only(text, "indicators")
    assert p.line == DEFAULT.count("\n", 0, start) + 1 and "at least one indicator" in p.reason


def test_a_broken_tier_list_is_reported_once_not_at_every_reference() -> None:
    text, line = edit("score:", "  tiers:\n", "  tiers: []\n  old_tiers:\n")
    fields = [p.field for p in problems(text)]
    assert "score.tiers" in fields
    assert not any(f and (f.startswith("benefits") or f.startswith("credit")) for f in fields)


def test_a_scalar_where_a_mapping_belongs() -> None:
    caps = "caps: {month: {max_points: 20}, year: {max_points: 120}}"
    text, line = edit("code: SM01", caps, "caps: {month: 5}")
    p = only(text, "indicators[SM01].caps.month")
    assert p.line == line and "must be a mapping, not the value '5'" in p.reason
