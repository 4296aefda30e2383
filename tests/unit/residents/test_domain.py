"""Residents rules: ages and guardians, consent state from an append-only history, pseudonyms."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.errors import Conflict, InvalidInput
from moralbank.residents import domain
from moralbank.residents.domain import ConsentRecord, Guardian

TODAY = date(2026, 11, 25)


def test_age_turns_on_the_birthday() -> None:
    assert domain.age_on(date(2012, 11, 26), TODAY) == 13
    assert domain.age_on(date(2012, 11, 25), TODAY) == 14


def _check(birth: date, *, min_age: int = 0, guardian: Guardian | None = None, version: str = "v1") -> list:
    return domain.check_enrolment(
        name="张三",
        birth=birth,
        today=TODAY,
        min_age=min_age,
        consent_text_version=version,
        guardian=guardian,
    )


def test_under_14_needs_a_guardian() -> None:
    problems = _check(date(2016, 1, 1))
    assert [p.field for p in problems] == ["guardian_name"]
    assert _check(date(2016, 1, 1), guardian=Guardian("李四", relation="父亲")) == []


def test_the_policy_minimum_age_refuses_younger_residents() -> None:
    problems = _check(date(2016, 1, 1), min_age=14, guardian=Guardian("李四"))
    assert "from age 14" in problems[0].reason


def test_the_policy_cannot_lower_the_guardian_age_below_14() -> None:
    problems = domain.check_enrolment(
        name="张三",
        birth=date(2014, 1, 1),
        today=TODAY,
        min_age=0,
        consent_text_version="v1",
        guardian=None,
        guardian_below=10,
    )
    assert [p.field for p in problems] == ["guardian_name"]


def test_enrolment_is_opt_in_with_a_consent_text_version() -> None:
    assert [p.field for p in _check(date(1980, 1, 1), version=" ")] == ["consent_text_version"]


T = datetime(2026, 1, 1, tzinfo=UTC)


def test_newest_consent_record_wins() -> None:
    records = [
        ConsentRecord("purpose", "bank_credit", True, T, 1),
        ConsentRecord("purpose", "bank_credit", False, T + timedelta(days=1), 2),
    ]
    assert domain.current_consents(records) == {("purpose", "bank_credit"): False}
    assert not domain.consent_given(records, interface=None, purpose="bank_credit")


@settings(max_examples=60)
@given(st.lists(st.tuples(st.sampled_from(["taxation", "health"]), st.booleans()), max_size=12))
def test_consent_state_is_the_last_act_per_subject(acts: list[tuple[str, bool]]) -> None:
    records = [ConsentRecord("interface", s, g, T + timedelta(minutes=i), i) for i, (s, g) in enumerate(acts)]
    random.Random(1).shuffle(records)  # storage order does not matter, time and sequence do
    state = domain.current_consents(records)
    for subject in ("taxation", "health"):
        last = [g for s, g in acts if s == subject]
        assert state.get(("interface", subject)) == (last[-1] if last else None)


def test_consent_subjects_are_codes() -> None:
    with pytest.raises(InvalidInput):
        domain.check_subject("interface", "Tax Bureau")
    with pytest.raises(InvalidInput):
        domain.check_subject("religion", "x_y")


def test_a_correction_is_decided_once() -> None:
    assert domain.decide_correction("open", accept=True) == "accepted"
    with pytest.raises(Conflict):
        domain.decide_correction("rejected", accept=True)


def test_pseudonyms_look_right_and_are_reproducible_from_a_seed() -> None:
    ids = domain.pseudonyms(1000, rng=random.Random(5))
    assert ids == domain.pseudonyms(1000, rng=random.Random(5))
    assert len(set(ids)) == 1000
    assert all(len(i) == 13 and i[0] == "R" and set(i[1:]) <= set(domain._CROCKFORD) for i in ids)
    assert domain.pseudonyms(3, prefix="H")[0].startswith("H")
