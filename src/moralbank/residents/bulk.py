"""The first half of bulk enrolment, kept free of the database so it can run in worker processes:
validate each row, compute the keyed hashes and encrypt. The caller (``service.enrol_rows``) does
the second half in its own transaction: duplicates, rows already enrolled, households, ids, inserts.

On a 2-core machine one worker prepares the next batch while the main process inserts the current
one; that is what brings 600,000 residents under 30 s (docs/residents.md, "Bulk enrolment").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from moralbank.auth.domain import normalise_phone
from moralbank.errors import InvalidInput, Problem
from moralbank.kernel.keys import KeyRing
from moralbank.kernel.tabular import record
from moralbank.residents import domain, idnumber


@dataclass(frozen=True)
class Context:
    """Everything preparing a row needs, picklable (sent once to each worker)."""

    open_grids: frozenset[str]
    allowed_grids: frozenset[str]  # the open grids the principal may enrol into
    min_age: int
    guardian_below: int
    today: date
    version: str
    positions: tuple[str | None, ...] | None = None  # rows are cell lists in this column order


# (row number, name, grid, household number, id hash, encrypted id number, birth date, sex, encrypted phone,
#  phone hash, guardian name, encrypted guardian id number, guardian relation)
Prepared = tuple[
    int,
    str,
    str,
    str,
    bytes,
    bytes,
    date,
    str,
    bytes | None,
    bytes | None,
    str | None,
    bytes | None,
    str | None,
]
Crypto = tuple[Callable[[str], bytes], Callable[[str], bytes], Callable[[str], bytes]]


def crypto(keys: KeyRing) -> Crypto:
    """(ID-number hasher, phone hasher, encryptor): keys fetched once (creating them on first use)."""
    id_hasher, phone_hasher, n = keys.hasher("lookup"), keys.hasher("phone"), domain.HASH_BYTES
    return (lambda v: id_hasher(v)[:n]), (lambda v: phone_hasher(v)[:n]), keys.encryptor()


def prepare(
    batch: list[tuple[int, Any]], ctx: Context, tools: Crypto
) -> tuple[list[Prepared], list[Problem]]:
    """Validate, hash and encrypt a batch; every bad row gives one problem per bad field."""
    id_hasher, phone_hasher, encrypt = tools
    problems: list[Problem] = []
    out: list[Prepared] = []
    positions = ctx.positions
    for number, row in batch:
        if positions is not None:
            row = record(positions, row)  # cells to a record here, not in the main process
        n_before = len(problems)
        name = (row.get("name") or "").strip()
        try:
            parsed: idnumber.IdNumber | None = idnumber.parse(row.get("id_number") or "")
        except idnumber.BadIdNumber as e:
            problems.append(Problem(str(e), field="id_number", row=number))
            parsed = None
        grid = (row.get("grid") or "").strip()
        if grid not in ctx.open_grids:
            problems.append(
                Problem(f"no open grid {grid!r}" if grid else "a grid is required", field="grid", row=number)
            )
        elif grid not in ctx.allowed_grids:
            problems.append(
                Problem(f"grid {grid} is outside your organisation unit", field="grid", row=number)
            )
        phone = (row.get("phone") or "").strip() or None
        if phone:
            try:
                phone = normalise_phone(phone)
            except InvalidInput:
                problems.append(Problem("not a mainland mobile number", field="phone", row=number))
        guardian_name = (row.get("guardian_name") or "").strip()
        guardian_id = (row.get("guardian_id_number") or "").strip()
        if guardian_id:
            try:
                guardian_id = idnumber.parse(guardian_id).number
            except idnumber.BadIdNumber as e:
                problems.append(Problem(str(e), field="guardian_id_number", row=number))
        if parsed is not None:
            problems.extend(
                domain.check_enrolment(
                    name=name,
                    birth=parsed.birth,
                    today=ctx.today,
                    min_age=ctx.min_age,
                    consent_text_version=ctx.version,
                    guardian=domain.Guardian(guardian_name, guardian_id or None) if guardian_name else None,
                    guardian_below=ctx.guardian_below,
                    row=number,
                )
            )
        if len(problems) > n_before or parsed is None:
            continue
        out.append(
            (
                number,
                name,
                grid,
                (row.get("household") or "").strip(),
                id_hasher(parsed.number),
                encrypt(parsed.number),
                parsed.birth,
                parsed.sex,
                encrypt(phone) if phone else None,
                phone_hasher(phone) if phone else None,
                guardian_name or None,
                encrypt(guardian_id) if guardian_id else None,
                (row.get("guardian_relation") or "").strip()[:32] or None,
            )
        )
    return out, problems


# -- worker processes ------------------------------------------------------------------------------

_worker_tools: Crypto | None = None


def init_worker(keys_dir: str) -> None:
    """Runs once in each worker: the worker reads the same key files as the main process."""
    global _worker_tools
    _worker_tools = crypto(KeyRing(Path(keys_dir)))


def prepare_in_worker(batch: list[tuple[int, Any]], ctx: Context) -> tuple[list[Any], list[Problem]]:
    assert _worker_tools is not None, "init_worker did not run"
    return prepare(batch, ctx, _worker_tools)
