"""Organisation use cases: read the tree, create, rename, move, close, import, export.

Services never commit; the caller's unit of work does.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, InvalidInput, NotFound, Problem
from moralbank.kernel.tabular import read_table
from moralbank.orgs import domain, repository
from moralbank.orgs.models import OrgUnit, OrgUnitEvent
from moralbank.orgs.schemas import ImportReport

__all__ = [
    "get",
    "path_of",
    "list",
    "children",
    "resident_counts",
    "subtree",
    "create",
    "rename",
    "move",
    "close",
    "history",
    "import_file",
    "import_rows",
    "export",
    "counts",
    "open_grids",
    "IMPORT_ALIASES",
]


def _unit(u: OrgUnit) -> domain.Unit:
    return domain.Unit(
        code=u.code, level=u.level, path=u.path, parent_code=u.parent_code, closed=u.closed_at is not None
    )


def get(uow: UnitOfWork, *, code: str) -> OrgUnit:
    """The unit with this code (open or closed); NotFound otherwise."""
    unit = repository.get(uow.db, code)
    if unit is None:
        raise NotFound(f"no organisation unit {code!r}")
    return unit


def path_of(uow: UnitOfWork, *, code: str) -> str:
    """The materialised path of a unit, e.g. ``/330281/330281001/330281001001/``."""
    return get(uow, code=code).path


def list(
    uow: UnitOfWork,
    *,
    level: str | None = None,
    under: str | None = None,  # noqa: A001
    include_closed: bool = False,
) -> builtins.list[OrgUnit]:
    """Units in path order, optionally of one level and/or inside the subtree of ``under``."""
    if under is not None:
        return repository.subtree(
            uow.db, path_of(uow, code=under), level=level, include_closed=include_closed
        )
    units = repository.all_units(uow.db, include_closed=include_closed)
    return [u for u in units if level is None or u.level == level]


def children(
    uow: UnitOfWork, *, code: str | None = None, include_closed: bool = False
) -> builtins.list[OrgUnit]:
    """The units directly under ``code`` (the roots when None)."""
    return repository.children(uow.db, code, include_closed=include_closed)


def subtree(
    uow: UnitOfWork, *, code: str, level: str | None = None, include_closed: bool = False
) -> builtins.list[OrgUnit]:
    """The unit and everything under it, in path order."""
    return repository.subtree(uow.db, path_of(uow, code=code), level=level, include_closed=include_closed)


def counts(uow: UnitOfWork) -> dict[str, int]:
    """Open units per level."""
    return repository.count_by_level(uow.db)


def _event(
    uow: UnitOfWork, code: str, kind: str, old: str | None, new: str | None, actor: str
) -> OrgUnitEvent:
    return OrgUnitEvent(code=code, kind=kind, old_value=old, new_value=new, actor=actor, at=uow.clock.now())


def create(
    uow: UnitOfWork,
    *,
    code: str,
    name_zh: str,
    level: str,
    parent: str | None = None,
    name_en: str = "",
    actor: str,
) -> OrgUnit:
    """Create a unit under ``parent`` (None only for the city)."""
    code = (code or "").strip()
    if repository.get(uow.db, code) is not None:
        raise Conflict(f"unit {code} already exists")
    parent_unit = get(uow, code=parent) if parent else None
    problems = domain.check_new_unit(
        code=code, level=level, name_zh=name_zh, parent=_unit(parent_unit) if parent_unit else None
    )
    if problems:
        raise InvalidInput(problems)
    unit = OrgUnit(
        code=code,
        name_zh=name_zh.strip(),
        name_en=(name_en or "").strip(),
        level=level,
        parent_code=parent,
        path=domain.path_for(parent_unit.path if parent_unit else None, code),
        created_at=uow.clock.now(),
    )
    repository.add(uow.db, unit)
    repository.add_event(uow.db, _event(uow, code, "create", None, unit.path, actor))
    return unit


def rename(
    uow: UnitOfWork, *, code: str, name_zh: str | None = None, name_en: str | None = None, actor: str
) -> OrgUnit:
    """Change a unit's Chinese and/or English name; each change is kept in the history."""
    unit = get(uow, code=code)
    if unit.closed_at is not None:
        raise Conflict(f"{code} is closed")
    if name_zh is not None:
        name_zh = name_zh.strip()
        if not name_zh or len(name_zh) > 100:
            raise InvalidInput(
                Problem("a unit needs a Chinese name of at most 100 characters", field="name_zh")
            )
        if name_zh != unit.name_zh:
            repository.add_event(uow.db, _event(uow, code, "rename", unit.name_zh, name_zh, actor))
            unit.name_zh = name_zh
    if name_en is not None and name_en.strip() != unit.name_en:
        repository.add_event(uow.db, _event(uow, code, "rename_en", unit.name_en, name_en.strip(), actor))
        unit.name_en = name_en.strip()
    uow.db.flush()
    return unit


def move(uow: UnitOfWork, *, code: str, parent: str, actor: str) -> OrgUnit:
    """Move a unit (and its whole subtree) under a new parent of the right level."""
    unit = get(uow, code=code)
    new_parent = get(uow, code=parent)
    if unit.parent_code == parent:
        return unit
    domain.check_move(_unit(unit), _unit(new_parent))
    old_path, old_parent = unit.path, unit.parent_code
    new_path = domain.path_for(new_parent.path, code)
    unit.parent_code = parent
    uow.db.flush()
    repository.rebase_subtree(uow.db, old_path, new_path)
    repository.add_event(uow.db, _event(uow, code, "move", old_parent, parent, actor))
    uow.db.flush()
    return get(uow, code=code)


def close(uow: UnitOfWork, *, code: str, actor: str) -> OrgUnit:
    """Close a unit. Refused while it still has open units under it or residents in it."""
    unit = get(uow, code=code)
    if unit.closed_at is not None:
        raise Conflict(f"{code} is already closed")
    open_children = repository.count_open_children(uow.db, code)
    if open_children:
        raise Conflict(
            f"{code} {unit.name_zh} still has {open_children} open unit(s) under it: close or move them first"
        )
    residents = _residents_in(uow, unit.path)
    if residents:
        raise Conflict(
            f"{code} {unit.name_zh} still has {residents} enrolled resident(s): "
            "move them to another grid first"
        )
    now = uow.clock.now()
    repository.set_closed(uow.db, code, now)
    repository.add_event(uow.db, _event(uow, code, "close", None, now.isoformat(), actor))
    uow.db.flush()
    uow.db.refresh(unit)
    return unit


def _residents_in(uow: UnitOfWork, path: str) -> int:
    try:
        from moralbank.residents import service as residents
    except ModuleNotFoundError:  # pragma: no cover - residents always ships with orgs
        return 0
    return residents.count_in(uow, path=path)


def resident_counts(uow: UnitOfWork, *, code: str) -> dict[str, int]:
    """Enrolled residents of a unit and of each of its children, by unit code."""
    from moralbank.residents import service as residents

    unit = get(uow, code=code)
    units = [unit, *children(uow, code=code)]
    counts = residents.counts_under(uow, path=unit.path, paths=[u.path for u in units])
    return {u.code: counts[u.path] for u in units}


def history(uow: UnitOfWork, *, code: str) -> builtins.list[OrgUnitEvent]:
    """Every change to a unit, oldest first."""
    get(uow, code=code)
    return repository.history(uow.db, code)


def export(uow: UnitOfWork, *, include_closed: bool = False) -> builtins.list[dict[str, Any]]:
    """The unit list other tools read: ``code``, ``name``, ``level``, ``parent`` (and ``name_en``)."""
    return [
        {"code": u.code, "name": u.name_zh, "name_en": u.name_en, "level": u.level, "parent": u.parent_code}
        for u in repository.all_units(uow.db, include_closed=include_closed)
    ]


# -- import --------------------------------------------------------------------------------------

IMPORT_ALIASES = {
    "代码": "code",
    "编码": "code",
    "区划代码": "code",
    "统计用区划代码": "code",
    "名称": "name_zh",
    "name": "name_zh",
    "中文名称": "name_zh",
    "英文名称": "name_en",
    "层级": "level",
    "级别": "level",
    "上级": "parent",
    "上级代码": "parent",
    "parent_code": "parent",
}
LEVEL_ALIASES = {
    "市": "city",
    "县级市": "city",
    "镇": "township",
    "乡": "township",
    "街道": "township",
    "镇（街道）": "township",
    "村": "village",
    "社区": "village",
    "村（社区）": "village",
    "网格": "grid",
}


def import_file(
    uow: UnitOfWork, *, source: Path | bytes, filename: str | None = None, actor: str
) -> ImportReport:
    """Import units from a CSV/XLSX file (columns code, name_zh, name_en, level, parent).

    Bad rows are reported with row, field and reason; good rows are applied; importing the same file
    again changes nothing. A unit already present with another name is renamed, with another parent
    moved (both kept in its history).
    """
    table = read_table(
        source, filename=filename, aliases=IMPORT_ALIASES, required=("code", "name_zh", "level")
    )
    return import_rows(uow, rows=table.rows, actor=actor, file=table.name)


def import_rows(
    uow: UnitOfWork, *, rows: Iterable[tuple[int, Mapping[str, str]]], actor: str, file: str = "rows"
) -> ImportReport:
    """Apply unit rows (row number, {code, name_zh, name_en, level, parent}); see ``import_file``."""
    report = ImportReport(file=file)
    known = {u.code: u for u in repository.all_units(uow.db)}
    units = {code: _unit(u) for code, u in known.items()}
    parsed = []
    seen: dict[str, int] = {}
    for number, row in rows:
        code = (row.get("code") or "").strip()
        level = (row.get("level") or "").strip()
        level = LEVEL_ALIASES.get(level, level.lower())
        if code in seen:
            report.problems.append(
                Problem(f"code {code} appears again (first at row {seen[code]})", field="code", row=number)
            )
            continue
        seen[code] = number
        parsed.append((domain.level_order(level), number, code, level, row))
    parsed.sort(key=lambda p: (p[0], p[1]))  # parents before children, whatever the file order
    now = uow.clock.now()
    new_rows: builtins.list[dict[str, Any]] = []
    new_events: builtins.list[dict[str, Any]] = []
    for _, number, code, level, row in parsed:
        name_zh = (row.get("name_zh") or "").strip()
        name_en = (row.get("name_en") or "").strip()
        parent_code = (row.get("parent") or "").strip() or None
        parent = units.get(parent_code) if parent_code else None
        if parent_code and parent is None:
            report.problems.append(
                Problem(
                    f"parent {parent_code} is neither in the database nor a good row of this file",
                    field="parent",
                    row=number,
                )
            )
            continue
        if code in units:
            if known.get(code) is None:  # created earlier in this same import
                report.unchanged += 1
                continue
            report_updated = _sync_existing(
                uow, known[code], name_zh, name_en, parent_code, level, actor, number, report
            )
            if report_updated:
                units[code] = _unit(get(uow, code=code))
            continue
        problems = domain.check_new_unit(code=code, level=level, name_zh=name_zh, parent=parent, row=number)
        if problems:
            report.problems.extend(problems)
            continue
        path = domain.path_for(parent.path if parent else None, code)
        units[code] = domain.Unit(code=code, level=level, path=path, parent_code=parent_code)
        new_rows.append(
            {
                "code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "level": level,
                "parent_code": parent_code,
                "path": path,
                "created_at": now,
                "closed_at": None,
            }
        )
        new_events.append(
            {"code": code, "kind": "create", "old_value": None, "new_value": path, "actor": actor, "at": now}
        )
        report.created += 1
    repository.bulk_insert(uow.db, new_rows, new_events)
    uow.db.flush()
    report.problems.sort(key=lambda p: (p.row or 0, p.field or ""))
    return report


def _sync_existing(
    uow: UnitOfWork,
    unit: OrgUnit,
    name_zh: str,
    name_en: str,
    parent_code: str | None,
    level: str,
    actor: str,
    number: int,
    report: ImportReport,
) -> bool:
    if level != unit.level:
        report.problems.append(
            Problem(f"{unit.code} exists as a {unit.level}; a level cannot change", field="level", row=number)
        )
        return False
    changed = False
    try:
        if name_zh and name_zh != unit.name_zh or name_en and name_en != unit.name_en:
            rename(uow, code=unit.code, name_zh=name_zh or None, name_en=name_en or None, actor=actor)
            changed = True
        if parent_code and parent_code != unit.parent_code:
            move(uow, code=unit.code, parent=parent_code, actor=actor)
            changed = True
    except (InvalidInput, Conflict) as e:
        problems = e.problems if isinstance(e, InvalidInput) else [Problem(str(e))]
        report.problems.extend(Problem(p.reason, field=p.field or "code", row=number) for p in problems)
        return False
    if changed:
        report.updated += 1
    else:
        report.unchanged += 1
    return changed


def open_grids(uow: UnitOfWork) -> dict[str, str]:
    """Code → path of every open grid (bulk enrolment assigns residents against this)."""
    return repository.open_grids(uow.db)
