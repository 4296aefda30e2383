"""Resident ID numbers (GB 11643-1999), checked with python-stdnum's ``stdnum.cn.ric``.

We apply stdnum's rules for the form (18 characters), the ISO 7064 MOD 11-2 check character, the
birth date and the division code — with one deliberate difference: stdnum also rejects a division
code that did not exist yet in the birth year (330281, Yuyao as a county-level city, dates from
1989), but division codes are given at registration, not at birth, so real residents born before a
code existed carry it. We therefore ask only that the code is a known division code of any period.

The per-row cost matters (enrolling 600,000 residents from a file), so the division-code and
birth-date look-ups are cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

_DIGITS = frozenset("0123456789")


@dataclass(frozen=True)
class IdNumber:
    number: str  # the normalised 18 characters
    birth: date
    sex: str  # "M" | "F" (odd sequence: male)
    division: str  # the 6-digit division code


class BadIdNumber(ValueError):
    """The reason an ID number is not valid (a plain sentence, for import reports)."""


@lru_cache(maxsize=8192)
def _known_division(code: str) -> bool:
    from stdnum import numdb

    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


@lru_cache(maxsize=65536)
def _birth(part: str) -> date:
    return ric.get_birth_date("000000" + part + "0000")


def normalise(number: str) -> str:
    return ric.compact(number) if number else ""


def parse(number: str) -> IdNumber:
    """Validate and split an ID number; raise :class:`BadIdNumber` with the reason."""
    n = (number or "").strip().upper()
    if len(n) != 18 or not _DIGITS.issuperset(n[:17]):
        n = normalise(number)
    if len(n) != 18:
        raise BadIdNumber(f"an ID number has 18 characters, this one {len(n)}")
    if not _DIGITS.issuperset(n[:17]) or n[17] not in "0123456789X":
        raise BadIdNumber("an ID number is 17 digits and a check character 0-9 or X")
    if n[17] != ric.calc_check_digit(n):
        raise BadIdNumber("the check character does not match (GB 11643 / ISO 7064 MOD 11-2)")
    try:
        birth = _birth(n[6:14])
    except ValidationError:
        raise BadIdNumber(f"{n[6:14]} is not a date") from None
    if not _known_division(n[:6]):
        raise BadIdNumber(f"{n[:6]} is not a known administrative division code (GB/T 2260)")
    return IdNumber(number=n, birth=birth, sex="M" if int(n[16]) % 2 else "F", division=n[:6])


def make(division: str, birth: date, sequence: int) -> str:
    """A number valid in form (for synthetic data and tests): check character computed."""
    body = f"{division}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def mask(number: str) -> str:
    """330281********123X: what staff see (birth date hidden)."""
    return number[:6] + "*" * 8 + number[14:] if len(number) == 18 else "*" * len(number)
