"""Every ledger query. Bulk writes go to the driver directly (executemany on SQLite, COPY on
PostgreSQL) because posting millions of entries is a normal day for a city's feeds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import NamedTuple

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from moralbank.db.bulk import copy_rows
from moralbank.db.engine import raise_sqlite_cache
from moralbank.ledger.domain import Entry, Memo
from moralbank.ledger.merkle import EMPTY_ROOT, HASH_SIZE
from moralbank.ledger.models import LedgerCheckpoint, LedgerEntry, LedgerNode, LedgerState

STRIPE = 256  # hashes per ledger_node row
# A big batch inserts keys all over the resident indexes; with SQLite's default 2 MB page cache the
# dirty index pages spill to the WAL again and again within one batch. Bulk batches raise the cache of
# their connection (pages are only allocated as they are used), up to the cap of a job with a memory
# budget (``db.engine.sqlite_cache_cap``: a feed import).
SQLITE_BULK_ROWS = 10_000
SQLITE_BULK_CACHE_KIB = 1_048_576
STRIPE_BYTES = STRIPE * HASH_SIZE

ENTRY_COLUMNS = (
    "seq",
    "resident_id",
    "indicator",
    "aspect",
    "points",
    "deed_date",
    "recorded_at",
    "source",
    "actor",
    "policy_version",
    "reason",
    "source_ref",
    "evidence",
    "reverses_seq",
    "severity",
    "expires_on",
)  # the order of ``Entry``'s fields


def _is_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


# -- log state ----------------------------------------------------------------------------------
def lock_state(db: Session) -> tuple[int, bytes]:
    """Lock the log state row for this transaction (creating it on first use); (size, root).

    On SQLite the write unit of work already holds the database write lock (BEGIN IMMEDIATE).
    """
    if db.get(LedgerState, 1) is None:
        if _is_sqlite(db):
            db.execute(
                insert(LedgerState).prefix_with("OR IGNORE").values(id=1, tree_size=0, root=EMPTY_ROOT)
            )
        else:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            db.execute(
                pg_insert(LedgerState).values(id=1, tree_size=0, root=EMPTY_ROOT).on_conflict_do_nothing()
            )
    stmt = select(LedgerState.tree_size, LedgerState.root).where(LedgerState.id == 1)
    if not _is_sqlite(db):
        stmt = stmt.with_for_update()
    row = db.execute(stmt.execution_options(populate_existing=True)).one()
    return int(row.tree_size), bytes(row.root)


def state(db: Session) -> tuple[int, bytes]:
    row = db.execute(select(LedgerState.tree_size, LedgerState.root).where(LedgerState.id == 1)).first()
    return (0, EMPTY_ROOT) if row is None else (int(row.tree_size), bytes(row.root))


def set_state(db: Session, size: int, root: bytes) -> None:
    db.execute(update(LedgerState).where(LedgerState.id == 1).values(tree_size=size, root=root))


# -- entries ------------------------------------------------------------------------------------
def _iso_or_none(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _evidence_json(ev: tuple[str, ...]) -> str:
    """``json.dumps(list(ev))``, the text the JSON column type stores, without the encoder's overhead."""
    return "[" + ", ".join(map(encode_basestring_ascii, ev)) + "]"


_SQLITE_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}")


def stored_rows(entries: list[Entry]) -> list[tuple]:
    """The entries in stored form (``worker`` module docstring): the values SQLite binds, without
    ``recorded_at``. Each distinct date and evidence list is converted once."""
    day = Memo(_iso_or_none)
    ev = Memo(_evidence_json)
    return [
        (
            e[0],
            e[1],
            e[2],
            e[3],
            e[4],
            day[e[5]],
            e[7],
            e[8],
            e[9],
            e[10],
            e[11],
            ev[e[12]] if type(e[12]) is tuple else _evidence_json(e[12]),
            e[13],
            e[14],
            day[e[15]],
        )
        for e in entries
    ]


def sqlite_instant(at: datetime) -> str:
    """A time as the UTCDateTime column stores it on SQLite (UTC, microseconds)."""
    text = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if not _SQLITE_INSTANT.fullmatch(text):  # never: strftime gives exactly this shape
        raise ValueError(f"unexpected time text {text!r}")
    return text


def insert_entries(db: Session, entries: list[Entry], rows: list[tuple] | None = None) -> None:
    """Append entries in one driver-level bulk insert (no ORM objects). ``rows``: the same entries
    already in stored form (``stored_rows``), when the caller has them."""
    conn = db.connection()
    if _is_sqlite(db):
        if len(entries) >= SQLITE_BULK_ROWS:
            raise_sqlite_cache(conn, SQLITE_BULK_CACHE_KIB)
        # One batch shares one recording time: it goes into the statement as a literal (the text the
        # UTCDateTime type stores, made here from a datetime), so each row binds 15 values.
        at = entries[0].recorded_at
        if all(e.recorded_at == at for e in entries):
            groups = [(at, entries, rows if rows is not None else stored_rows(entries))]
        else:
            groups = [(t, group, stored_rows(group)) for t, group in _group_by_time(entries).items()]
        cols = [c for c in ENTRY_COLUMNS if c != "recorded_at"]
        for at, _, group_rows in groups:
            conn.exec_driver_sql(
                f"INSERT INTO ledger_entry ({', '.join(cols)}, recorded_at) "
                f"VALUES ({', '.join('?' * len(cols))}, '{sqlite_instant(at)}')",
                group_rows,
            )
        return
    ev = Memo(_evidence_json)
    copy_rows(
        conn.connection.driver_connection,
        LedgerEntry.__table__,
        ENTRY_COLUMNS,
        ((*e[:12], ev[e[12]] if type(e[12]) is tuple else _evidence_json(e[12]), *e[13:]) for e in entries),
    )


def _group_by_time(entries: list[Entry]) -> dict[datetime, list[Entry]]:
    out: dict[datetime, list[Entry]] = {}
    for e in entries:
        out.setdefault(e.recorded_at, []).append(e)
    return out


def _entry(row) -> Entry:  # noqa: ANN001 - a Row
    return Entry(
        row.seq,
        row.resident_id,
        row.indicator,
        row.aspect,
        row.points,
        row.deed_date,
        row.recorded_at,
        row.source,
        row.actor,
        row.policy_version,
        row.reason,
        row.source_ref,
        tuple(row.evidence or ()),
        row.reverses_seq,
        row.severity,
        row.expires_on,
    )


_ENTRY_SELECT = select(*(getattr(LedgerEntry, c) for c in ENTRY_COLUMNS))


def entries_of(db: Session, resident_id: str) -> list[Entry]:
    rows = db.execute(_ENTRY_SELECT.where(LedgerEntry.resident_id == resident_id).order_by(LedgerEntry.seq))
    return [_entry(r) for r in rows]


def entries_by_seq(db: Session, seqs: Iterable[int]) -> dict[int, Entry]:
    seqs = list(seqs)
    if not seqs:
        return {}
    rows = db.execute(_ENTRY_SELECT.where(LedgerEntry.seq.in_(seqs)))
    return {r.seq: _entry(r) for r in rows}


class _RawEntries:
    """Entries read through the driver cursor (plain tuples; no ORM or per-row type processing):
    the audit reads every row and a proof must answer in about a millisecond."""

    def __init__(self, db: Session):
        sqlite = _is_sqlite(db)
        self.ph = "?" if sqlite else "%s"
        self.cols = ", ".join(
            "evidence::text" if c == "evidence" and not sqlite else c for c in ENTRY_COLUMNS
        )
        self.cursor = db.connection().connection.driver_connection.cursor()
        self._day: dict = {}
        self._when: dict = {}
        self._evidence: dict = {}

    def _to_day(self, v):  # noqa: ANN001, ANN202 - str on SQLite, date on PostgreSQL
        if v is None or type(v) is date:
            return v
        d = self._day.get(v)
        if d is None:
            d = self._day[v] = date.fromisoformat(v)
        return d

    def _to_when(self, v):  # noqa: ANN001, ANN202
        w = self._when.get(v)
        if w is None:
            w = datetime.fromisoformat(v) if isinstance(v, str) else v
            w = self._when[v] = w.replace(tzinfo=UTC) if w.tzinfo is None else w.astimezone(UTC)
        return w

    def _to_evidence(self, v):  # noqa: ANN001, ANN202
        e = self._evidence.get(v)
        if e is None:
            e = self._evidence[v] = tuple(json.loads(v)) if v else ()
        return e

    def fetch(self, where: str, params: tuple) -> list[Entry]:
        self.cursor.execute(f"SELECT {self.cols} FROM ledger_entry {where.replace('?', self.ph)}", params)
        day, when, ev = self._to_day, self._to_when, self._to_evidence
        return [
            Entry(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                day(r[5]),
                when(r[6]),
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
                ev(r[12]),
                r[13],
                r[14],
                day(r[15]),
            )
            for r in self.cursor.fetchall()
        ]


def get_entry(db: Session, seq: int) -> Entry | None:
    raw = _RawEntries(db)
    rows = raw.fetch("WHERE seq = ?", (seq,))
    raw.cursor.close()
    return rows[0] if rows else None


def iter_entries(db: Session, *, chunk: int = 50_000) -> Iterator[list[Entry]]:
    """Every entry in seq order, in chunks (keyset pagination, so memory stays flat)."""
    raw = _RawEntries(db)
    last = 0
    while rows := raw.fetch("WHERE seq > ? ORDER BY seq LIMIT ?", (last, chunk)):
        yield rows
        last = rows[-1].seq
    raw.cursor.close()


def iter_entries_between(
    db: Session, first_seq: int, last_seq: int, *, chunk: int = 20_000
) -> Iterator[Entry]:
    """The entries ``first_seq`` … ``last_seq`` in seq order, read in chunks (memory stays flat)."""
    raw = _RawEntries(db)
    last = first_seq - 1
    while last < last_seq and (
        rows := raw.fetch("WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?", (last, last_seq, chunk))
    ):
        yield from rows
        last = rows[-1].seq
    raw.cursor.close()


def iter_stored_rows(db: Session, *, chunk: int = 20_000) -> Iterator[list[tuple]]:
    """SQLite: every row in seq order in stored form (``worker``) with ``recorded_at`` as a 16th
    value, exactly as stored — one statement in the reading transaction, fetched in chunks."""
    cols = [c for c in ENTRY_COLUMNS if c != "recorded_at"] + ["recorded_at"]
    cur = db.connection().connection.driver_connection.cursor()
    cur.arraysize = chunk
    cur.execute(f"SELECT {', '.join(cols)} FROM ledger_entry ORDER BY seq")
    while rows := cur.fetchmany(chunk):
        yield rows
    cur.close()


def count_entries(db: Session) -> int:
    return db.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()


# -- Merkle nodes -------------------------------------------------------------------------------
def stripes(db: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Node stripes by (level, stripe), in one query."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    cond = or_(*(and_(LedgerNode.level == lv, LedgerNode.stripe == st) for lv, st in keys))
    return {
        (r.level, r.stripe): bytes(r.hashes)
        for r in db.execute(select(LedgerNode.level, LedgerNode.stripe, LedgerNode.hashes).where(cond))
    }


def nodes(db: Session, wanted: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """Hashes of complete-subtree nodes (level, index), 32 bytes each read in one statement (a
    primary-key look-up per node); missing ones are left out."""
    wanted = sorted(set(wanted))
    if not wanted:
        return {}
    # One statement whose text depends only on how many nodes are wanted, so the driver's statement
    # cache keeps it prepared (a proof asks for at most ~2 log2 n nodes: a few dozen shapes).
    ph = "?" if _is_sqlite(db) else "%s"
    part = (
        f"SELECT {ph} AS k, substr(hashes, {ph}, {HASH_SIZE}) AS h FROM ledger_node "
        f"WHERE level = {ph} AND stripe = {ph}"
    )
    params: list[int] = []
    for k, (lv, i) in enumerate(wanted):
        params += (k, (i % STRIPE) * HASH_SIZE + 1, lv, i // STRIPE)
    cur = db.connection().connection.driver_connection.cursor()
    cur.execute(" UNION ALL ".join([part] * len(wanted)), params)
    rows = cur.fetchall()
    cur.close()
    return {wanted[k]: bytes(h) for k, h in rows if h is not None and len(h) == HASH_SIZE}


def store_nodes(
    db: Session, new: list[tuple[int, int, bytes]], partial: dict[tuple[int, int], bytes]
) -> None:
    """Write new nodes ``[(level, first_index, hashes)]``; ``partial`` holds the current last stripe
    of each level that grows (read beforehand with ``stripes``)."""
    inserts, updates = [], []
    for level, first, hashes in new:
        stripe, off = divmod(first, STRIPE)
        if off:
            head = partial.get((level, stripe), b"")
            if len(head) != off * HASH_SIZE:
                raise RuntimeError(f"ledger_node stripe ({level}, {stripe}) has the wrong length")
            buf = head + hashes
        else:
            buf = hashes
        for k in range(0, len(buf), STRIPE_BYTES):
            row = {"level": level, "stripe": stripe + k // STRIPE_BYTES, "hashes": buf[k : k + STRIPE_BYTES]}
            (updates if k == 0 and off else inserts).append(row)
    if inserts:
        db.execute(insert(LedgerNode), inserts)
    for row in updates:
        db.execute(
            update(LedgerNode)
            .where(LedgerNode.level == row["level"], LedgerNode.stripe == row["stripe"])
            .values(hashes=row["hashes"])
        )


def iter_stripes(db: Session, level: int) -> Iterator[tuple[int, bytes]]:
    rows = db.execute(
        select(LedgerNode.stripe, LedgerNode.hashes)
        .where(LedgerNode.level == level)
        .order_by(LedgerNode.stripe)
    ).yield_per(1000)
    for r in rows:
        yield r.stripe, bytes(r.hashes)


def node_levels(db: Session) -> list[tuple[int, int, int]]:
    """(level, number of stripes, total bytes) per stored level."""
    rows = db.execute(
        select(LedgerNode.level, func.count(), func.sum(func.length(LedgerNode.hashes)))
        .group_by(LedgerNode.level)
        .order_by(LedgerNode.level)
    )
    return [(r[0], r[1], int(r[2] or 0)) for r in rows]


# -- checkpoints --------------------------------------------------------------------------------
def add_checkpoint(db: Session, *, tree_size: int, root: bytes, note: str, key_id: str, at: datetime) -> int:
    return db.execute(
        insert(LedgerCheckpoint)
        .values(tree_size=tree_size, root=root, note=note, key_id=key_id, created_at=at)
        .returning(LedgerCheckpoint.id)
    ).scalar_one()


class CheckpointRow(NamedTuple):
    id: int
    tree_size: int
    root: bytes
    note: str
    key_id: str


def latest_checkpoint(db: Session, tree_size: int | None = None) -> CheckpointRow | None:
    """The newest checkpoint (of ``tree_size`` when given), read through the driver."""
    ph = "?" if _is_sqlite(db) else "%s"
    where, params = (f"WHERE tree_size = {ph} ", (tree_size,)) if tree_size is not None else ("", ())
    cur = db.connection().connection.driver_connection.cursor()
    cur.execute(
        f"SELECT id, tree_size, root, note, key_id FROM ledger_checkpoint {where}ORDER BY id DESC LIMIT 1",
        params,
    )
    row = cur.fetchone()
    cur.close()
    return None if row is None else CheckpointRow(row[0], row[1], bytes(row[2]), row[3], row[4])


def checkpoint_sizes_around(db: Session, tree_size: int) -> tuple[int | None, int | None]:
    """The largest checkpointed tree size below ``tree_size`` and the smallest above it (None: none)."""
    below = db.scalar(
        select(func.max(LedgerCheckpoint.tree_size)).where(LedgerCheckpoint.tree_size < tree_size)
    )
    above = db.scalar(
        select(func.min(LedgerCheckpoint.tree_size)).where(LedgerCheckpoint.tree_size > tree_size)
    )
    return below, above


def checkpoints(db: Session) -> list[LedgerCheckpoint]:
    return list(db.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.id)).scalars())
