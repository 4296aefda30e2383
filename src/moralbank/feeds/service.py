"""Use cases of the data interfaces. Services never commit: :mod:`moralbank.feeds.importer` (and the CLI,
web routes and demo step) own the transactions, one per batch.

Exactly once: a record is (interface, source record id), unique in ``feed_record``. A batch of rows is
classified against what is stored — new, duplicate (same content hash), correction (same id, new
content) — and everything it causes (records, quarantine rows, evaluation proposals, ledger entries with
their Merkle nodes, the import's progress row, health figures) is written in the caller's one
transaction, so a batch is either wholly in or not at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from itertools import islice
from typing import Any

from moralbank.errors import Conflict, InvalidInput, NotFound, Problem
from moralbank.feeds import bodies, domain, repository, source
from moralbank.feeds.domain import Counts, Interface, RawRow, Record, RowProblem
from moralbank.feeds.models import FeedCursor, FeedHealthDay, FeedImport, FeedPush, FeedRecord
from moralbank.kernel.clock import local_date
from moralbank.kernel.signatures import signature_ok

# -- the catalogue of interfaces ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Interface]:
    """The 18 shipped interfaces (and any a city adds to ``feeds/interfaces/``), checked on load."""
    return source.load_interfaces()


def list_interfaces() -> list[Interface]:
    return list(catalogue().values())


def get_interface(name: str) -> Interface:
    try:
        return catalogue()[name]
    except KeyError:
        raise NotFound(f"no data interface {name!r}") from None


def check_catalogue(uow: Any) -> list[Problem]:
    """Rules naming indicators the active policy lacks (shown by ``feeds list`` and tested)."""
    view = _policy(uow)
    return [p for iface in list_interfaces() for p in domain.check_against_policy(iface, view.indicators)]


# -- what other capabilities tell us ----------------------------------------------------------------


@dataclass(frozen=True)
class PolicyView:
    version: str
    indicators: dict[str, Any]
    caps: dict[str, tuple[int, int]]  # signed (min, max) points per deed
    aspects: dict[str, str]


def _policy(uow: Any) -> PolicyView:
    from moralbank.policy import service as policy_service

    pol = policy_service.active(uow)
    key = f"feeds:policy:{pol.version}"
    view = uow.deps.cache.get(key)
    if view is None:
        caps, aspects = {}, {}
        for code, ind in pol.indicators.items():
            lo, hi = int(ind.min_points), int(ind.max_points)
            caps[code] = (min(lo, hi), max(lo, hi))
            aspects[code] = str(ind.aspect)
        view = PolicyView(str(pol.version), dict(pol.indicators), caps, aspects)
        uow.deps.cache[key] = view
    return view


MEMO_LIMIT = 1_000_000  # entries an import remembers (ID number -> resident, resident -> consent)


def _memo(memo: dict[str, Any] | None, kind: str) -> dict[Any, Any]:
    if memo is None:
        return {}
    table = memo.setdefault(kind, {})
    if len(table) > MEMO_LIMIT:
        table.clear()
    return table


def _resolve(
    uow: Any, id_numbers: Iterable[str], memo: dict[str, Any] | None = None
) -> dict[str, str | None]:
    """Resident ids of GB 11643 numbers (None: not a resident of the city). ``memo`` remembers them for
    the rest of one import (a year of records names each resident about a dozen times)."""
    from moralbank.residents import service as residents

    known = _memo(memo, "resident")
    # A found resident id never changes for a number (the keyed hash outlives even withdrawal), so hits
    # are also remembered for the process; misses only for this import (the person may enrol).
    lasting = uow.deps.cache.setdefault("feeds:resident-ids", {})
    if len(lasting) > MEMO_LIMIT:
        lasting.clear()
    wanted = []
    for n in dict.fromkeys(id_numbers):
        if n in known:
            continue
        if n in lasting:
            known[n] = lasting[n]
        else:
            wanted.append(n)
    bulk = getattr(residents, "resolve_id_numbers", None)
    if bulk is not None and wanted:
        found = bulk(uow, id_numbers=wanted)
        fresh = {n: found.get(n) for n in wanted}
    else:
        fresh = {n: residents.resolve_id_number(uow, id_number=n) for n in wanted}
    known.update(fresh)
    lasting.update({n: r for n, r in fresh.items() if r is not None})
    return known


def _consents(
    uow: Any, iface: Interface, resident_ids: Iterable[str], memo: dict[str, Any] | None = None
) -> dict[str, bool]:
    """Whether each resident's current consent covers the interface. Within one import the answer is
    remembered: a consent revoked while an import runs applies from the next import on."""
    ids = list(dict.fromkeys(resident_ids))
    if not iface.consent_required:
        return dict.fromkeys(ids, True)
    from moralbank.residents import service as residents

    known = _memo(memo, f"consent:{iface.name}")
    wanted = [r for r in ids if r not in known]
    bulk = getattr(residents, "consented_residents", None)
    if bulk is not None and wanted:
        yes = set(bulk(uow, resident_ids=wanted, interface=iface.name))
        known.update({r: r in yes for r in wanted})
    else:
        known.update(
            {r: bool(residents.has_consent(uow, resident_id=r, interface=iface.name)) for r in wanted}
        )
    return known


def source_ref(iface: str, source_record_id: str, version: int) -> str:
    """How ledger entries and evaluation items name the record they came from."""
    return f"feeds:{iface}:{source_record_id}:v{version}"


class _Proposals:
    """Records waiting for big-data evaluation, handed over together (``propose_from_records``) when
    the part of the batch is done — or earlier, before a correction undoes an older version, so every
    record sees exactly what it would have seen one by one. ``then(effect)`` stores what each made."""

    def __init__(self, uow: Any, iface: Interface, import_id: int) -> None:
        self.uow, self.iface, self.import_id = uow, iface, import_id
        self.pending: list[tuple[dict[str, Any], Any]] = []

    def add(
        self,
        *,
        resident_id: str,
        indicator: str,
        points: int,
        deed_date: date,
        ref: str,
        then: Any,
        import_id: int | None = None,
    ) -> None:
        self.pending.append(
            (
                {
                    "resident_id": resident_id,
                    "indicator": indicator,
                    "points": points,
                    "deed_date": deed_date,
                    "source_ref": ref,
                    "interface": self.iface.name,
                    "evidence": (f"feed-import:{import_id or self.import_id}", ref),
                },
                then,
            )
        )

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        effects = _propose_many(self.uow, self.iface, [r for r, _ in pending])
        for (_, then), effect in zip(pending, effects, strict=True):
            then(effect)


def _propose_many(uow: Any, iface: Interface, records: list[dict[str, Any]]) -> list[str | None]:
    """Hand mapped records to big-data evaluation in one go; short references to what each made."""
    from moralbank.evaluation import service as evaluation

    bulk = getattr(evaluation, "propose_from_records", None)
    if bulk is None:
        return [
            _effect_ref(evaluation.propose_from_record(uow, **{**r, "evidence": list(r["evidence"])}))
            for r in records
        ]
    return [_effect_ref(o) for o in bulk(uow, records=records)]


def _effect_ref(result: Any) -> str | None:
    if result is None:
        return None
    if isinstance(result, (str, int)):
        return str(result)[:128]
    for attr, prefix in (("seq", "ledger:"), ("id", "evaluation:")):
        value = getattr(result, attr, None)
        if value is not None:
            return f"{prefix}{value}"
    return type(result).__name__[:128]


def _undo(uow: Any, iface: Interface, old: FeedRecord, *, actor: str, reason: str) -> None:
    """Reverse what an earlier version of a record caused, through the ledger's correction path: each
    ledger entry it led to gets a reversing entry (``source="correction"``, ``reverses_seq``).

    When evaluation offers ``withdraw_from_record`` it is asked instead (it also withdraws an item still
    under review and marks its own row reversed)."""
    from moralbank.evaluation import service as evaluation

    ref = source_ref(iface.name, old.source_record_id, old.version)
    withdraw = getattr(evaluation, "withdraw_from_record", None)
    if withdraw is not None:
        withdraw(uow, interface=iface.name, source_ref=ref, actor=actor, reason=reason)
        return
    if not old.effect or not old.effect.startswith("evaluation:"):
        return
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    entries = ledger.entries_of(uow, resident_id=old.resident_id)
    done = {e.reverses_seq for e in entries if e.reverses_seq}
    rev = [
        NewEntry(
            resident_id=e.resident_id,
            indicator=e.indicator,
            aspect=e.aspect,
            points=-e.points,
            deed_date=e.deed_date,
            source="correction",
            actor=actor,
            policy_version=e.policy_version,
            reason=reason,
            source_ref=ref,
            evidence=(ref, f"ledger:{e.seq}"),
            reverses_seq=e.seq,
            severity=e.severity,
            expires_on=e.expires_on,
        )
        for e in entries
        if e.source_ref == old.effect and e.reverses_seq is None and e.seq not in done
    ]
    if rev:
        ledger.post(uow, rev)


# -- imports -----------------------------------------------------------------------------------------


def begin_import(
    uow: Any, *, interface: str, transport: str, file_name: str, file_sha256: str, actor: str
) -> FeedImport:
    """The progress row of an arrival; an unfinished import of the same content is resumed."""
    get_interface(interface)
    run = repository.running_import(uow.db, interface, file_sha256)
    if run is not None:
        return run
    run = FeedImport(
        interface=interface,
        transport=transport,
        file_name=file_name[:255],
        file_sha256=file_sha256,
        status="running",
        rows_done=0,
        received=0,
        accepted=0,
        duplicates=0,
        quarantined=0,
        held_for_consent=0,
        corrections=0,
        actor=actor,
        started_at=uow.clock.now(),
    )
    repository.add(uow.db, run)
    uow.flush()
    return run


def finish_import(uow: Any, *, import_id: int) -> FeedImport:
    run = repository.get_import(uow.db, import_id)
    if run is None:
        raise NotFound(f"no import {import_id}")
    run.status = "done"
    run.finished_at = uow.clock.now()
    return run


def fail_import(uow: Any, *, import_id: int, error: str = "") -> FeedImport | None:
    """Mark an import that stopped on an error as ``failed`` (not left ``running``), keeping why (the
    error's first 500 characters, for staff): its committed batches stay in; the same content
    arriving again is a new import, its rows duplicates."""
    run = repository.get_import(uow.db, import_id)
    if run is not None and run.status == "running":
        run.status = "failed"
        run.finished_at = uow.clock.now()
        run.error = error[:500] or None
    return run


def import_counts(run: FeedImport) -> Counts:
    return Counts(
        run.received, run.accepted, run.duplicates, run.quarantined, run.held_for_consent, run.corrections
    )


Checked = Record | RowProblem  # what ``domain.validate`` made of a raw row


def import_batch(
    uow: Any,
    *,
    import_id: int,
    rows: list[RawRow],
    memo: dict[str, Any] | None = None,
    checked: Sequence[Checked] | None = None,
    checked_on: date | None = None,
) -> Counts:
    """Take one batch of raw rows of an import: validate, resolve, dedupe, map, hand to evaluation,
    quarantine what is bad, and advance the import's progress row, all in the caller's transaction.

    ``checked`` (one per row, what ``domain.validate`` made of it on ``checked_on``) lets the importer
    validate the next batch while this one is written; rows are validated again here if the local day
    has changed since."""
    run = repository.get_import(uow.db, import_id)
    if run is None:
        raise NotFound(f"no import {import_id}")
    iface = get_interface(run.interface)
    now = uow.clock.now()  # the batch's arrival: its health day and its quarantine rows' time agree
    if checked is not None and (len(checked) != len(rows) or checked_on != local_date(now)):
        checked = None
    counts = Counts()
    problems: list[tuple[RawRow, RowProblem, str | None]] = []
    start = 0
    for part in _distinct_runs(iface, rows):
        part_checked = checked[start : start + len(part)] if checked is not None else None
        start += len(part)
        c, p = _process(uow, iface, run, part, memo, part_checked, arrived=now)
        counts.add(c)
        problems.extend(p)
    _store_quarantine(uow, iface, run, problems, now)
    last_row = max((r.row for r in rows), default=run.rows_done)
    repository.set_import_progress(
        uow.db,
        run.id,
        {
            "rows_done": max(run.rows_done, last_row),
            "received": run.received + counts.received,
            "accepted": run.accepted + counts.accepted,
            "duplicates": run.duplicates + counts.duplicates,
            "quarantined": run.quarantined + counts.quarantined,
            "held_for_consent": run.held_for_consent + counts.held_for_consent,
            "corrections": run.corrections + counts.corrections,
        },
    )
    uow.db.expire(run)
    return counts


def _distinct_runs(iface: Interface, rows: list[RawRow]) -> Iterable[list[RawRow]]:
    """Split a batch where a source record id repeats, so each part sees the parts before it."""
    part: list[RawRow] = []
    seen: set[str] = set()
    for r in rows:
        sid = (r.values or {}).get(iface.source_id) if r.problem is None else None
        # a JSON record id may be a number (taken as its text) or a list (refused by validate)
        key = str(sid) if isinstance(sid, (str, int)) and sid != "" else ""
        if key and key in seen:
            yield part
            part, seen = [], set()
        if key:
            seen.add(key)
        part.append(r)
    if part:
        yield part


def _stored_values(iface: Interface, rec: Record, resident_id: str, uow: Any) -> dict[str, Any]:
    """The values kept: GB 11643 numbers are replaced by the resident id (or a keyed hash)."""
    out = dict(rec.values)
    for spec in iface.fields:
        if spec.type == "id_number" and out.get(spec.name):
            out[spec.name] = (
                resident_id
                if spec.name == iface.person_field
                else "h:" + uow.keys.keyed_hash(str(out[spec.name]))[:24]
            )
    return out


def _process(
    uow: Any,
    iface: Interface,
    run: FeedImport,
    raws: list[RawRow],
    memo: dict[str, Any] | None = None,
    prechecked: Sequence[Checked] | None = None,
    *,
    arrived: datetime,
    again: bool = False,
    outcomes: dict[int, str] | None = None,
) -> tuple[Counts, list[tuple[RawRow, RowProblem, str | None]]]:
    """Classify, store and hand to evaluation rows that ``arrived`` then. ``again``: quarantined rows
    run through once more — not an arrival, so health moves them from quarantined to their outcome.
    ``outcomes``, when given, gets the outcome of each row that went in (by ``RawRow.row``): the name of
    the count it added to (``accepted``, ``held_for_consent``, ``duplicates``)."""
    now = uow.clock.now()
    today = local_date(now)
    arrival_day = local_date(arrived)
    counts = Counts(received=len(raws))
    problems: list[tuple[RawRow, RowProblem, str | None]] = []
    valid: list[tuple[RawRow, Record]] = []
    if prechecked is None:
        prechecked = [domain.validate(iface, raw, today=today) for raw in raws]
    for raw, checked in zip(raws, prechecked, strict=True):
        if isinstance(checked, RowProblem):
            problems.append((raw, checked, None))
        else:
            valid.append((raw, checked))
    residents = _resolve(uow, [r.id_number for _, r in valid], memo) if valid else {}
    known: list[tuple[RawRow, Record, str]] = []
    for raw, rec in valid:
        rid = residents.get(rec.id_number)
        if rid is None:
            problems.append(
                (
                    raw,
                    RowProblem(
                        raw.row,
                        raw.line,
                        iface.person_field,
                        domain.UNKNOWN_PERSON,
                        domain.UNKNOWN_PERSON_DETAIL,
                    ),
                    None,
                )
            )
        else:
            known.append((raw, rec, rid))
    counts.quarantined = len(problems)
    if not known:
        _health(uow, iface.name, counts, 0.0, 0, at=arrived, settled="quarantined" if again else None)
        return counts, problems
    view = _policy(uow)
    consent = _consents(uow, iface, [rid for _, _, rid in known], memo)
    existing = repository.existing_records(uow.db, iface.name, [rec.source_record_id for _, rec, _ in known])
    inserts: list[dict[str, Any]] = []
    versions: list[dict[str, Any]] = []
    lag_sum, lag_n = 0.0, 0
    proposals = _Proposals(uow, iface, run.id)

    def count(raw: RawRow, outcome: str) -> None:
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        if outcomes is not None:
            outcomes[raw.row] = outcome

    for raw, rec, rid in known:
        stored = _stored_values(iface, rec, rid, uow)
        payload = domain.canonical_json(stored)  # stored as is, and hashed: one encoding for both
        h = domain.hash_text(payload)
        mapping = domain.apply_rules(iface, rec.values, caps=view.caps)
        ok = consent[rid]
        old = existing.get(rec.source_record_id)
        lag_sum += max(0.0, (arrival_day - rec.deed_date).days)
        lag_n += 1
        if old is None:
            version = 1
            count(raw, "accepted" if ok else "held_for_consent")
            inserts.append(
                {
                    "interface": iface.name,
                    "source_record_id": rec.source_record_id,
                    "resident_id": rid,
                    "version": version,
                    "content_hash": h,
                    "status": "used" if ok else "held",
                    "indicator": mapping.indicator if mapping else None,
                    "points": mapping.points if mapping else None,
                    "deed_date": rec.deed_date,
                    "payload": payload,
                    "effect": None,
                    "import_id": run.id,
                    "received_at": arrived,
                }
            )
            if ok and mapping:
                proposals.add(
                    resident_id=rid,
                    indicator=mapping.indicator,
                    points=mapping.points,
                    deed_date=rec.deed_date,
                    ref=source_ref(iface.name, rec.source_record_id, version),
                    then=partial(dict.__setitem__, inserts[-1], "effect"),
                )
            continue
        # (a record stored before decimals were canonical has another hash for the same values)
        if old.content_hash == h or domain.recanonical(iface, old.payload) == payload:
            if old.status == "held" and ok:  # consent given since: the record may now be used
                count(raw, "accepted")
                _use(uow, iface, old, run.id, proposals)
            else:
                count(raw, "held_for_consent" if old.status == "held" else "duplicates")
            continue
        # Same record id, different content: a correction. The old version is kept and its effect
        # reversed through the ledger's correction path; the new version is then evaluated afresh.
        versions.append(
            {
                "record_id": old.id,
                "resident_id": old.resident_id,
                "version": old.version,
                "content_hash": old.content_hash,
                "status": old.status,
                "indicator": old.indicator,
                "points": old.points,
                "deed_date": old.deed_date,
                "payload": old.payload,
                "effect": old.effect,
                "import_id": old.import_id,
                "superseded_at": now,
                "superseded_by_import": run.id,
            }
        )
        if old.status == "used" and old.indicator:
            proposals.flush()  # what came before the correction is decided before it is undone
            _undo(
                uow,
                iface,
                old,
                actor=f"feed:{iface.name}",
                reason=f"部门更正记录 {old.source_record_id}（第{old.version + 1}版）",
            )
        old.version += 1
        old.content_hash = h
        old.resident_id = rid
        old.deed_date = rec.deed_date
        old.payload = payload
        old.indicator = mapping.indicator if mapping else None
        old.points = mapping.points if mapping else None
        old.import_id = run.id
        old.received_at = arrived
        old.effect = None
        old.status = "used" if ok else "held"
        count(raw, "accepted" if ok else "held_for_consent")
        if ok:
            counts.corrections += 1
            if mapping:
                proposals.add(
                    resident_id=rid,
                    indicator=mapping.indicator,
                    points=mapping.points,
                    deed_date=rec.deed_date,
                    ref=source_ref(iface.name, old.source_record_id, old.version),
                    then=partial(setattr, old, "effect"),
                )
    proposals.flush()
    repository.insert_versions(uow.db, versions)
    repository.insert_records(uow.db, inserts)
    uow.flush()
    _health(uow, iface.name, counts, lag_sum, lag_n, at=arrived, settled="quarantined" if again else None)
    return counts, problems


def _use(uow: Any, iface: Interface, rec: FeedRecord, import_id: int, proposals: _Proposals) -> None:
    rec.status = "used"
    if rec.indicator and rec.points:
        proposals.add(
            resident_id=rec.resident_id,
            indicator=rec.indicator,
            points=rec.points,
            deed_date=rec.deed_date,
            ref=source_ref(iface.name, rec.source_record_id, rec.version),
            then=partial(setattr, rec, "effect"),
            import_id=import_id,
        )


def _store_quarantine(
    uow: Any,
    iface: Interface,
    run: FeedImport,
    problems: list[tuple[RawRow, RowProblem, str | None]],
    now: datetime,
) -> None:
    if not problems:
        return
    already = repository.quarantined_rows(
        uow.db, iface.name, run.file_sha256, [r.row for r, _, _ in problems]
    )
    rows = [
        {
            "interface": iface.name,
            "import_id": run.id,
            "file_name": run.file_name,
            "file_sha256": run.file_sha256,
            "row_no": raw.row,
            "line_no": raw.line,
            "field": p.field,
            "reason": p.reason,
            "detail": p.detail[:500],
            "raw": uow.keys.encrypt(json.dumps(raw.values, ensure_ascii=False)),
            "resident_id": rid,
            "status": "open",
            "created_at": now,
        }
        for raw, p, rid in problems
        if raw.row not in already
    ]
    repository.insert_quarantine(uow.db, rows)


OUTCOMES = ("accepted", "duplicates", "quarantined", "held_for_consent")


def _health(
    uow: Any,
    interface: str,
    c: Counts,
    lag_sum: float,
    lag_n: int,
    *,
    at: datetime,
    settled: str | None = None,
) -> None:
    """Count ``c`` in the health of the day the records arrived (``at``).

    ``settled`` names the outcome (``quarantined``, ``held_for_consent``) these records were counted
    in when they arrived: they are not received again, and those whose outcome changed move from it
    to the new one, on their arrival day, so ``received`` counts every record once and the four
    outcomes always add up to it."""
    day = local_date(at)
    h = repository.health_day(uow.db, interface, day)
    if h is None:
        h = FeedHealthDay(
            interface=interface,
            day=day,
            received=0,
            accepted=0,
            duplicates=0,
            quarantined=0,
            held_for_consent=0,
            lag_days_sum=0.0,
            lag_days_n=0,
            last_arrival_at=at,
        )
        repository.add(uow.db, h)
    if settled is None:
        h.received += c.received
        h.last_arrival_at = max(h.last_arrival_at, at)
    else:
        moved = c.received - getattr(c, settled)
        back = min(moved, getattr(h, settled))  # never below zero, whatever older figures say
        setattr(h, settled, getattr(h, settled) - back)
        h.received += moved - back
    for outcome in OUTCOMES:
        if outcome != settled:
            setattr(h, outcome, getattr(h, outcome) + getattr(c, outcome))
    h.lag_days_sum += lag_sum
    h.lag_days_n += lag_n


# -- quarantine ----------------------------------------------------------------------------------------


QUARANTINE_READ = "feeds.quarantine"
"""What the access log says was read when staff list quarantined rows."""
QUARANTINE_PURPOSE = "fix quarantined department data"


def quarantine_list(
    uow: Any,
    *,
    principal: Any,
    why: str = QUARANTINE_PURPOSE,
    interface: str | None = None,
    status: str | None = "open",
    reason: str | None = None,
    limit: int | None = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Quarantined rows for the staff who fix them (the city administrator; auditors read), their raw
    values decrypted with ID numbers masked unless one is what needs fixing (``quarantine_view``).

    The read is written to the access log (``_log_quarantine_read``)."""
    from moralbank.auth.domain import OVERSIGHT
    from moralbank.errors import PermissionDenied

    if principal.role not in OVERSIGHT:
        raise PermissionDenied("only the city administrator and auditors read the quarantine")
    rows = repository.quarantine(
        uow.db, interface=interface, status=status, reason=reason, limit=limit, offset=offset
    )
    cells = [json.loads(uow.keys.decrypt(q.raw)) for q in rows]
    _log_quarantine_read(uow, principal, why, rows, cells)
    return [quarantine_view(uow, q, values) for q, values in zip(rows, cells, strict=True)]


def _log_quarantine_read(
    uow: Any, principal: Any, why: str, rows: Sequence[Any], cells: Sequence[dict[str, Any]]
) -> None:
    """One access-log entry per resident named by a row read (their own page of who read their data
    shows it), and one naming by their numbers the rows that name no resident (an ID number not in
    the register, or none that can be read), under no resident id."""
    from moralbank.audit import service as audit

    numbers = [[v for v in c.values() if _is_id_number(v)] for c in cells]
    resident_of = _resolve(uow, [n for row in numbers for n in row])
    named = [
        {q.resident_id} if q.resident_id else {resident_of[n] for n in row if resident_of.get(n)}
        for q, row in zip(rows, numbers, strict=True)
    ]
    residents = sorted(set().union(*named))
    audit.log_reads(uow, principal=principal, resident_ids=residents, what=QUARANTINE_READ, why=why)
    if nobody := [q.id for q, who in zip(rows, named, strict=True) if not who]:
        what = f"{QUARANTINE_READ} #{_id_ranges(nobody)}"
        audit.log_read(uow, principal=principal, resident_id="", what=what, why=why)


def _id_ranges(ids: Sequence[int]) -> str:
    """``3-5,9,12-14`` for the ids 3, 4, 5, 9, 12, 13, 14 (sorted, as the quarantine lists them)."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def quarantine_total(
    uow: Any, *, interface: str | None = None, status: str | None = "open", reason: str | None = None
) -> int:
    """How many quarantined rows ``quarantine_list`` pages through with these filters."""
    return repository.quarantine_total(uow.db, interface=interface, status=status, reason=reason)


PENDING = ("open", "fixed")
"""The statuses of a row still in the quarantine; it leaves as ``discarded`` or through a reprocess."""
REPROCESSED_AS = {"accepted": "reprocessed", "held_for_consent": "held", "duplicates": "duplicate"}
"""The status a reprocessed row leaves the quarantine with, by what became of its record: taken in,
held until the resident consents, or the same as a record already stored."""

DISCARD_MARK = " | 作废: "  # between the problem and the discard reason, in ``feed_quarantine.detail``
DISCARD_REASON_MAX = 200


def quarantine_view(uow: Any, q: Any, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """A quarantined row as staff see it. ``values`` are its cells, an ID number masked
    (330281********123X, as staff see residents) unless the staff member must read it to fix the row;
    ``masked`` names the fields so shown."""
    from moralbank.residents import idnumber

    detail, discard_reason = q.detail, None
    if q.status == "discarded" and DISCARD_MARK in detail:
        detail, _, discard_reason = detail.partition(DISCARD_MARK)
    values = json.loads(uow.keys.decrypt(q.raw)) if values is None else values
    masked = _masked_fields(q.field, values)
    return {
        "id": q.id,
        "interface": q.interface,
        "file": q.file_name,
        "row": q.row_no,
        "line": q.line_no,
        "field": q.field,
        "reason": q.reason,
        "detail": detail,
        "status": q.status,
        "values": {k: idnumber.mask(v) if k in masked else v for k, v in values.items()},
        "masked": sorted(masked),
        "import_id": q.import_id,
        "resolved_by": q.resolved_by,
        "discard_reason": discard_reason,
    }


def _masked_fields(problem_field: str | None, values: dict[str, Any]) -> set[str]:
    """The fields holding a valid ID number that is not what is wrong with the row. The problem's own
    field and an invalid number are shown whole, to be corrected; so is every cell of a row damaged as
    a whole (no problem field: cells out of line, broken quoting), which may all need retyping."""
    if problem_field is None:
        return set()
    return {k for k, v in values.items() if k != problem_field and _is_id_number(v)}


def _is_id_number(value: Any) -> bool:
    return isinstance(value, str) and domain.valid_id_number(value) is not None


def _quarantined(uow: Any, qid: int) -> Any:
    q = repository.quarantine_row(uow.db, qid)
    if q is None:
        raise NotFound(f"no quarantined row {qid}")
    if q.status not in PENDING:
        done = "discarded" if q.status == "discarded" else "reprocessed"
        raise Conflict(f"quarantined row {qid} is already {done}")
    return q


def quarantine_fix(
    uow: Any, *, quarantine_id: int, values: dict[str, str | None], actor: str
) -> dict[str, Any]:
    """Correct some cells of a quarantined row (it goes in at the next reprocess). A fix that leaves a
    required field empty or a value the import would refuse is refused, naming every such field."""
    q = _quarantined(uow, quarantine_id)
    iface = get_interface(q.interface)
    unknown = [k for k in values if k not in iface.field_names]
    if unknown:
        raise InvalidInput([Problem(f"{k!r} is not a field of {iface.name}", field=k) for k in unknown])
    current = json.loads(uow.keys.decrypt(q.raw))
    current = {k: v for k, v in current.items() if k in iface.field_names}
    current.update({k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()})
    problems = domain.check_values(iface, current, today=local_date(uow.clock.now()))
    if problems:
        raise InvalidInput([_with_limit(iface, current, p) for p in problems])
    q.raw = uow.keys.encrypt(json.dumps(current, ensure_ascii=False))
    q.status = "fixed"
    q.resolved_by = actor
    q.resolved_at = uow.clock.now()
    return quarantine_view(uow, q)


def text_limit(iface: Interface, field: str) -> int:
    """The most characters a value of ``field`` may have (a record id, any other text)."""
    return domain.MAX_RECORD_ID if field == iface.source_id else domain.MAX_TEXT


def _with_limit(iface: Interface, values: dict[str, Any], problem: Problem) -> Problem:
    """A value refused as too long, said with the field's limit (``check_values`` does not give it)."""
    value, limit = values.get(problem.field or ""), text_limit(iface, problem.field or "")
    if not isinstance(value, str) or len(value) <= limit:
        return problem
    return Problem(
        f"too long: {len(value):,} characters where the field takes at most {limit:,}", field=problem.field
    )


def quarantine_discard(uow: Any, *, quarantine_id: int, actor: str, reason: str) -> dict[str, Any]:
    """Give up a quarantined row for good. The reason is required and kept with the row (its first
    ``DISCARD_REASON_MAX`` characters, after the problem it had)."""
    reason = " ".join(reason.split())[:DISCARD_REASON_MAX]
    if not reason:
        raise InvalidInput(Problem("a reason is required to discard a row", field="reason"))
    q = _quarantined(uow, quarantine_id)
    q.status = "discarded"
    q.resolved_by = actor
    q.resolved_at = uow.clock.now()
    q.detail = q.detail[: 500 - len(DISCARD_MARK) - len(reason)] + DISCARD_MARK + reason
    return quarantine_view(uow, q)


def quarantine_reprocess(
    uow: Any, *, actor: str, interface: str | None = None, ids: Iterable[int] | None = None
) -> Counts:
    """Run open and fixed rows through the import again: the ones that now pass go in and leave the
    quarantine (``REPROCESSED_AS`` says how); the others stay open, with the new reason.

    A reprocess is not an arrival: each row stays counted on the day it arrived, and health moves the
    ones that went in from quarantined to their outcome there (see ``_health``)."""
    pending = [
        q
        for q in repository.quarantine(uow.db, interface=interface, status="pending", ids=ids, limit=None)
        # a damaged row (cells out of line, undecodable bytes) goes back only once a person fixed it
        if q.status == "fixed" or q.reason not in domain.STRUCTURAL
    ]
    now = uow.clock.now()
    total = Counts()
    by_iface: dict[str, list[Any]] = {}
    for q in pending:
        by_iface.setdefault(q.interface, []).append(q)
    for name, rows in by_iface.items():
        run = begin_import(
            uow,
            interface=name,
            transport="requeue",
            file_name="quarantine",
            file_sha256=hashlib.sha256(f"reprocess:{now.isoformat()}:{name}".encode()).hexdigest(),
            actor=actor,
        )
        iface = get_interface(name)
        by_arrival: dict[datetime, list[Any]] = {}
        for q in rows:
            by_arrival.setdefault(q.created_at, []).append(q)
        counts = Counts()
        for arrived, group in by_arrival.items():
            for start in range(0, len(group), 1000):
                counts.add(_reprocess(uow, iface, run, group[start : start + 1000], arrived, actor))
        repository.set_import_progress(
            uow.db,
            run.id,
            {**counts.as_dict(), "rows_done": len(rows), "status": "done", "finished_at": now},
        )
        total.add(counts)
    return total


def _reprocess(
    uow: Any, iface: Interface, run: FeedImport, rows: list[Any], arrived: datetime, actor: str
) -> Counts:
    """Quarantined rows that arrived together, through the import path again."""
    raws = [RawRow(i, q.line_no, json.loads(uow.keys.decrypt(q.raw))) for i, q in enumerate(rows, 1)]
    counts = Counts()
    failed: dict[int, RowProblem] = {}
    outcomes: dict[int, str] = {}
    for part in _distinct_runs(iface, raws):
        c, problems = _process(uow, iface, run, part, arrived=arrived, again=True, outcomes=outcomes)
        counts.add(c)
        failed.update({raw.row: p for raw, p, _ in problems})
    for raw, q in zip(raws, rows, strict=True):
        p = failed.get(raw.row)
        if p is None:
            q.status = REPROCESSED_AS[outcomes[raw.row]]
            q.resolved_by = q.resolved_by or actor
            q.resolved_at = uow.clock.now()
        else:
            q.reason, q.field, q.detail, q.status = p.reason, p.field, p.detail[:500], "open"
    return counts


# -- consent -------------------------------------------------------------------------------------------


def release_held(
    uow: Any, *, actor: str, resident_id: str | None = None, interface: str | None = None
) -> int:
    """Use held records whose resident has consented since. Returns how many were released."""
    released = 0
    held = repository.held_records(uow.db, resident_id=resident_id, interface=interface)
    by_iface: dict[str, list[FeedRecord]] = {}
    for rec in held:
        by_iface.setdefault(rec.interface, []).append(rec)
    for name, recs in by_iface.items():
        iface = get_interface(name)
        ok = _consents(uow, iface, [r.resident_id for r in recs])
        proposals = _Proposals(uow, iface, 0)
        by_day: dict[date, list[FeedRecord]] = {}
        for rec in recs:
            if ok[rec.resident_id]:
                _use(uow, iface, rec, rec.import_id, proposals)
                by_day.setdefault(local_date(rec.received_at), []).append(rec)
        proposals.flush()
        for day_recs in by_day.values():  # held when they arrived, used now: health moves them
            n = len(day_recs)
            moved = Counts(received=n, accepted=n)
            _health(uow, name, moved, 0.0, 0, at=day_recs[0].received_at, settled="held_for_consent")
            released += n
    return released


def consent_lines(uow: Any, *, resident_id: str) -> list[dict[str, Any]]:
    """For the resident's own page and data export: every interface that needs consent, whether it is
    given now, and how many of their records were used or are held unused."""
    counts = repository.record_counts_of(uow.db, resident_id)
    out = []
    for iface in list_interfaces():
        used = counts.get((iface.name, "used"), 0)
        held = counts.get((iface.name, "held"), 0)
        if not iface.consent_required and not used:
            continue
        consented = _consents(uow, iface, [resident_id])[resident_id]
        out.append(
            {
                "interface": iface.name,
                "name_zh": iface.name_zh,
                "name_en": iface.name_en,
                "department_zh": iface.department_zh,
                "department_en": iface.department_en,
                "consent_required": iface.consent_required,
                "consented": consented,
                "records_used": used,
                "records_held": held,
            }
        )
    return out


def export_of(uow: Any, *, resident_id: str) -> dict[str, Any]:
    """What the data interfaces hold about a resident, for their data export (residents.export)."""
    return {
        "consents": consent_lines(uow, resident_id=resident_id),
        "records": records_of(uow, resident_id=resident_id),
    }


def records_of(uow: Any, *, resident_id: str) -> list[dict[str, Any]]:
    """A resident's department records (for their data export)."""
    return [
        {
            "interface": r.interface,
            "source_record_id": r.source_record_id,
            "version": r.version,
            "status": r.status,
            "indicator": r.indicator,
            "points": r.points,
            "deed_date": r.deed_date.isoformat(),
            "received_at": r.received_at,
            "values": json.loads(r.payload),
        }
        for r in repository.records_of(uow.db, resident_id)
    ]


# -- push ------------------------------------------------------------------------------------------------


# A claimed key whose push has had no answer for this long is free again: its request failed or the
# server stopped mid-import (the import resumes, exactly once, when the push is sent again).
PUSH_CLAIM_EXPIRES = 600  # seconds


def push_secret(uow: Any, interface: str) -> bytes:
    """The per-interface HMAC key a department signs its pushes with (``keys`` secret
    ``feeds-push-<interface>``; show it with ``moralbank feeds secret NAME``)."""
    get_interface(interface)
    return uow.keys.secret(f"feeds-push-{interface}")


def check_push(
    uow: Any,
    *,
    interface: str,
    body: bytes,
    signature: str | None,
    idempotency_key: str | None,
    principal: Any,
) -> FeedPush | None:
    """Authorise a push; returns the stored push of the same idempotency key, if any (its ``response``
    is empty while that push is still being processed). A new push's body is then read, once, by
    ``read_push_body``."""
    from moralbank.errors import NotAuthenticated, PermissionDenied

    iface = get_interface(interface)
    if "push" not in iface.transports:
        raise PermissionDenied(f"{interface} does not accept pushes")
    if not principal.has_scope(f"feeds:push:{interface}"):
        raise PermissionDenied(f"token lacks scope feeds:push:{interface}")
    if not signature_ok(push_secret(uow, interface), body, signature):
        raise NotAuthenticated("bad or missing X-Moralbank-Signature")
    if not idempotency_key or len(idempotency_key) > 128:
        raise InvalidInput(
            Problem("an Idempotency-Key header (1-128 characters) is required", field="Idempotency-Key")
        )
    earlier = repository.push_by_key(uow.db, interface, idempotency_key)
    if earlier is not None and earlier.body_sha256 != hashlib.sha256(body).hexdigest():
        raise Conflict("this Idempotency-Key was used with a different body")
    if earlier is not None and (earlier.response is not None or not _claim_expired(uow, earlier)):
        return earlier
    return None


# Records one push may hold. A body of 50 MB could otherwise be 17 million rows (of ``{}``), each a
# quarantine row, from one request; 100,000 records of a few hundred bytes fill 20-50 MB.
MAX_PUSH_RECORDS = 100_000


def read_push_body(*, interface: str, body: bytes, limit: int = MAX_PUSH_RECORDS) -> bodies.Body:
    """A new push's body, read whole and once; the import takes what this read. UTF-8, JSON Lines or
    one object ``{"records": [...]}`` (decided on the whole body), from 1 to ``limit`` records;
    anything else is refused (``InvalidInput``) before anything is recorded. A line, or a record, that
    is not JSON is left to the import, which quarantines its row as it would in a file."""
    iface = get_interface(interface)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InvalidInput(Problem(f"the body is not UTF-8 (byte {e.start})", field="body")) from None
    if bodies.is_blank(text):
        raise InvalidInput(Problem("the body has no records", field="body"))
    too_many = Problem(
        f"more than {limit:,} records in one push: split it into several pushes", field="records"
    )
    try:
        doc = bodies.parse(text, limit=limit)
    except bodies.NotOneValue:  # several lines, or not JSON: each line is a row of its own
        if bodies.count_lines(body, stop=limit + 1) > limit:
            raise InvalidInput(too_many) from None
        return bodies.Body(body, None)
    except bodies.TooManyRecords:
        raise InvalidInput(too_many) from None
    except RecursionError:
        raise InvalidInput(Problem("the body is JSON nested too deeply", field="body")) from None
    if isinstance(doc, dict) and "records" in doc:
        if not isinstance(doc["records"], list):
            raise InvalidInput(Problem('"records" must be a list', field="records"))
        if not doc["records"]:
            raise InvalidInput(Problem("the body has no records", field="records"))
        return bodies.Body(body, doc["records"])
    if not isinstance(doc, dict) or not set(doc) & set(iface.field_names):
        raise InvalidInput(
            Problem('the body is neither JSON Lines nor an object with "records"', field="body")
        )
    # one record, as one line of JSON Lines would be (whatever lines it spans)
    unreadable = [v for v in doc.values() if isinstance(v, bodies.Unreadable)]
    return bodies.Body(body, unreadable[:1] or [doc])


def record_push(
    uow: Any,
    *,
    interface: str,
    idempotency_key: str,
    body: bytes,
    import_id: int | None = None,
    response: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """Without a ``response``: claim the idempotency key for this push — a new row, which the caller
    commits before importing, so that a concurrent push of the same key fails on the unique key and
    finds this one (a claim unanswered for ``PUSH_CLAIM_EXPIRES`` is replaced). With the import's
    ``response``: record the claimed push's answer, the counts and the problems of the first 100
    quarantined rows (``problems_truncated`` when there are more), and return it."""
    limit = 100
    push = repository.push_by_key(uow.db, interface, idempotency_key)
    if response is None or import_id is None:
        if push is not None and push.response is None and _claim_expired(uow, push):
            repository.drop_push_claim(uow.db, push.id)
        claim = FeedPush(
            interface=interface,
            idempotency_key=idempotency_key,
            body_sha256=hashlib.sha256(body).hexdigest(),
            received_at=uow.clock.now(),
        )
        repository.add(uow.db, claim)  # an IntegrityError at commit when the key is held
        return None
    run = repository.get_import(uow.db, import_id)
    assert push is not None and run is not None, f"no claimed push {idempotency_key} or import {import_id}"
    rows = repository.quarantine_of_content(uow.db, interface, run.file_sha256, limit=limit + 1)
    answer = {
        **response,
        "problems": [
            {"row": q.row_no, "line": q.line_no, "field": q.field, "reason": q.reason, "detail": q.detail}
            for q in rows[:limit]
        ],
        "problems_truncated": len(rows) > limit,
    }
    push.import_id, push.response = import_id, json.dumps(answer)
    return answer


def release_push_claim(uow: Any, *, interface: str, idempotency_key: str) -> None:
    """Give up this request's claim of a key when its import failed, so the department's retry with
    the same key is imported at once (safe: each record is stored once by its id) instead of waiting
    ``PUSH_CLAIM_EXPIRES`` for the claim to lapse. An answered push is never released."""
    push = repository.push_by_key(uow.db, interface, idempotency_key)
    if push is not None and push.response is None:
        repository.drop_push_claim(uow.db, push.id)


def _claim_expired(uow: Any, push: FeedPush) -> bool:
    return (uow.clock.now() - push.received_at).total_seconds() > PUSH_CLAIM_EXPIRES


# -- pull cursors ------------------------------------------------------------------------------------------


def pull_cursor(uow: Any, *, interface: str) -> str | None:
    c = repository.cursor(uow.db, interface)
    return c.cursor if c else None


def set_pull_cursor(uow: Any, *, interface: str, cursor: str | None) -> None:
    c = repository.cursor(uow.db, interface)
    if c is None:
        repository.add(uow.db, FeedCursor(interface=interface, cursor=cursor, pulled_at=uow.clock.now()))
    else:
        c.cursor, c.pulled_at = cursor, uow.clock.now()


# -- health -------------------------------------------------------------------------------------------------


def health(uow: Any) -> list[dict[str, Any]]:
    """Per interface: last arrival, volumes (all time, last 7 days), outcome rates, mean lag in days
    between the deed and its arrival, open quarantine rows."""
    from datetime import timedelta

    today = local_date(uow.clock.now())
    totals = repository.health_totals(uow.db)
    week = repository.health_totals(uow.db, since=today - timedelta(days=6))
    open_q = repository.quarantine_counts(uow.db)
    out = []
    for iface in list_interfaces():
        t = totals.get(iface.name, {})
        received = t.get("received", 0)
        last = t.get("last_arrival_at")
        out.append(
            {
                "interface": iface.name,
                "name_zh": iface.name_zh,
                "name_en": iface.name_en,
                "department_zh": iface.department_zh,
                "department_en": iface.department_en,
                "last_arrival_at": last,
                "hours_since_arrival": round((uow.clock.now() - last).total_seconds() / 3600, 1)
                if last
                else None,
                "received": received,
                "received_7d": week.get(iface.name, {}).get("received", 0),
                "accepted": t.get("accepted", 0),
                "duplicates": t.get("duplicates", 0),
                "quarantined": t.get("quarantined", 0),
                "held_for_consent": t.get("held_for_consent", 0),
                "accepted_rate": round(t.get("accepted", 0) / received, 4) if received else None,
                "quarantined_rate": round(t.get("quarantined", 0) / received, 4) if received else None,
                "lag_days": round(t["lag_days"], 1) if t.get("lag_days") is not None else None,
                "quarantine_open": open_q.get((iface.name, "open"), 0) + open_q.get((iface.name, "fixed"), 0),
            }
        )
    return out


def health_series(uow: Any, *, interface: str, days: int = 30) -> list[dict[str, Any]]:
    """Each of the last ``days`` arrival days, today included, oldest first: received, accepted and
    quarantined, zero on a day nothing arrived (so a chart shows the gaps)."""
    from datetime import timedelta

    since = local_date(uow.clock.now()) - timedelta(days=days - 1)
    stored = {h.day: h for h in repository.health_days(uow.db, interface, since)}
    series = []
    for day in (since + timedelta(days=i) for i in range(days)):
        h = stored.get(day)
        series.append(
            {
                "day": day,
                "received": h.received if h else 0,
                "accepted": h.accepted if h else 0,
                "quarantined": h.quarantined if h else 0,
            }
        )
    return series


def recent_imports(uow: Any, *, interface: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "interface": r.interface,
            "transport": r.transport,
            "file": r.file_name,
            "status": r.status,
            "error": r.error,
            **import_counts(r).as_dict(),
            "started_at": r.started_at,
            "finished_at": r.finished_at,
        }
        for r in repository.imports(uow.db, interface=interface, limit=limit)
    ]


def datetime_or_date(text: str) -> datetime:
    """``--since`` values: a date (midnight in China) or an ISO instant."""
    from moralbank.kernel.clock import CHINA

    try:
        if len(text) == 10:
            d = date.fromisoformat(text)
            return datetime(d.year, d.month, d.day, tzinfo=CHINA)
        at = datetime.fromisoformat(text)
        return at if at.tzinfo else at.replace(tzinfo=CHINA)
    except ValueError:
        raise InvalidInput(Problem(f"not a date or ISO time: {text!r}", field="since")) from None


# -- the return loop: export to the public credit platform ---------------------------------------------


def _entries_after(uow: Any, after_seq: int, until_seq: int) -> Iterable[Any]:
    from moralbank.ledger import service as ledger

    return ledger.entries_between(uow, first_seq=after_seq + 1, last_seq=until_seq)


PROGRAMME = "道德银行"  # the provider of everything that is not a department's record


def _with_providers(uow: Any, entries: Iterable[Any], chunk: int = 5000) -> Iterator[tuple[Any, str]]:
    """Each entry and the department that provided its data. An entry an interface posted itself
    names it as its actor (``feed:<interface>``); one a person decided — a department's deduction
    after human review — names the evaluation item, whose record's interface is the provider.
    Everything else (deeds, corrections, repairs) is the programme's own."""
    from moralbank.evaluation import service as evaluation

    known = catalogue()
    it = iter(entries)
    while batch := [(e, _decided_item(e)) for e in islice(it, chunk)]:
        wanted = sorted({item for _, item in batch if item is not None})
        of_item = evaluation.interfaces_of(uow, item_ids=wanted) if wanted else {}
        for e, item in batch:
            iface = e.actor.removeprefix("feed:") if e.actor.startswith("feed:") else of_item.get(item)
            yield e, known[iface].department_zh if iface in known else PROGRAMME


def _decided_item(e: Any) -> int | None:
    """The evaluation item behind a department entry that a person posted (not the interface)."""
    if e.source != "department" or e.actor.startswith("feed:"):
        return None
    kind, _, ref = (e.source_ref or "").partition(":")
    return int(ref) if kind == "evaluation" and ref.isdigit() else None


def _first_seq_at(uow: Any, since: datetime, size: int) -> int:
    """The first seq recorded at or after ``since`` (seq order is recording order): a binary search."""
    from moralbank.ledger import service as ledger

    lo, hi = 1, size + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if ledger.get(uow, seq=mid).recorded_at < since:
            lo = mid + 1
        else:
            hi = mid
    return lo


PUBLIC_CREDIT = "public_credit"  # the consent purpose "share my records with the public credit platform"


def export(uow: Any, *, out_dir: Any, actor: str, since: datetime | None = None) -> dict[str, Any]:
    """Write the evaluation results (ledger entries) not yet returned — or those recorded since
    ``since`` — as JSON Lines and CSV with GB/T 39445 element names, plus a manifest of counts and
    SHA-256 per file signed with Ed25519 (``keys`` purpose ``feeds-export``). Returns the manifest.

    Only residents who consented to the purpose ``public_credit`` are returned; the others are
    counted in the manifest as ``withheld_without_consent``."""
    import base64
    import csv
    from pathlib import Path

    from moralbank.feeds.models import FeedExport
    from moralbank.ledger import service as ledger

    size = ledger.tree_size(uow)
    if since is not None:
        after = _first_seq_at(uow, since, size) - 1
    else:
        last = repository.last_export(uow.db)
        after = (last.last_seq or 0) if last else 0
    view = _policy(uow)
    names = {code: getattr(ind, "name_zh", code) for code, ind in view.indicators.items()}
    now = uow.clock.now()
    target = Path(out_dir) / f"moralbank-export-{now:%Y%m%dT%H%M%SZ}-{after + 1}-{size}"
    target.mkdir(parents=True, exist_ok=False)
    cols = domain.EXPORT_COLUMNS
    jsonl, csvp = target / "results.jsonl", target / "results.csv"
    rows = withheld = 0
    shared: dict[str, bool] = {}
    from moralbank.residents import service as residents

    with open(jsonl, "w", encoding="utf-8") as fj, open(csvp, "w", encoding="utf-8-sig", newline="") as fc:
        w = csv.writer(fc)
        w.writerow([el for _, el in cols])
        for e, provider in _with_providers(uow, _entries_after(uow, after, size)):
            if e.resident_id not in shared:
                shared[e.resident_id] = residents.has_consent(
                    uow, resident_id=e.resident_id, purpose=PUBLIC_CREDIT
                )
            if not shared[e.resident_id]:
                withheld += 1
                continue
            rec = {
                "record_id": e.seq,
                "resident_id": e.resident_id,
                "subject_type": "自然人",
                "indicator": e.indicator,
                "indicator_name": names.get(e.indicator, e.indicator),
                "aspect": e.aspect,
                "points": e.points,
                "deed_date": e.deed_date.isoformat(),
                "recorded_at": e.recorded_at.isoformat(),
                "source": e.source,
                "source_ref": e.source_ref,
                "policy_version": e.policy_version,
                "reverses": e.reverses_seq,
                "expires_on": e.expires_on.isoformat() if e.expires_on else None,
                "provider": provider,
            }
            fj.write(json.dumps({el: rec[k] for k, el in cols}, ensure_ascii=False) + "\n")
            w.writerow(["" if rec[k] is None else rec[k] for k, _ in cols])
            rows += 1

    def sha(p: Path) -> str:
        return hashlib.sha256(p.read_bytes()).hexdigest()

    key = uow.keys.active_signing_key("feeds-export")
    manifest = {
        "format": "moralbank.credit-return/1",
        "standard": "GB/T 39445-2020",
        "generated_at": now.isoformat(),
        "since": since.isoformat() if since else None,
        "first_seq": after + 1 if rows else None,
        "last_seq": size if rows else None,
        "rows": rows,
        "withheld_without_consent": withheld,
        "files": [{"name": p.name, "sha256": sha(p), "rows": rows} for p in (jsonl, csvp)],
        "columns": [{"field": k, "element": el} for k, el in cols],
        "key_id": key.kid,
        "public_key": base64.b64encode(key.public_bytes()).decode(),
    }
    body = domain.manifest_bytes(manifest)
    (target / "manifest.json").write_bytes(body)
    (target / "manifest.sig").write_text(base64.b64encode(key.private.sign(body)).decode() + "\n")
    repository.add(
        uow.db,
        FeedExport(
            since=since,
            first_seq=manifest["first_seq"],
            last_seq=size,
            rows=rows,
            directory=str(target),
            manifest_sha256=hashlib.sha256(body).hexdigest(),
            key_id=key.kid,
            created_at=now,
            actor=actor,
        ),
    )
    return {**manifest, "directory": str(target)}


def verify_export(directory: Any, *, trusted: dict[str, bytes]) -> dict[str, Any]:
    """Check an export: manifest signature under a trusted key (kid -> raw Ed25519 public key) and
    the SHA-256 and row count of every file. Raises ``InvalidInput`` listing what is wrong."""
    import base64
    from pathlib import Path

    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    d = Path(directory)
    body = (d / "manifest.json").read_bytes()
    manifest = json.loads(body)
    problems = []
    pub = trusted.get(manifest.get("key_id", ""))
    if pub is None:
        problems.append(Problem("manifest signed by an untrusted key", file="manifest.json"))
    else:
        try:
            Ed25519PublicKey.from_public_bytes(pub).verify(
                base64.b64decode((d / "manifest.sig").read_text()), body
            )
        except InvalidSignature:
            problems.append(Problem("manifest signature does not verify", file="manifest.sig"))
    for f in manifest["files"]:
        data = (d / f["name"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            problems.append(Problem("SHA-256 differs from the manifest", file=f["name"]))
    if problems:
        raise InvalidInput(problems)
    return manifest
