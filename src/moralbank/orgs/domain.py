"""Organisation rules: the four levels, how codes look, where a unit may sit. Pure, stdlib only.

Codes follow GB/T 2260 and the statistical division codes where they exist: the city (county level)
has 6 digits (Yuyao ``330281``), a township/street 9 digits under it (``330281001``), a
village/community 12 digits under its township (``330281001001``). Grids have no national code; they
get a local one under their village: ``330281001001-G03``. A code never changes once given, so a unit
that is moved keeps its code (the prefix rule is checked when a unit is created).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moralbank.errors import InvalidInput, Problem

LEVELS = ("city", "township", "village", "grid")
# Which level a unit of each level sits under (the city is the root).
PARENT_LEVEL = {"city": None, "township": "city", "village": "township", "grid": "village"}
LEVEL_NAMES_ZH = {"city": "市", "township": "镇（街道）", "village": "村（社区）", "grid": "网格"}

_CODE_FORMS = {
    "city": re.compile(r"^\d{6}$"),
    "township": re.compile(r"^\d{9}$"),
    "village": re.compile(r"^\d{12}$"),
    "grid": re.compile(r"^\d{12}-G\d{2,4}$"),
}
_CODE_FORM_TEXT = {
    "city": "6 digits (GB/T 2260)",
    "township": "9 digits",
    "village": "12 digits",
    "grid": "<village code>-G<2-4 digits>, e.g. 330281001001-G03",
}


@dataclass(frozen=True)
class Unit:
    """What the rules need to know about a unit."""

    code: str
    level: str
    path: str
    parent_code: str | None = None
    closed: bool = False


def path_for(parent_path: str | None, code: str) -> str:
    """The materialised path: ``/330281/330281001/`` (a prefix test finds a whole subtree)."""
    return f"{parent_path or '/'}{code}/"


def grid_code(village_code: str, number: int) -> str:
    return f"{village_code}-G{number:02d}"


def check_new_unit(
    *,
    code: str,
    level: str,
    name_zh: str,
    parent: Unit | None,
    field_prefix: str = "",
    row: int | None = None,
) -> list[Problem]:
    """Every problem with creating a unit (empty list: fine)."""
    problems: list[Problem] = []

    def bad(field: str, reason: str) -> None:
        problems.append(Problem(reason, field=field_prefix + field, row=row))

    if level not in LEVELS:
        bad("level", f"level {level!r} is not one of {', '.join(LEVELS)}")
        return problems
    if not _CODE_FORMS[level].match(code or ""):
        bad("code", f"a {level} code is {_CODE_FORM_TEXT[level]}; got {code!r}")
    if not (name_zh or "").strip():
        bad("name_zh", "a unit needs a Chinese name")
    elif len(name_zh) > 100:
        bad("name_zh", "name longer than 100 characters")
    problems += [
        Problem(p, field=field_prefix + "parent", row=row) for p in placement_problems(level, parent)
    ]
    if parent is not None and not problems and not code.startswith(parent.code):
        bad("code", f"a {level} code starts with its parent's code {parent.code}; got {code!r}")
    return problems


def placement_problems(level: str, parent: Unit | None) -> list[str]:
    """Why a unit of ``level`` may not sit under ``parent`` (empty: it may)."""
    want = PARENT_LEVEL.get(level)
    if want is None:
        return [] if parent is None else ["the city is the root: it has no parent"]
    if parent is None:
        return [f"a {level} needs a parent {want}"]
    if parent.level != want:
        return [f"a {level} sits under a {want}, not under a {parent.level} ({parent.code})"]
    if parent.closed:
        return [f"parent {parent.code} is closed"]
    return []


def check_move(unit: Unit, new_parent: Unit) -> None:
    """Raise InvalidInput when ``unit`` may not move under ``new_parent``."""
    problems = placement_problems(unit.level, new_parent)
    if new_parent.path.startswith(unit.path):
        problems.append("a unit cannot move under itself or its own descendant")
    if unit.closed:
        problems.append(f"{unit.code} is closed")
    if problems:
        raise InvalidInput([Problem(p, field="parent") for p in problems])


def rebase_path(old_path: str, old_prefix: str, new_prefix: str) -> str:
    """The path of a descendant after its ancestor moved from ``old_prefix`` to ``new_prefix``."""
    assert old_path.startswith(old_prefix)
    return new_prefix + old_path[len(old_prefix) :]


def level_order(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)
