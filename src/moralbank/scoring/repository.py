"""Every query of the scoring capability.

The bulk recompute is one pass over ``ix_ledger_entry_scoring`` grouped by resident: the counting
rules of ``scoring.domain`` written as a WHERE clause, one SUM per aspect and three MINs for the day
the score next changes. Reversal pairs are left to the reference computation (they are rare), so the
pass needs no anti-join. ``tests/integration/scoring`` holds both paths equal on random ledgers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, bindparam, delete, func, select, text, update
from sqlalchemy.orm import Session

from moralbank.db import bulk
from moralbank.ledger.models import LedgerEntry
from moralbank.scoring.domain import ScoreModel
from moralbank.scoring.models import Score, ScoreDistribution, ScoreHistory, ScoreRun

SCORE_COLUMNS = (
    "resident_id",
    "grid_code",
    "aspect_1",
    "aspect_2",
    "aspect_3",
    "aspect_4",
    "total",
    "tier",
    "as_of",
    "policy_version",
    "ledger_seq",
    "run_id",
    "computed_at",
    "next_change",
)
HISTORY_COLUMNS = (
    "resident_id",
    "run_id",
    "as_of",
    "aspect_1",
    "aspect_2",
    "aspect_3",
    "aspect_4",
    "total",
    "tier",
    "policy_version",
    "ledger_seq",
)


CHUNK = 5_000  # resident ids per IN (...) on SQLite (its limit is 32,766 variables)


def _is_sqlite(db: Session) -> bool:
    return db.get_bind().dialect.name == "sqlite"


def aggregate_sql(model: ScoreModel, *, subset: bool) -> Any:
    """The per-resident pass: counted points per aspect, and the earliest effect ends."""
    sums = ",\n  ".join(
        f"SUM(CASE WHEN aspect = :a{i} THEN points ELSE 0 END)" for i in range(len(model.aspects))
    )
    where_subset = "AND resident_id IN :ids" if subset else ""
    sql = f"""
SELECT resident_id,
  {sums},
  MIN(CASE WHEN points > 0 THEN deed_date END),
  MIN(CASE WHEN points < 0 THEN expires_on END),
  MIN(CASE WHEN points < 0 AND expires_on IS NULL THEN deed_date END)
FROM ledger_entry
WHERE {_counted_where(model)} {where_subset}
GROUP BY resident_id"""
    dates = ("as_of", "pos_start", "neg_general", *(f"neg_{i}" for i in range(len(model.negative_months))))
    stmt = text(sql).bindparams(*(bindparam(n, type_=Date) for n in dates))
    if subset:
        stmt = stmt.bindparams(bindparam("ids", expanding=True))
    return stmt


def aggregate(
    db: Session, model: ScoreModel, as_of: date, resident_ids: Sequence[str] | None = None
) -> Iterator[tuple]:
    """Rows ``(resident_id, sum_1 … sum_n, min_positive_deed, min_negative_expiry, min_negative_deed)``
    for residents with counted entries (all of them, or those in ``resident_ids``)."""
    params = _params(db, model, as_of, driver=resident_ids is None)
    if resident_ids is None:
        if _is_sqlite(db):  # the full pass: plain tuples straight from the driver (no Row objects)
            yield from _raw(db, str(aggregate_sql(model, subset=False)), params)
        else:
            yield from db.execute(aggregate_sql(model, subset=False), params)
        return
    ids = list(resident_ids)
    if _is_sqlite(db):  # the incremental pass: plain tuples from the driver, large chunks
        sql = str(aggregate_sql(model, subset=False)).replace("GROUP BY", "AND resident_id IN ({}) GROUP BY")
        params = _params(db, model, as_of)
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            marks = ", ".join(f":id{k}" for k in range(len(chunk)))
            yield from _raw(db, sql.format(marks), {**params, **{f"id{k}": v for k, v in enumerate(chunk)}})
        return
    stmt = aggregate_sql(model, subset=True)
    for i in range(0, len(ids), 500):
        yield from db.execute(stmt, {**params, "ids": ids[i : i + 500]})


# -- the full run's comparison in SQL --------------------------------------------------------------------
# A full run recomputes every resident, but in a settled ledger almost nobody's score changes from one run
# to the next. So the finishing step (caps, clamp, the day the score next changes) is written in SQL over
# the aggregate, and compared there with the stored record: only residents whose record may differ come
# back to Python, which finishes them with ``scoring.domain``'s rules and decides (it is the arbiter;
# the SQL filter may let through a resident whose record turns out equal, never hold back a changed one).


def _dialect(db: Session) -> dict[str, str]:
    if _is_sqlite(db):
        return {"least": "min", "greatest": "max", "distinct": "IS NOT", "none": "'9999-12-31'"}
    return {"least": "LEAST", "greatest": "GREATEST", "distinct": "IS DISTINCT FROM", "none": ""}


def add_months_sql(db: Session, expr: str, months: int) -> str:
    """``domain.add_months(expr, months)`` (clipped to the month's end) as SQL; NULL stays NULL.

    SQLite's ``+N months`` rolls over (01-31 + 1 month = 03-02/03), the month's last day does not: the
    smaller of the two is the clipped day. PostgreSQL's interval arithmetic clips already.
    """
    months = int(months)
    if _is_sqlite(db):
        return (
            f"min(date({expr}, '{months:+d} months'), "
            f"date({expr}, 'start of month', '{months + 1:+d} months', '-1 day'))"
        )
    return f"CAST({expr} + INTERVAL '{months} months' AS DATE)"


def _counted_where(model: ScoreModel, alias: str = "") -> str:
    """The aggregate's WHERE clause: the entry counts on :as_of (reversing entries aside)."""
    t = f"{alias}." if alias else ""
    periods = " ".join(
        f"WHEN {_quote(sev)} THEN :neg_{i}" for i, sev in enumerate(sorted(model.negative_months))
    )
    since = f"CASE {t}severity {periods} ELSE :neg_general END" if periods else ":neg_general"
    return f"""{t}reverses_seq IS NULL
  AND {t}deed_date <= :as_of
  AND (({t}points > 0 AND {t}deed_date > :pos_start)
       OR ({t}points < 0 AND ({t}expires_on > :as_of
            OR ({t}expires_on IS NULL AND {t}deed_date > {since}))))"""


def _quote(v: str) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _params(db: Session, model: ScoreModel, as_of: date, *, driver: bool = True) -> dict[str, Any]:
    """Bind values; ISO text for sqlite3 when the SQL goes to the driver directly (``driver``)."""
    params: dict[str, Any] = {f"a{i}": a.code for i, a in enumerate(model.aspects)}
    params.update(
        as_of=as_of,
        pos_start=model.window_start(as_of),
        neg_general=model.negative_start(as_of, "general"),
        version=model.policy_version,
    )
    for i, sev in enumerate(sorted(model.negative_months)):
        params[f"neg_{i}"] = model.negative_start(as_of, sev)
    if driver and _is_sqlite(db):
        params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    return params


def _run(db: Session, sql: str, params: dict) -> Iterator[tuple]:
    if _is_sqlite(db):
        yield from _raw(db, sql, params)
    else:
        yield from (tuple(r) for r in db.execute(text(sql), params))


STORED = (
    "s.aspect_1, s.aspect_2, s.aspect_3, s.aspect_4, s.total, s.tier, s.next_change, s.policy_version, "
    "s.grid_code"
)


def full_changes(db: Session, model: ScoreModel, as_of: date, *, shortest_months: int) -> Iterator[tuple]:
    """Residents with counted entries whose stored record may differ from what a full run writes.

    Rows ``(resident_id, sum_1 … sum_n, min_positive_deed, min_negative_expiry, min_negative_deed,
    grid, has_record, stored a1 … a4, total, tier, next_change, policy_version, grid)``: the aggregate
    row as ``aggregate`` gives it, the resident's grid (None unless enrolled) and the stored record.
    Residents touched by a reversal pair always come back (Python subtracts the reversed entries).
    ``shortest_months`` is the display period the finishing step uses for negatives without an expiry.
    """
    d = _dialect(db)
    n = len(model.aspects)
    least, greatest, distinct = d["least"], d["greatest"], d["distinct"]
    sums = ",\n  ".join(f"SUM(CASE WHEN aspect = :a{i} THEN points ELSE 0 END) AS s{i}" for i in range(n))
    caps = [
        f"{least}(a.s{i}, {int(a.max_points)})" if a.max_points is not None else f"a.s{i}"
        for i, a in enumerate(model.aspects)
    ] + ["0"] * (4 - n)
    total = f"{greatest}({int(model.min)}, {least}({int(model.max)}, {int(model.base)} + {' + '.join(caps)}))"
    ends = [
        add_months_sql(db, "a.p", model.window_months),
        "a.e",
        add_months_sql(db, "a.g", shortest_months),
    ]
    if d["none"]:  # SQLite's min() is NULL when any argument is: stand in a far day for NULL
        far = d["none"]
        next_change = f"NULLIF(min({', '.join(f'COALESCE({x}, {far})' for x in ends)}), {far})"
    else:
        next_change = f"LEAST({', '.join(ends)})"
    grid = "CASE WHEN r.status = 'enrolled' THEN r.grid_code END"
    differs = " OR ".join(
        [f"s.aspect_{i + 1} <> {c}" for i, c in enumerate(caps)]
        + [
            f"s.total <> {total}",
            f"s.next_change {distinct} {next_change}",
            "s.policy_version <> :version",
            f"s.grid_code {distinct} {grid}",
        ]
    )
    sql = f"""
SELECT a.rid, {", ".join(f"a.s{i}" for i in range(n))}, a.p, a.e, a.g, {grid},
  s.resident_id IS NOT NULL, {STORED}
FROM (
  SELECT resident_id AS rid,
    {sums},
    MIN(CASE WHEN points > 0 THEN deed_date END) AS p,
    MIN(CASE WHEN points < 0 THEN expires_on END) AS e,
    MIN(CASE WHEN points < 0 AND expires_on IS NULL THEN deed_date END) AS g
  FROM ledger_entry
  WHERE {_counted_where(model)}
  GROUP BY resident_id
) a
LEFT JOIN score s ON s.resident_id = a.rid
LEFT JOIN resident r ON r.id = a.rid
WHERE s.resident_id IS NULL
  OR a.rid IN (SELECT t.resident_id FROM ledger_entry t WHERE t.seq IN (
       SELECT v.reverses_seq FROM ledger_entry v WHERE v.reverses_seq IS NOT NULL))
  OR {differs}"""
    yield from _run(db, sql, _params(db, model, as_of))


def full_rest(db: Session, model: ScoreModel, as_of: date, base: tuple) -> Iterator[tuple]:
    """Enrolled residents with nothing counted whose stored record may differ from the base score
    ``base = (a1, a2, a3, a4, total)``: rows ``(resident_id, grid, has_record, stored …)``."""
    d = _dialect(db)
    differs = " OR ".join(
        [f"s.aspect_{i + 1} <> {int(v)}" for i, v in enumerate(base[:4])]
        + [
            f"s.total <> {int(base[4])}",
            "s.next_change IS NOT NULL",
            "s.policy_version <> :version",
            f"s.grid_code {d['distinct']} r.grid_code",
        ]
    )
    sql = f"""
SELECT r.id, r.grid_code, s.resident_id IS NOT NULL, {STORED}
FROM resident r LEFT JOIN score s ON s.resident_id = r.id
WHERE r.status = 'enrolled'
  AND (s.resident_id IS NULL OR {differs})
  AND NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.resident_id = r.id AND {_counted_where(model, "e")})"""
    yield from _run(db, sql, _params(db, model, as_of))


def full_orphans(db: Session, model: ScoreModel, as_of: date) -> list[str]:
    """Stored records of residents who are no longer enrolled and have nothing counted."""
    sql = f"""
SELECT s.resident_id FROM score s
WHERE NOT EXISTS (SELECT 1 FROM resident r WHERE r.id = s.resident_id AND r.status = 'enrolled')
  AND NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.resident_id = s.resident_id
                  AND {_counted_where(model, "e")})"""
    return [r[0] for r in _run(db, sql, _params(db, model, as_of))]


def totals_by_grid(db: Session) -> list[tuple[str | None, int, int]]:
    """(grid, total, residents) over the stored records: the histograms of a full run."""
    return list(_run(db, "SELECT grid_code, total, COUNT(*) FROM score GROUP BY grid_code, total", {}))


def reversed_entries(db: Session) -> list[Any]:
    """Entries another entry reverses and that reverse nothing themselves: the aggregate pass counted
    them (it skips only reversing entries), so the recompute takes them out again. Reversals are rare;
    the partial index finds them without scanning the ledger."""
    e = LedgerEntry
    targets = select(e.reverses_seq).where(e.reverses_seq.isnot(None)).scalar_subquery()
    q = select(
        e.seq,
        e.resident_id,
        e.indicator,
        e.aspect,
        e.points,
        e.deed_date,
        e.source,
        e.reverses_seq,
        e.severity,
        e.expires_on,
    ).where(e.seq.in_(targets), e.reverses_seq.is_(None))
    return list(db.execute(q))


def enrolled_count(db: Session) -> int:
    from moralbank.residents.models import Resident

    return db.scalar(select(func.count()).select_from(Resident).where(Resident.status == "enrolled")) or 0


def _raw(db: Session, sql: str, params: Any) -> Iterator[tuple]:
    """Run SQL on the session's own DBAPI connection (same transaction) and yield plain tuples."""
    cur = db.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql, params)
        while batch := cur.fetchmany(50_000):
            yield from batch
    finally:
        cur.close()


def residents_with_entries_after(db: Session, seq: int) -> set[str]:
    # No DISTINCT: with it SQLite scans the whole covering index ix_ledger_entry_scoring (which yields
    # residents in order) instead of reading the few new rows by their seq (the rowid).
    return set(db.scalars(select(LedgerEntry.resident_id).where(LedgerEntry.seq > seq)))


def ledger_size(db: Session) -> int:
    return db.scalar(select(func.coalesce(func.max(LedgerEntry.seq), 0))) or 0


def residents_due(db: Session, as_of: date) -> set[str]:
    """Residents whose score may change today with no new entries."""
    return set(db.scalars(select(Score.resident_id).where(Score.next_change <= as_of)))


def last_run(db: Session) -> ScoreRun | None:
    return db.scalars(
        select(ScoreRun).where(ScoreRun.finished_at.isnot(None)).order_by(ScoreRun.id.desc()).limit(1)
    ).first()


def add_run(db: Session, run: ScoreRun) -> ScoreRun:
    db.add(run)
    db.flush()
    return run


def current(db: Session, resident_ids: Sequence[str]) -> dict[str, tuple]:
    """Stored scores as ``resident_id → (a1, a2, a3, a4, total, tier, next_change, policy_version, grid)``."""
    cols = (
        Score.resident_id,
        Score.aspect_1,
        Score.aspect_2,
        Score.aspect_3,
        Score.aspect_4,
        Score.total,
        Score.tier,
        Score.next_change,
        Score.policy_version,
        Score.grid_code,
    )
    out: dict[str, tuple] = {}
    ids = list(resident_ids)
    if _is_sqlite(db):  # plain tuples from the driver, dates parsed once per distinct day
        days: dict[Any, date | None] = {None: None}
        names = ", ".join(c.key for c in cols)
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            sql = f"SELECT {names} FROM score WHERE resident_id IN ({', '.join('?' * len(chunk))})"
            for r in _raw(db, sql, chunk):
                d = days.get(r[7])
                if d is None and r[7] is not None:
                    d = days[r[7]] = date.fromisoformat(r[7][:10])
                out[r[0]] = (*r[1:7], d, r[8], r[9])
        return out
    for i in range(0, len(ids), 500):
        for r in db.execute(select(*cols).where(Score.resident_id.in_(ids[i : i + 500]))):
            out[r[0]] = tuple(r[1:])
    return out


def get(db: Session, resident_id: str) -> Score | None:
    return db.get(Score, resident_id)


def history(db: Session, resident_id: str, limit: int = 200) -> list[ScoreHistory]:
    q = (
        select(ScoreHistory)
        .where(ScoreHistory.resident_id == resident_id)
        .order_by(ScoreHistory.id.desc())
        .limit(limit)
    )
    return list(reversed(db.scalars(q).all()))


def _executemany(db: Session, sql: str, rows: list[tuple]) -> None:
    """Many rows through the driver directly: 3-4x faster than ORM inserts (benchmarks/README.md)."""
    if not rows:
        return
    conn = db.connection()
    if _is_sqlite(db):
        conn.connection.driver_connection.executemany(sql.replace("%s", "?"), rows)  # type: ignore[union-attr]
    else:
        with conn.connection.driver_connection.cursor() as cur:  # type: ignore[union-attr]
            cur.executemany(sql, rows)


def _for_driver(
    db: Session, rows: list[tuple], dates: tuple[int, ...], times: tuple[int, ...]
) -> list[tuple]:
    """sqlite3 gets ISO text for dates and naive UTC text for times, exactly as SQLAlchemy stores them;
    psycopg takes the Python values. Values repeat a lot (one day, one run time), so they are memoised."""
    if not rows or not _is_sqlite(db):
        return rows
    memo: dict[Any, Any] = {None: None}

    def text(v: Any) -> Any:
        t = memo.get(v)
        if t is None and v is not None:
            t = memo[v] = (
                v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
                if isinstance(v, datetime)
                else v.isoformat()
            )
        return t

    positions = sorted(dates + times)
    out = []
    for r in rows:
        r = list(r)
        for i in positions:
            r[i] = text(r[i])
        out.append(r)
    return out


def upsert_scores(db: Session, rows: list[tuple], *, fresh: set[str]) -> None:
    """Write score rows (in ``SCORE_COLUMNS`` order): INSERT for residents in ``fresh``, else UPDATE."""
    db.flush()
    rows = _for_driver(db, rows, dates=(8, 13), times=(12,))
    inserts = [r for r in rows if r[0] in fresh]
    updates = [(*r[1:], r[0]) for r in rows if r[0] not in fresh]
    cols = ", ".join(SCORE_COLUMNS)
    marks = ", ".join(["%s"] * len(SCORE_COLUMNS))
    _executemany(db, f"INSERT INTO score ({cols}) VALUES ({marks})", inserts)
    sets = ", ".join(f"{c} = %s" for c in SCORE_COLUMNS[1:])
    _executemany(db, f"UPDATE score SET {sets} WHERE resident_id = %s", updates)


def add_history(db: Session, rows: list[tuple]) -> None:
    cols = ", ".join(HISTORY_COLUMNS)
    marks = ", ".join(["%s"] * len(HISTORY_COLUMNS))
    _executemany(
        db,
        f"INSERT INTO score_history ({cols}) VALUES ({marks})",
        _for_driver(db, rows, dates=(2,), times=()),
    )


def delete_scores(db: Session, resident_ids: Iterable[str]) -> None:
    ids = list(resident_ids)
    for i in range(0, len(ids), 500):
        db.execute(delete(Score).where(Score.resident_id.in_(ids[i : i + 500])))


def distributions(db: Session, unit_codes: Iterable[str]) -> dict[str, ScoreDistribution]:
    codes = list(unit_codes)
    return {
        d.unit_code: d
        for d in db.scalars(select(ScoreDistribution).where(ScoreDistribution.unit_code.in_(codes)))
    }


def histograms(db: Session, unit_codes: Iterable[str]) -> dict[str, dict]:
    """``unit_code → histogram`` (Core rows: no ORM objects for an incremental run's many units)."""
    d = ScoreDistribution.__table__
    codes = list(unit_codes)
    out: dict[str, dict] = {}
    for i in range(0, len(codes), 500):
        q = select(d.c.unit_code, d.c.histogram).where(d.c.unit_code.in_(codes[i : i + 500]))
        out.update((code, hist) for code, hist in db.execute(q))
    return out


def update_histograms(db: Session, rows: list[dict]) -> None:
    """Rows ``{"u": unit_code, "histogram": …, "residents": …, "run_id": …}``: one executemany."""
    if not rows:
        return
    d = ScoreDistribution.__table__
    db.execute(
        update(d)
        .where(d.c.unit_code == bindparam("u"))
        .values(
            histogram=bindparam("histogram"), residents=bindparam("residents"), run_id=bindparam("run_id")
        ),
        rows,
    )


def replace_distributions(db: Session, rows: list[dict]) -> None:
    """Replace every unit's histogram (one bulk INSERT)."""
    db.execute(delete(ScoreDistribution))
    if rows:  # on the driver: the ORM's bulk insert spends more on parameters than the database does
        bulk.insert_rows(db.connection(), ScoreDistribution.__table__, rows)
