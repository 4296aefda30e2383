"""Residents use cases: enrol (one or a file), find, read (scope-checked and logged), households,
consent, corrections, export of everything held about a resident, withdrawal.

Services never commit; the caller's unit of work does. Reads of personal data go through
``auth.service.authorize`` (role and organisation subtree) and ``audit.service.log_read``.
"""

from __future__ import annotations

import builtins
import itertools
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from moralbank.auth.domain import Action, Principal, Role, Target, decide, normalise_phone
from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.kernel.clock import local_date
from moralbank.kernel.tabular import read_table
from moralbank.residents import bulk, domain, idnumber, repository
from moralbank.residents.models import CorrectionRequest, Household, Resident, ResidentConsent, ResidentEvent
from moralbank.residents.schemas import ConsentOut, CorrectionOut, ImportReport, ResidentOut, ResidentSummary

__all__ = [
    "get",
    "search",
    "list_ids",
    "grid_of",
    "household_members",
    "has_consent",
    "resolve_id_number",
    "resolve_id_numbers",
    "consented_residents",
    "grids_of",
    "find_by_phone",
    "phones_for_notice",
    "count_in",
    "counts_under",
    "counts",
    "enrol",
    "enrol_rows",
    "import_file",
    "move_grid",
    "create_household",
    "set_household",
    "consents",
    "consent_history",
    "grant_consent",
    "revoke_consent",
    "record_consents",
    "export",
    "request_correction",
    "decide_correction",
    "corrections",
    "withdraw",
    "history",
    "consent_catalogue",
    "IMPORT_ALIASES",
]

BATCH = 10_000


def _hash(uow: UnitOfWork, value: str, *, name: str = "lookup") -> bytes:
    """The keyed hash a resident is found by (``uow.keys.keyed_hash``), as ``HASH_BYTES`` raw bytes."""
    return bytes.fromhex(uow.keys.keyed_hash(value, name=name))[: domain.HASH_BYTES]


# -- facts other capabilities ask for (no personal data, no scope check) ----------------------------


def _row(uow: UnitOfWork, resident_id: str) -> Resident:
    r = repository.get(uow.db, resident_id)
    if r is None:
        raise NotFound(f"no resident {resident_id}")
    return r


def grid_of(uow: UnitOfWork, *, resident_id: str) -> str:
    """The grid code a resident belongs to (NotFound for an unknown id)."""
    return _row(uow, resident_id).grid_code


def household_members(uow: UnitOfWork, *, resident_id: str) -> set[str]:
    """Ids of the enrolled residents of the same household, the resident included ({id} alone when
    they belong to none)."""
    r = _row(uow, resident_id)
    if r.household_id is None:
        return {r.id}
    return repository.household_member_ids(uow.db, r.household_id) | {r.id}


def has_consent(
    uow: UnitOfWork, *, resident_id: str, interface: str | None = None, purpose: str | None = None
) -> bool:
    """Whether an enrolled resident's current consent covers the interface and/or purpose asked
    about. With neither: whether they are enrolled (enrolment is itself an opt-in)."""
    r = repository.get(uow.db, resident_id)
    if r is None or r.status != domain.ENROLLED:
        return False
    wanted = ([(domain.INTERFACE, interface)] if interface else []) + (
        [(domain.PURPOSE, purpose)] if purpose else []
    )
    if not wanted:
        return True
    records = [
        domain.ConsentRecord(c.kind, c.subject, c.granted, c.at, c.id)
        for c in repository.consents_for(uow.db, resident_id, wanted)
    ]
    return domain.consent_given(records, interface=interface, purpose=purpose)


def resolve_id_number(uow: UnitOfWork, *, id_number: str) -> str | None:
    """The resident id for a GB 11643 number (through the keyed hash), or None."""
    try:
        parsed = idnumber.parse(id_number)
    except idnumber.BadIdNumber:
        return None
    return repository.id_by_hash(uow.db, _hash(uow, parsed.number))


def resolve_id_numbers(uow: UnitOfWork, *, id_numbers: Sequence[str]) -> dict[str, str]:
    """Resident ids of many GB 11643 numbers at once (one query per batch, through the keyed hashes):
    ``{number: resident id}`` for the numbers that name a resident; the others are left out. Gives
    the same answers as ``resolve_id_number`` one by one."""
    by_hash: dict[bytes, list[str]] = {}
    for n in dict.fromkeys(id_numbers):
        try:
            parsed = idnumber.parse(n)
        except idnumber.BadIdNumber:
            continue
        by_hash.setdefault(_hash(uow, parsed.number), []).append(n)
    if not by_hash:
        return {}
    found = repository.ids_by_hashes(uow.db, builtins.list(by_hash))
    return {n: rid for h, rid in found.items() for n in by_hash.get(h, ())}


def consented_residents(uow: UnitOfWork, *, resident_ids: Sequence[str], interface: str) -> set[str]:
    """The residents among ``resident_ids`` whose current consent covers the data interface (one query
    per batch). Gives the same answers as ``has_consent(interface=...)`` one by one: enrolled residents
    only, the newest act per resident wins (a revocation after a grant means no)."""
    state: dict[str, tuple[tuple[Any, int], bool]] = {}
    for rid, granted, at, cid in repository.interface_consents(
        uow.db, builtins.list(resident_ids), domain.INTERFACE, interface
    ):
        order = (at, cid)
        if rid not in state or order >= state[rid][0]:
            state[rid] = (order, granted)
    return {rid for rid, (_, granted) in state.items() if granted}


def grids_of(uow: UnitOfWork, *, resident_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Grid code and the grid's path of many residents at once (unknown ids are left out)."""
    return repository.grids_and_paths(uow.db, builtins.list(resident_ids))


def find_by_phone(uow: UnitOfWork, *, phone: str) -> str | None:
    """The enrolled resident with this mobile number (through its keyed hash), or None."""
    try:
        phone = normalise_phone(phone)
    except InvalidInput:
        return None
    return repository.id_by_phone_hash(uow.db, _hash(uow, phone, name="phone"))


def counts_under(uow: UnitOfWork, *, path: str, paths: Iterable[str]) -> dict[str, int]:
    """Enrolled residents in each subtree of ``paths`` (all inside the subtree at ``path``), from one
    grouped query: the counts of a unit's children on the organisation page."""
    per_grid = repository.count_by_grid_path(uow.db, path)
    return {p: sum(n for g, n in per_grid.items() if g.startswith(p)) for p in paths}


def count_in(uow: UnitOfWork, *, path: str) -> int:
    """Enrolled residents in the subtree at ``path``."""
    return repository.count_in(uow.db, path)


def counts(uow: UnitOfWork) -> dict[str, int]:
    return repository.count_by_status(uow.db)


def list_ids(uow: UnitOfWork, *, limit: int | None = None, offset: int = 0) -> builtins.list[dict[str, Any]]:
    """Enrolled residents as ``{id, grid, enrolled_at}``: pseudonymous, never the ID number."""
    return [
        {"id": rid, "grid": grid, "enrolled_at": at}
        for rid, grid, at in repository.list_ids(uow.db, limit=limit, offset=offset)
    ]


# -- access checks --------------------------------------------------------------------------------


def _authorize(
    uow: UnitOfWork,
    principal: Principal,
    action: str,
    *,
    resident_id: str | None = None,
    unit_code: str | None = None,
    purpose: str | None = None,
) -> None:
    """Role and organisation subtree, through the auth capability's one rule book."""
    from moralbank.auth import service as auth

    auth.authorize(
        uow,
        principal,
        action,
        resident_id=resident_id,
        unit_code=unit_code,
        purpose=purpose if principal.is_partner else None,
    )


def _log(uow: UnitOfWork, principal: Principal, resident_id: str, what: str, why: str) -> None:
    from moralbank.audit import service as audit

    audit.log_read(uow, principal=principal, resident_id=resident_id, what=what, why=why)


def phones_for_notice(uow: UnitOfWork, *, resident_ids: Sequence[str]) -> dict[str, str]:
    """The mobile numbers of enrolled residents, to text them a notice (``notify.service.dispatch``).

    Each number read is written to the access log (the system, purpose "SMS notice"), so a resident
    sees on their page every time their number was used."""
    from moralbank.auth.domain import SYSTEM

    out = {}
    for rid, enc in repository.phones_enc(uow.db, builtins.list(resident_ids)).items():
        out[rid] = uow.keys.decrypt(enc)
        _log(uow, SYSTEM, rid, "resident.phone", "SMS notice")
    return out


def _scope_path(principal: Principal) -> str | None:
    """The subtree a staff principal may list; raise for those who list nobody."""
    if principal.role not in (
        Role.CITY_ADMIN,
        Role.TOWNSHIP_OFFICER,
        Role.VILLAGE_OFFICER,
        Role.GRID_WORKER,
        Role.AUDITOR,
    ):
        raise PermissionDenied("only staff search residents")
    if principal.unit_path is None:
        if principal.role in (Role.CITY_ADMIN, Role.AUDITOR):
            return None
        raise PermissionDenied("a scoped role without a unit sees no residents")
    return principal.unit_path


def _out(uow: UnitOfWork, r: Resident, path: str) -> ResidentOut:
    number = uow.keys.decrypt(r.id_number_enc) if r.id_number_enc else ""
    phone = uow.keys.decrypt(r.phone_enc) if r.phone_enc else None
    return ResidentOut(
        id=r.id,
        name=r.name,
        grid=r.grid_code,
        grid_path=path,
        household_id=r.household_id,
        birth_date=r.birth_date,
        sex=r.sex,
        id_number_masked=idnumber.mask(number) if number else "",
        phone_masked=(phone[:3] + "****" + phone[7:]) if phone else None,
        guardian_name=r.guardian_name,
        guardian_relation=r.guardian_relation,
        consent_text_version=r.consent_text_version,
        enrolled_at=r.enrolled_at,
        enrolled_by=r.enrolled_by,
        status=r.status,
        withdrawn_at=r.withdrawn_at,
    )


# -- reading personal data ----------------------------------------------------------------------


def get(uow: UnitOfWork, *, resident_id: str, principal: Principal, purpose: str) -> ResidentOut:
    """A resident's profile, if ``principal`` may read it; the read is written to the access log."""
    _authorize(uow, principal, "read", resident_id=resident_id, purpose=purpose)
    r = _row(uow, resident_id)
    _log(uow, principal, resident_id, "resident.profile", purpose)
    path = repository.grid_and_path(uow.db, resident_id)
    return _out(uow, r, path[1] if path else "")


def search(
    uow: UnitOfWork,
    *,
    principal: Principal,
    purpose: str,
    name: str | None = None,
    grid: str | None = None,
    id_number: str | None = None,
    status: str | None = domain.ENROLLED,
    limit: int = 50,
    offset: int = 0,
) -> builtins.list[ResidentSummary]:
    """Staff search within their subtree: by name (prefix), grid or any unit's subtree, or ID number
    (exact, through the keyed hash). Each resident shown is logged as read."""
    if limit < 1 or offset < 0:
        raise InvalidInput(
            Problem("limit is at least 1 and offset at least 0", field="limit" if limit < 1 else "offset")
        )
    within = _scope_path(principal)
    grid_path = None
    if grid:
        from moralbank.orgs import service as orgs

        grid_path = orgs.path_of(uow, code=grid)
    id_hash = None
    if id_number:
        try:
            id_hash = _hash(uow, idnumber.parse(id_number).number)
        except idnumber.BadIdNumber as e:
            raise InvalidInput(Problem(str(e), field="id_number")) from None
    rows = repository.search(
        uow.db,
        within=within,
        name=(name or "").strip() or None,
        grid_path=grid_path,
        id_hash=id_hash,
        status=status,
        limit=max(1, min(limit, 500)),
        offset=offset,
    )
    for r, _ in rows:
        _log(uow, principal, r.id, "resident.summary", purpose)
    return [
        ResidentSummary(
            r.id,
            r.name,
            r.grid_code,
            r.household_id,
            r.sex,
            r.birth_date.year if r.birth_date else None,
            r.status,
            r.enrolled_at,
        )
        for r, _ in rows
    ]


def history(
    uow: UnitOfWork, *, resident_id: str, principal: Principal, purpose: str = "staff view"
) -> builtins.list[ResidentEvent]:
    """What changed about a resident after enrolment (the read is logged)."""
    _authorize(uow, principal, "read", resident_id=resident_id)
    _log(uow, principal, resident_id, "resident.history", purpose)
    return repository.events(uow.db, resident_id)


# -- enrolment ----------------------------------------------------------------------------------


def _enrolment_rules(uow: UnitOfWork) -> tuple[int, int]:
    """(minimum age, guardian-consent age) from the active policy; the defaults when none is applied."""
    try:
        from moralbank.policy import service as policy

        rules = getattr(policy.active(uow), "enrolment", None)
    except (ImportError, NotFound):
        rules = None
    if rules is None:
        return domain.DEFAULT_MIN_AGE, domain.GUARDIAN_AGE
    return int(rules.min_age), int(getattr(rules, "guardian_consent_below", domain.GUARDIAN_AGE))


def enrol(
    uow: UnitOfWork,
    *,
    principal: Principal,
    name: str,
    id_number: str,
    grid: str,
    consent_text_version: str,
    phone: str | None = None,
    household: str | None = None,
    guardian: domain.Guardian | None = None,
    source: str = "form",
) -> str:
    """Enrol one resident who opted in (signed consent text ``consent_text_version``); returns the id.

    ``household`` is a household number (户号): joined when it exists, created in the grid otherwise.
    """
    row = {
        "name": name,
        "id_number": id_number,
        "grid": grid,
        "phone": phone or "",
        "household": household or "",
        "guardian_name": guardian.name if guardian else "",
        "guardian_id_number": (guardian.id_number or "") if guardian else "",
        "guardian_relation": guardian.relation if guardian else "",
    }
    report = enrol_rows(
        uow, rows=[(1, row)], principal=principal, consent_text_version=consent_text_version, source=source
    )
    if report.problems:
        raise InvalidInput([Problem(p.reason, field=p.field) for p in report.problems])
    if report.unchanged:
        raise Conflict("this ID number is already enrolled")
    rid = resolve_id_number(uow, id_number=id_number)
    assert rid is not None
    return rid


IMPORT_ALIASES = {
    "姓名": "name",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "id": "id_number",
    "网格": "grid",
    "网格代码": "grid",
    "grid_code": "grid",
    "户号": "household",
    "household_number": "household",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "监护人": "guardian_name",
    "监护人姓名": "guardian_name",
    "监护人身份证号": "guardian_id_number",
    "监护关系": "guardian_relation",
    "与监护人关系": "guardian_relation",
}


def import_file(
    uow: UnitOfWork,
    *,
    source: Path | bytes,
    principal: Principal,
    consent_text_version: str,
    filename: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Enrol residents from a CSV/XLSX file (see docs/residents.md for the columns).

    Every bad row is reported with row, field and reason; good rows are enrolled; importing the same
    file again changes nothing (rows are matched by the keyed hash of the ID number).
    """
    table = read_table(
        source, filename=filename, aliases=IMPORT_ALIASES, required=("name", "id_number", "grid"), cells=True
    )
    return enrol_rows(
        uow,
        rows=table.rows,
        positions=table.positions,
        principal=principal,
        consent_text_version=consent_text_version,
        source=f"import:{table.name}"[:200],
        file=table.name,
        progress=progress,
    )


def enrol_rows(
    uow: UnitOfWork,
    *,
    rows: Iterable[tuple[int, Any]],
    principal: Principal,
    consent_text_version: str,
    source: str = "import",
    file: str = "rows",
    progress: Callable[[int], None] | None = None,
    rng: Any = None,
    workers: int | None = None,
    positions: Sequence[str | None] | None = None,
) -> ImportReport:
    """The bulk enrolment path (files, the form, the demo city): validation, keyed hash, encryption,
    grid and household assignment, then bulk inserts in batches of 10,000.

    ``rows`` are (row number, {column: text}); or, with ``positions`` (the file's column order, as
    ``read_table(..., cells=True)`` gives), (row number, [text, …]).

    With more than one batch, ``workers`` processes (default: one per spare core, at least one)
    prepare batches while this process writes; ``workers=0`` does everything in this process.
    """
    from moralbank.orgs import service as orgs

    started = time.perf_counter()
    report = ImportReport(file=file)
    if not (consent_text_version or "").strip():
        raise InvalidInput(
            Problem(
                "enrolment is opt-in: name the consent text version the residents signed",
                field="consent_text_version",
            )
        )
    min_age, guardian_below = _enrolment_rules(uow)
    now = uow.clock.now()
    grids = orgs.open_grids(uow)
    # The auth rule book on each grid's path (known already): no query per grid.
    allowed = frozenset(
        g for g, path in grids.items() if decide(principal, Action.WRITE, Target(kind="unit", unit_path=path))
    )
    ctx = bulk.Context(
        open_grids=frozenset(grids),
        allowed_grids=allowed,
        min_age=min_age,
        guardian_below=guardian_below,
        today=local_date(now),
        version=consent_text_version.strip(),
        positions=tuple(positions) if positions is not None else None,
    )
    tools = bulk.crypto(uow.keys)  # creates missing keys here, before any worker reads the key files
    repository.prepare_bulk(uow.db)
    seen: dict[bytes, int] = {}
    # A first import into an empty table needs no look-ups: every earlier row of the file is in ``seen``.
    look_up = repository.any_resident(uow.db)
    batches = _batches(rows, BATCH)
    if workers is None:
        workers = min(2, max(1, (os.cpu_count() or 1) - 1))

    def store(prepared: builtins.list[bulk.Prepared], problems: builtins.list[Problem]) -> None:
        report.problems.extend(problems)
        _store_batch(
            uow,
            prepared,
            report=report,
            seen=seen,
            now=now,
            version=ctx.version,
            actor=principal.actor,
            source=source,
            rng=rng,
            look_up=look_up,
        )
        if progress:
            progress(len(prepared) + len({p.row for p in problems}))

    if workers > 0 and len(batches) > 1:
        # Workers validate, hash and encrypt the next batches while this process inserts.
        context = multiprocessing.get_context(
            "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        )
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=bulk.init_worker,
            initargs=(str(uow.keys.dir),),
        ) as pool:
            for prepared, problems in pool.map(bulk.prepare_in_worker, batches, itertools.repeat(ctx)):
                store(prepared, problems)
    else:
        for batch in batches:
            store(*bulk.prepare(batch, ctx, tools))
    report.problems.sort(key=lambda p: (p.row or 0, p.field or ""))
    report.seconds = time.perf_counter() - started
    return report


def _batches(rows: Iterable[tuple[int, Any]], size: int) -> builtins.list[builtins.list[tuple[int, Any]]]:
    out: builtins.list[builtins.list[tuple[int, Any]]] = []
    it = iter(rows)
    while chunk := builtins.list(itertools.islice(it, size)):
        out.append(chunk)
    return out


def _store_batch(
    uow: UnitOfWork,
    prepared: builtins.list[bulk.Prepared],
    *,
    report: ImportReport,
    seen: dict[bytes, int],
    now: Any,
    version: str,
    actor: str,
    source: str,
    rng: Any,
    look_up: bool = True,
) -> None:
    """Duplicates in the file, rows already enrolled, households, pseudonymous ids, then one insert."""
    problems = report.problems
    good = []
    for p in prepared:
        first = seen.get(p[4])
        if first is not None:
            problems.append(Problem(f"the same ID number as row {first}", field="id_number", row=p[0]))
            continue
        seen[p[4]] = p[0]
        good.append(p)
    if not good:
        return
    existing = repository.existing_hashes(uow.db, [p[4] for p in good]) if look_up else {}
    fresh = []
    for p in good:
        hit = existing.get(p[4])
        if hit is None:
            fresh.append(p)
        elif hit[1] == domain.WITHDRAWN:
            problems.append(
                Problem(
                    f"this person withdrew ({hit[0]}); re-enrolment needs a new opt-in",
                    field="id_number",
                    row=p[0],
                )
            )
        else:
            report.unchanged += 1
    if not fresh:
        return
    households = _households_for(uow, fresh, report=report, now=now, rng=rng)
    ids = domain.pseudonyms(len(fresh), rng=rng)
    rows: builtins.list[tuple[Any, ...]] = []
    for rid, (
        number,
        name,
        grid,
        household,
        id_hash,
        id_enc,
        birth,
        sex,
        phone_enc,
        phone_hash,
        g_name,
        g_enc,
        g_rel,
    ) in zip(ids, fresh, strict=True):
        hid = None
        if household:
            hid, hgrid = households[household]
            if hgrid != grid:
                problems.append(
                    Problem(
                        f"household {household} is in grid {hgrid}, not {grid}", field="household", row=number
                    )
                )
                continue
        rows.append(
            (
                rid,
                grid,
                hid,
                name,
                id_enc,
                id_hash,
                birth,
                sex,
                phone_enc,
                phone_hash,
                g_name,
                g_enc,
                g_rel,
                version[:32],
                now,
                actor,
                source,
                domain.ENROLLED,
            )
        )
    rows.sort()  # by id: the primary-key index is filled in order within the batch
    repository.insert_residents(uow.db, RESIDENT_COLUMNS, rows)
    report.enrolled += len(rows)


RESIDENT_COLUMNS = (
    "id",
    "grid_code",
    "household_id",
    "name",
    "id_number_enc",
    "id_hash",
    "birth_date",
    "sex",
    "phone_enc",
    "phone_hash",
    "guardian_name",
    "guardian_id_enc",
    "guardian_relation",
    "consent_text_version",
    "enrolled_at",
    "enrolled_by",
    "source",
    "status",
)


def _households_for(
    uow: UnitOfWork, fresh: builtins.list[Any], *, report: ImportReport, now: Any, rng: Any
) -> dict[str, tuple[str, str]]:
    """household number → (id, grid) for every number in the batch; new ones are created in the grid of
    their first member."""
    wanted: dict[str, str] = {}
    for p in fresh:
        number, grid = p[3], p[2]
        if number and number not in wanted:
            wanted[number] = grid
    if not wanted:
        return {}
    known = repository.households_by_number(uow.db, builtins.list(wanted))
    missing = [n for n in wanted if n not in known]
    new_ids = domain.pseudonyms(len(missing), prefix="H", rng=rng)
    rows = [(hid, n[:64], wanted[n], now) for hid, n in zip(new_ids, missing, strict=True)]
    repository.insert_rows(uow.db, Household.__table__, ("id", "number", "grid_code", "created_at"), rows)
    report.households_created += len(rows)
    known.update({number: (hid, grid) for hid, number, grid, _ in rows})
    return known


# -- changes after enrolment ----------------------------------------------------------------------


def _event(
    uow: UnitOfWork, resident_id: str, kind: str, old: str | None, new: str | None, actor: str
) -> None:
    uow.db.add(
        ResidentEvent(
            resident_id=resident_id, kind=kind, old_value=old, new_value=new, actor=actor, at=uow.clock.now()
        )
    )


def _enrolled(uow: UnitOfWork, resident_id: str) -> Resident:
    r = _row(uow, resident_id)
    if r.status != domain.ENROLLED:
        raise Conflict(f"resident {resident_id} has withdrawn")
    return r


def move_grid(uow: UnitOfWork, *, resident_id: str, grid: str, principal: Principal) -> None:
    """Move a resident to another grid (both must lie in the principal's subtree). The household
    link is dropped when the household lives in another grid."""
    from moralbank.orgs import service as orgs

    _authorize(uow, principal, "write", resident_id=resident_id)
    target = orgs.get(uow, code=grid)
    if target.level != "grid" or target.closed_at is not None:
        raise InvalidInput(Problem(f"{grid} is not an open grid", field="grid"))
    _authorize(uow, principal, "write", unit_code=grid)
    r = _enrolled(uow, resident_id)
    if r.grid_code == grid:
        return
    _event(uow, r.id, "move_grid", r.grid_code, grid, principal.actor)
    r.grid_code = grid
    if r.household_id:
        h = repository.household(uow.db, r.household_id)
        if h is not None and h.grid_code != grid:
            _event(uow, r.id, "household", r.household_id, None, principal.actor)
            r.household_id = None
    uow.flush()


def create_household(uow: UnitOfWork, *, grid: str, principal: Principal, number: str | None = None) -> str:
    """A new household in a grid; returns its id."""
    _authorize(uow, principal, "write", unit_code=grid)
    if number and repository.households_by_number(uow.db, [number]):
        raise Conflict(f"household number {number} exists")
    hid = domain.pseudonyms(1, prefix="H")[0]
    repository.add(uow.db, Household(id=hid, number=number, grid_code=grid, created_at=uow.clock.now()))
    return hid


def set_household(
    uow: UnitOfWork, *, resident_id: str, household_id: str | None, principal: Principal
) -> None:
    """Put a resident into a household of their grid (None: out of any household)."""
    _authorize(uow, principal, "write", resident_id=resident_id)
    r = _enrolled(uow, resident_id)
    if household_id is not None:
        h = repository.household(uow.db, household_id)
        if h is None:
            raise NotFound(f"no household {household_id}")
        if h.grid_code != r.grid_code:
            raise InvalidInput(
                Problem(
                    f"household {household_id} is in grid {h.grid_code}, the resident in {r.grid_code}",
                    field="household_id",
                )
            )
    if r.household_id == household_id:
        return
    _event(uow, r.id, "household", r.household_id, household_id, principal.actor)
    r.household_id = household_id
    uow.flush()


# -- consent -------------------------------------------------------------------------------------


def consent_catalogue() -> dict[str, dict[str, tuple[str, str]]]:
    """What a resident can consent to: the installed data interfaces (feeds) and the purposes."""
    interfaces = dict(domain.DEFAULT_INTERFACES)
    try:
        from moralbank.feeds import source as feeds

        installed = feeds.load_interfaces()
        if installed:
            interfaces = {
                code: (getattr(i, "name_zh", code), getattr(i, "name_en", code))
                for code, i in installed.items()
            }
    except Exception:  # noqa: BLE001 - no feeds installed (yet): the default list
        pass
    return {domain.INTERFACE: interfaces, domain.PURPOSE: dict(domain.PURPOSES)}


def _consent_outs(uow: UnitOfWork, resident_id: str) -> builtins.list[ConsentOut]:
    return [
        ConsentOut(c.kind, c.subject, c.granted, c.text_version, c.actor, c.at, c.note)
        for c in repository.consents(uow.db, resident_id)
    ]


def consent_history(
    uow: UnitOfWork, *, resident_id: str, principal: Principal, purpose: str = "consent review"
) -> builtins.list[ConsentOut]:
    """Every consent act of a resident, oldest first (the read is logged)."""
    _authorize(uow, principal, "read", resident_id=resident_id)
    _log(uow, principal, resident_id, "resident.consents", purpose)
    return _consent_outs(uow, resident_id)


def consents(
    uow: UnitOfWork, *, resident_id: str, principal: Principal, purpose: str = "consent review"
) -> dict[tuple[str, str], bool]:
    """The current state: (kind, subject) → granted, for every subject ever decided."""
    history = consent_history(uow, resident_id=resident_id, principal=principal, purpose=purpose)
    return domain.current_consents(
        [domain.ConsentRecord(c.kind, c.subject, c.granted, c.at, i) for i, c in enumerate(history)]
    )


def _consent(
    uow: UnitOfWork,
    *,
    resident_id: str,
    principal: Principal,
    interface: str | None,
    purpose: str | None,
    granted: bool,
    text_version: str,
    note: str,
) -> None:
    if (interface is None) == (purpose is None):
        raise InvalidInput(Problem("name exactly one interface or one purpose", field="interface"))
    kind, subject = (domain.INTERFACE, interface) if interface else (domain.PURPOSE, purpose)
    domain.check_subject(kind, subject or "")
    if granted and not (text_version or "").strip():
        raise InvalidInput(Problem("a grant names the consent text version shown", field="text_version"))
    _authorize(uow, principal, "write", resident_id=resident_id)
    _enrolled(uow, resident_id)
    uow.db.add(
        ResidentConsent(
            resident_id=resident_id,
            kind=kind,
            subject=subject,
            granted=granted,
            text_version=(text_version or "-")[:32],
            actor=principal.actor,
            at=uow.clock.now(),
            note=note[:200],
        )
    )
    uow.flush()


def grant_consent(
    uow: UnitOfWork,
    *,
    resident_id: str,
    principal: Principal,
    text_version: str,
    interface: str | None = None,
    purpose: str | None = None,
    note: str = "",
) -> None:
    """Record that the resident consents to one data interface or one purpose (a new record)."""
    _consent(
        uow,
        resident_id=resident_id,
        principal=principal,
        interface=interface,
        purpose=purpose,
        granted=True,
        text_version=text_version,
        note=note,
    )


def revoke_consent(
    uow: UnitOfWork,
    *,
    resident_id: str,
    principal: Principal,
    interface: str | None = None,
    purpose: str | None = None,
    note: str = "",
) -> None:
    """Record that the resident withdraws a consent (a new record; the grant stays in the history)."""
    _consent(
        uow,
        resident_id=resident_id,
        principal=principal,
        interface=interface,
        purpose=purpose,
        granted=False,
        text_version="-",
        note=note,
    )


CONSENT_COLUMNS = ("resident_id", "kind", "subject", "granted", "text_version", "actor", "at", "note")


def record_consents(
    uow: UnitOfWork,
    *,
    records: Iterable[tuple[str, str, str, bool]],
    text_version: str,
    actor: str,
    note: str = "",
) -> int:
    """Bulk-record signed consent forms (resident id, kind, subject, granted): the demo city and paper
    forms scanned in bulk. Returns how many records were appended."""
    now = uow.clock.now()
    version, note = text_version[:32], note[:200]
    rows = []
    checked: set[tuple[str, str]] = set()
    for rid, kind, subject, granted in records:
        if (kind, subject) not in checked:
            domain.check_subject(kind, subject)
            checked.add((kind, subject))
        rows.append((rid, kind, subject, granted, version, actor, now, note))
    for i in range(0, len(rows), BATCH * 5):
        repository.insert_rows(uow.db, ResidentConsent.__table__, CONSENT_COLUMNS, rows[i : i + BATCH * 5])
    return len(rows)


# -- corrections ----------------------------------------------------------------------------------


def _correction_out(c: CorrectionRequest) -> CorrectionOut:
    return CorrectionOut(
        c.id,
        c.resident_id,
        c.field,
        c.requested_value,
        c.reason,
        c.status,
        c.created_at,
        c.created_by,
        c.decided_at,
        c.decided_by,
        c.decision_note,
    )


def request_correction(
    uow: UnitOfWork, *, resident_id: str, principal: Principal, field: str, value: str, reason: str = ""
) -> CorrectionOut:
    """A resident (or staff on their behalf) asks to correct data held about them."""
    domain.check_correction(field, value, reason)
    _authorize(uow, principal, "write", resident_id=resident_id)
    _enrolled(uow, resident_id)
    c = CorrectionRequest(
        resident_id=resident_id,
        field=field,
        requested_value=value.strip(),
        reason=(reason or "").strip(),
        status=domain.OPEN,
        created_at=uow.clock.now(),
        created_by=principal.actor,
    )
    repository.add(uow.db, c)
    return _correction_out(c)


def decide_correction(
    uow: UnitOfWork, *, request_id: int, principal: Principal, accept: bool, note: str = ""
) -> CorrectionOut:
    """Staff accept or reject a correction. An accepted name or phone is applied at once; an accepted
    household number moves the resident into that household."""
    c = repository.correction(uow.db, request_id)
    if c is None:
        raise NotFound(f"no correction request {request_id}")
    if not principal.is_staff:
        raise PermissionDenied("staff decide correction requests")
    _authorize(uow, principal, "write", resident_id=c.resident_id)
    c.status = domain.decide_correction(c.status, accept=accept)
    c.decided_at, c.decided_by, c.decision_note = uow.clock.now(), principal.actor, (note or "").strip()
    if accept:
        r = _enrolled(uow, c.resident_id)
        if c.field == "name":
            if not c.requested_value or len(c.requested_value) > domain.NAME_MAX:
                raise InvalidInput(Problem("not a usable name", field="value"))
            _event(uow, r.id, "correction:name", r.name, c.requested_value, principal.actor)
            r.name = c.requested_value
        elif c.field == "phone":
            phone = normalise_phone(c.requested_value)
            _event(uow, r.id, "correction:phone", None, "(changed)", principal.actor)
            r.phone_enc = uow.keys.encrypt(phone)
            r.phone_hash = _hash(uow, phone, name="phone")
        elif c.field == "household":
            found = repository.households_by_number(uow.db, [c.requested_value])
            if not found:
                raise InvalidInput(Problem(f"no household {c.requested_value}", field="value"))
            set_household(
                uow, resident_id=r.id, household_id=found[c.requested_value][0], principal=principal
            )
    uow.flush()
    return _correction_out(c)


def corrections(
    uow: UnitOfWork, *, principal: Principal, resident_id: str | None = None, status: str | None = None
) -> builtins.list[CorrectionOut]:
    """Correction requests: a resident's own, or those in a staff member's subtree (reads logged)."""
    if resident_id is not None:
        _authorize(uow, principal, "read", resident_id=resident_id)
        rows = repository.corrections(uow.db, resident_id=resident_id, status=status)
    else:
        rows = repository.corrections(uow.db, status=status, within=_scope_path(principal))
    for rid in sorted({c.resident_id for c in rows}):
        _log(uow, principal, rid, "resident.corrections", "correction requests")
    return [_correction_out(c) for c in rows]


# -- export and withdrawal ------------------------------------------------------------------------


def export(
    uow: UnitOfWork, *, resident_id: str, principal: Principal, purpose: str = "data access request"
) -> dict[str, Any]:
    """Everything moralbank holds about a resident, as JSON-ready data (PIPL Art. 45).

    Other capabilities' data is included through their services when they are installed.
    """
    _authorize(uow, principal, "read", resident_id=resident_id)
    r = _row(uow, resident_id)
    _log(uow, principal, resident_id, "resident.export", purpose)
    path = repository.grid_and_path(uow.db, resident_id)
    profile = _out(uow, r, path[1] if path else "").as_dict()
    profile["id_number"] = uow.keys.decrypt(r.id_number_enc) if r.id_number_enc else None
    profile["phone"] = uow.keys.decrypt(r.phone_enc) if r.phone_enc else None
    profile.pop("phone_masked")
    data: dict[str, Any] = {
        "format": "moralbank.resident-export/1",
        "generated_at": uow.clock.now(),
        "resident_id": r.id,
        "profile": profile,
        "household": {
            "id": r.household_id,
            "members": sorted(household_members(uow, resident_id=r.id)) if r.household_id else [],
        },
        "consents": [c.__dict__ for c in _consent_outs(uow, r.id)],
        "corrections": [c.__dict__ for c in repository_corrections(uow, r.id)],
        "history": [
            {"kind": e.kind, "old": e.old_value, "new": e.new_value, "actor": e.actor, "at": e.at}
            for e in repository.events(uow.db, r.id)
        ],
    }
    data.update(_other_capabilities(uow, r.id))
    return data


def repository_corrections(uow: UnitOfWork, resident_id: str) -> builtins.list[CorrectionOut]:
    return [_correction_out(c) for c in repository.corrections(uow.db, resident_id=resident_id, limit=10_000)]


def _plain(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if hasattr(obj, "__table__"):
        return {c.name: getattr(obj, c.key, None) for c in obj.__table__.columns}
    return obj


def _other_capabilities(uow: UnitOfWork, resident_id: str) -> dict[str, Any]:
    """What other capabilities hold about the resident, each through its own service (when present)."""
    import importlib

    sources = {
        "access_log": ("moralbank.audit.service", "list_for_resident", {"limit": 100_000}),
        "ledger": ("moralbank.ledger.service", "entries_of", {}),
        "inbox": ("moralbank.notify.service", "inbox", {"limit": 100_000}),
        "evaluations": ("moralbank.evaluation.service", "export_of", {}),
        "feeds": ("moralbank.feeds.service", "export_of", {}),
        "scores": ("moralbank.scoring.service", "export_of", {}),
        "greencodes": ("moralbank.greencode.service", "export_of", {}),
    }
    out: dict[str, Any] = {}
    for key, (module_name, func, kwargs) in sources.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        fn = getattr(module, func, None)
        if fn is None:
            continue
        result = fn(uow, resident_id=resident_id, **kwargs)
        out[key] = (
            [_plain(x) for x in result] if isinstance(result, (builtins.list, tuple)) else _plain(result)
        )
    return out


WITHDRAWN_NAME = "（已退出）"


def withdraw(uow: UnitOfWork, *, resident_id: str, principal: Principal, reason: str = "") -> None:
    """The resident leaves the moral bank: every consent is revoked (new records), the name, ID number,
    phone, birth date and guardian are erased. The keyed hash stays, so the same person is not
    re-enrolled from an old file without a new opt-in; ledger entries keep only the pseudonymous id.
    """
    _authorize(uow, principal, "write", resident_id=resident_id)
    r = _enrolled(uow, resident_id)
    now = uow.clock.now()
    state = domain.current_consents(
        [
            domain.ConsentRecord(c.kind, c.subject, c.granted, c.at, c.id)
            for c in repository.consents(uow.db, resident_id)
        ]
    )
    for (kind, subject), granted in sorted(state.items()):
        if granted:
            uow.db.add(
                ResidentConsent(
                    resident_id=r.id,
                    kind=kind,
                    subject=subject,
                    granted=False,
                    text_version="-",
                    actor=principal.actor,
                    at=now,
                    note="withdrawal",
                )
            )
    _event(uow, r.id, "withdraw", domain.ENROLLED, domain.WITHDRAWN, principal.actor)
    if reason:
        _event(uow, r.id, "withdraw_reason", None, reason[:200], principal.actor)
    r.status, r.withdrawn_at = domain.WITHDRAWN, now
    r.name, r.id_number_enc, r.phone_enc, r.phone_hash = WITHDRAWN_NAME, None, None, None
    r.birth_date = r.sex = None
    r.guardian_name = r.guardian_id_enc = r.guardian_relation = None
    r.household_id = None
    uow.flush()
