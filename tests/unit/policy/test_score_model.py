"""The score model the policy defines: clamping, aspect caps, tiers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.policy import source
from moralbank.policy.service import default_text

POLICY = source.load(default_text())
MODEL = POLICY.score


def test_no_records_is_the_base_score_in_the_standard_tier() -> None:
    assert MODEL.total({}, POLICY.aspects) == 60
    assert MODEL.tier_for(60).code == "standard"


def test_an_aspect_adds_at_most_its_cap() -> None:
    assert MODEL.total({"SM": 100}, POLICY.aspects) == 90  # SM capped at 30
    assert MODEL.total({"SM": 10, "FV": 10}, POLICY.aspects) == 80
    assert MODEL.tier_for(80).code == "green"


def test_negatives_are_not_capped_and_the_scale_clamps() -> None:
    assert MODEL.total({"SM": -100}, POLICY.aspects) == 0
    assert MODEL.total({a: 30 for a in POLICY.aspects}, POLICY.aspects) == 110
    assert MODEL.tier_for(0).code == "attention"


@settings(max_examples=50, deadline=None)
@given(st.dictionaries(st.sampled_from(list(POLICY.aspects)), st.integers(-300, 300)))
def test_every_total_lies_on_the_scale_and_has_exactly_one_tier(subscores: dict[str, int]) -> None:
    total = MODEL.total(subscores, POLICY.aspects)
    assert MODEL.min <= total <= MODEL.max
    tier = MODEL.tier_for(total)
    assert total >= tier.min_score
    assert all(t.min_score > total for t in MODEL.tiers if t.min_score > tier.min_score)
