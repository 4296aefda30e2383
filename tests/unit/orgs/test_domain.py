"""Organisation rules: levels, code forms, placement, paths."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moralbank.errors import InvalidInput
from moralbank.orgs import domain
from moralbank.orgs.domain import Unit

CITY = Unit("330281", "city", "/330281/")
TOWN = Unit("330281001", "township", "/330281/330281001/", "330281")
VILLAGE = Unit("330281001001", "village", "/330281/330281001/330281001001/", "330281001")


def test_a_grid_sits_under_a_village_not_a_township() -> None:
    ok = domain.check_new_unit(code="330281001001-G03", level="grid", name_zh="三网格", parent=VILLAGE)
    assert ok == []
    bad = domain.check_new_unit(code="330281001001-G03", level="grid", name_zh="三网格", parent=TOWN)
    assert any("sits under a village" in p.reason for p in bad)


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("33028", "city", None),
        ("3302810011", "township", CITY),
        ("330281001", "village", TOWN),
        ("330281001001G03", "grid", VILLAGE),
    ],
)
def test_codes_follow_the_statistical_forms(code: str, level: str, parent: Unit | None) -> None:
    problems = domain.check_new_unit(code=code, level=level, name_zh="名", parent=parent)
    assert [p.field for p in problems] == ["code"]


def test_a_code_starts_with_its_parents_code() -> None:
    problems = domain.check_new_unit(code="330282001", level="township", name_zh="名", parent=CITY)
    assert problems and "starts with its parent's code" in problems[0].reason


def test_the_city_has_no_parent_and_others_need_one() -> None:
    assert domain.check_new_unit(code="330281", level="city", name_zh="余姚市", parent=None) == []
    assert (
        domain.check_new_unit(code="330281001", level="township", name_zh="x", parent=None)[0].field
        == "parent"
    )


def test_a_unit_cannot_move_under_its_own_subtree() -> None:
    with pytest.raises(InvalidInput, match="itself or its own descendant"):
        domain.check_move(
            Unit("330281001", "township", "/330281/330281001/"),
            Unit("330281", "city", "/330281/330281001/x/"),
        )


def test_nothing_moves_under_a_closed_parent() -> None:
    closed = Unit("330281002001", "village", "/330281/330281002/330281002001/", closed=True)
    with pytest.raises(InvalidInput, match="closed"):
        domain.check_move(
            Unit("330281001001-G01", "grid", "/330281/330281001/330281001001/330281001001-G01/"), closed
        )


@given(
    st.lists(st.from_regex(r"[0-9]{3,12}", fullmatch=True), min_size=1, max_size=5),
    st.lists(st.from_regex(r"[0-9]{3,12}", fullmatch=True), min_size=1, max_size=5),
)
def test_rebasing_keeps_the_tail_of_every_path(old: list[str], new: list[str]) -> None:
    old_prefix = "/" + "/".join(old) + "/"
    new_prefix = "/" + "/".join(new) + "/"
    descendant = old_prefix + "a/b/"
    assert domain.rebase_path(descendant, old_prefix, new_prefix) == new_prefix + "a/b/"


def test_path_is_materialised_from_the_parent() -> None:
    assert domain.path_for(None, "330281") == "/330281/"
    assert domain.path_for("/330281/", "330281001") == "/330281/330281001/"
