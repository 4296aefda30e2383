"""Invariants of validation over arbitrary edits of the default file."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moralbank.policy import source
from moralbank.policy.service import default_text

LINES = default_text().splitlines(keepends=True)
SCALARS = st.sampled_from(
    [
        "0",
        "-1",
        "999",
        "true",
        "x",
        "''",
        "[]",
        "{}",
        "null",
        "1.5",
        "捐款",
        "donation",
        "general",
        "bigdata",
        "green",
        "SM01",
    ]
)


@st.composite
def edited(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "value"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif ": " in lines[i]:
            key = lines[i].split(": ", 1)[0]
            lines[i] = f"{key}: {draw(SCALARS)}\n"
    return "".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited())
def test_validation_never_crashes_and_every_problem_has_a_line(text: str) -> None:
    problems = source.validate(text, "x.yaml")
    last = text.count("\n") + 1
    for p in problems:
        assert p.line is not None and 1 <= p.line <= last, p
        assert p.file == "x.yaml" and p.reason
    if not problems:
        policy = source.load(text)  # a valid file always loads, and honours the legal limits
        assert all(i.display_months is None or i.display_months <= 60 for i in policy.indicators.values())
        assert policy.objections.decide <= 5 and policy.repair.decide <= 3
        assert not any(i.auto_post and i.is_negative for i in policy.indicators.values())


def test_a_tier_without_min_score_is_reported_once_with_its_line() -> None:
    # Found by the property test above: with the tier at 0 unchanged, a tier that lost its min_score
    # (defaulting to the scale's 0) was also reported as "two tiers start at 0" with no line.
    text = default_text().replace("      min_score: 60\n", "", 1)
    problems = source.validate(text, "x.yaml")
    assert problems and all(p.line is not None for p in problems), problems
    assert not any("two tiers start at" in p.reason for p in problems)
    assert any(p.field and p.field.endswith("min_score") for p in problems)
