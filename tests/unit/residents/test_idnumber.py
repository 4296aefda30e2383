"""GB 11643 ID numbers through python-stdnum, with the registration-year leniency documented."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from moralbank.residents import idnumber


def test_a_valid_number_gives_birth_date_and_sex() -> None:
    n = idnumber.make("330281", date(1950, 3, 4), 17)
    parsed = idnumber.parse(n.lower() if n.endswith("X") else n)
    assert parsed.birth == date(1950, 3, 4) and parsed.sex == "M" and parsed.division == "330281"
    assert idnumber.parse(idnumber.make("330281", date(1990, 1, 1), 18)).sex == "F"


def test_stdnum_agrees_with_us_on_numbers_after_the_code_existed() -> None:
    n = idnumber.make("330281", date(1995, 6, 1), 123)
    assert ric.is_valid(n)
    idnumber.parse(n)


def test_a_yuyao_resident_born_before_1989_is_accepted() -> None:
    # stdnum rejects this (330281 dates from 1989) though such numbers are issued at registration.
    n = idnumber.make("330281", date(1960, 5, 5), 31)
    assert not ric.is_valid(n)
    assert idnumber.parse(n).birth == date(1960, 5, 5)


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("33028119500304017", "18 characters"),
        ("330281195003040171", "check character"),
        ("330281195002300170", None),  # 30 February
        ("999999195003040170", None),
        ("33028119500304017A", "check character 0-9 or X"),
    ],
)
def test_bad_numbers_say_why(number: str, reason: str | None) -> None:
    body = number[:17]
    if reason is None:  # give the bad date/division a correct check character
        number = body + ric.calc_check_digit(body + "0")
    with pytest.raises(idnumber.BadIdNumber) as e:
        idnumber.parse(number)
    if reason:
        assert reason in str(e.value)


@settings(max_examples=50)
@given(st.dates(min_value=date(1920, 1, 1), max_value=date(2025, 12, 31)), st.integers(0, 999))
def test_every_made_number_parses_back(birth: date, seq: int) -> None:
    parsed = idnumber.parse(idnumber.make("330281", birth, seq))
    assert parsed.birth == birth
    assert parsed.sex == ("M" if seq % 2 else "F")


def test_mask_hides_the_birth_date() -> None:
    assert idnumber.mask("330281195003040170") == "330281********0170"
