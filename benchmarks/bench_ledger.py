"""Ledger: append 8,000,000 entries through ``ledger.service.post`` with everything persisted (entry
rows, Merkle nodes, one signed checkpoint per batch) on the embedded default (SQLite, WAL), then
measure inclusion-proof latency and the full ``ledger verify`` audit.

Baseline, measured in the same run: hashing the same canonical leaves and computing the same RFC 9162
root in memory with hashlib (``merkle.leaf_hashes`` + ``merkle.root_of``). Targets: append time
≤ 3× the baseline; proof p99 ≤ 2 ms (recorded as a ratio to 2 ms), measured twice: cold (as the run
leaves the disk cache) and warm (after the database files are read once; the goal's figure).

A second baseline shows the floor of the storage alone: the same 16-column rows (prepared before the
clock starts) inserted with plain ``sqlite3`` ``executemany`` into a second database with the same
schema (the same indexes, WAL, synchronous=NORMAL, the same 1 GiB bulk page cache), one transaction
per batch of 100,000 — no leaves, no nodes, no checkpoints. A third figure stores the same rows with
no secondary index at all (scoring's covering index dropped): the cost of the rows alone.

Then the same on PostgreSQL (the deployment a city runs; ``MORALBANK_TEST_PG_URL``, default the local
server's database ``test``, in a schema of its own; left out with a note when no server answers):
the same batches through ``post`` (entries by binary COPY), the same in-memory baseline, and as its
storage floor the same rows COPied into a second schema with the same tables and indexes.

Run alone: ``python benchmarks/bench_ledger.py [--quick] [--backends sqlite,postgresql]``.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import UTC, date, timedelta
from pathlib import Path

from moralbank.bootstrap import bootstrap
from moralbank.config import Settings
from moralbank.db.engine import make_engine
from moralbank.db.models import Base
from moralbank.kernel.ids import new_pseudonym
from moralbank.ledger import domain, merkle, repository, service
from moralbank.ledger.domain import NewEntry

FULL, QUICK = 8_000_000, 200_000
PG_URL = os.environ.get("MORALBANK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BATCH = 100_000
ASPECTS = ("social_morality", "professional_ethics", "family_virtue", "personal_conduct")


def _batches(n: int, rng: random.Random):  # noqa: ANN202 - a generator of NewEntry lists
    residents = [new_pseudonym(rng=rng) for _ in range(min(600_000, max(1000, n // 13)))]
    indicators = [(f"{a[:2].upper()}{i:02d}", a) for a in ASPECTS for i in range(1, 6)]
    reasons = ["志愿服务 2 小时", "调解邻里纠纷", "垃圾分类示范", "拾金不昧", "按时缴纳社保", "逾期未缴费用"]
    actors = [f"user:{i}" for i in range(200)] + [f"feed:{n}" for n in ("tax", "social-security", "court")]
    day0 = date(2025, 1, 1)
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        batch = []
        for _ in range(size):
            ind, aspect = rng.choice(indicators)
            pts = rng.choice((1, 2, 3, 5, 5, 10, -2, -5))
            batch.append(
                NewEntry(
                    resident_id=rng.choice(residents),
                    indicator=ind,
                    aspect=aspect,
                    points=pts,
                    deed_date=day0 + timedelta(days=rng.randrange(690)),
                    source="evaluation" if pts > 0 else "department",
                    actor=rng.choice(actors),
                    policy_version="2026.1",
                    reason=rng.choice(reasons),
                    source_ref=f"DEED-{done + len(batch)}" if rng.random() < 0.3 else None,
                    evidence=(f"file:{rng.randrange(10**6)}",) if rng.random() < 0.2 else (),
                )
            )
        done += size
        yield batch


def _rows(posted: list) -> list[tuple]:
    """The 16 column values of each entry as the ledger stores them on SQLite."""
    return [
        (
            e.seq,
            e.resident_id,
            e.indicator,
            e.aspect,
            e.points,
            e.deed_date.isoformat(),
            e.recorded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
            e.source,
            e.actor,
            e.policy_version,
            e.reason,
            e.source_ref,
            json.dumps(list(e.evidence)),
            e.reverses_seq,
            e.severity,
            None if e.expires_on is None else e.expires_on.isoformat(),
        )
        for e in posted
    ]


def _proof_latencies(c, n: int, rng: random.Random) -> list[float]:  # noqa: ANN001 - a Container
    """Seconds per inclusion proof of 2,000 random entries (after 50 unmeasured), sorted."""
    lat = []
    with c.uow(write=False) as uow:
        for _ in range(50):
            service.inclusion_proof(uow, seq=rng.randrange(1, n + 1))
        for _ in range(2000):
            seq = rng.randrange(1, n + 1)
            t = time.perf_counter()
            service.inclusion_proof(uow, seq=seq)
            lat.append(time.perf_counter() - t)
    return sorted(lat)


def _p99(sorted_lat: list[float]) -> float:
    return sorted_lat[int(len(sorted_lat) * 0.99) - 1]


def _report_append(report, n: int, post_s: float, base_s: float, *, prefix: str = "") -> None:  # noqa: ANN001
    """The append's rate and its ratio to the in-memory root of the same leaves (the 3× goal)."""
    report.figure(
        f"{prefix}append rate", n / post_s, "entries/s", note=f"{n:,} entries, batches of {BATCH:,}"
    )
    report.figure(f"{prefix}in-memory RFC 9162 root of the same leaves (hashlib)", base_s, "s")
    report.ratio(
        f"{prefix}append with everything persisted vs in-memory root",
        post_s,
        base_s,
        goal=3.0,
        higher_is_better=False,
        unit="s",
    )


def _report_proofs(report, c, n: int, rng: random.Random, *, prefix: str = "", note: str = "") -> None:  # noqa: ANN001
    """Proof latency of 2,000 random entries: p50, and p99 against the 2 ms goal."""
    lat = _proof_latencies(c, n, rng)
    report.figure(f"{prefix}inclusion proof latency p50", statistics.median(lat) * 1000, "ms", note=note)
    report.ratio(
        f"{prefix}inclusion proof latency p99 vs 2 ms",
        _p99(lat) * 1000,
        2.0,
        goal=1.0,
        higher_is_better=False,
        unit="ms",
        note=f"{note + '; ' if note else ''}tree of {n:,}, 2000 random entries, entry + checkpoint + nodes",
    )


def _report_verify(report, c, name: str) -> None:  # noqa: ANN001
    """The full audit of the store, timed; it must find nothing."""
    t = time.perf_counter()
    with c.uow(write=False) as uow:
        audit = service.audit(uow)
    verify_s = time.perf_counter() - t
    assert audit.ok, audit.findings[:5]
    report.figure(name, verify_s, "s", note=f"{audit.entries:,} entries, {audit.checkpoints} checkpoints")


def run(report, quick: bool = False, backends: tuple[str, ...] = ("sqlite", "postgresql")) -> None:  # noqa: ANN001 - benchmarks/run.py's Report
    if "sqlite" in backends:
        _run_sqlite(report, quick)
    if "postgresql" in backends:
        _run_postgresql(report, quick)


def _run_sqlite(report, quick: bool) -> None:  # noqa: ANN001
    n = QUICK if quick else FULL
    work = Path(report.workdir) / "ledger"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{work / 'ledger.db'}")
    Base.metadata.create_all(engine)
    c = bootstrap(Settings(data_dir=work), engine=engine, migrate=False)
    rng = random.Random(2012)

    raw_path = work / "raw.db"
    raw_engine = make_engine(f"sqlite:///{raw_path}")
    Base.metadata.create_all(raw_engine)  # the same tables, indexes and triggers
    raw_engine.dispose()
    raw = sqlite3.connect(raw_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute(f"PRAGMA cache_size = -{repository.SQLITE_BULK_CACHE_KIB}")
    raw_sql = (
        f"INSERT INTO ledger_entry ({', '.join(repository.ENTRY_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(repository.ENTRY_COLUMNS))})"
    )
    # A third database: the same rows with no secondary index at all (scoring's covering index, which
    # leads with resident_id, dropped): what storing the entries costs before anything is indexed.
    bare_path = work / "bare.db"
    shutil.copyfile(raw_path, bare_path)
    bare = sqlite3.connect(bare_path, isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=NORMAL")
    bare.execute(f"PRAGMA cache_size = -{repository.SQLITE_BULK_CACHE_KIB}")
    bare.execute("DROP INDEX ix_ledger_entry_scoring")

    post_s = base_s = raw_s = bare_s = 0.0
    hashes = bytearray()
    for batch in _batches(n, rng):
        t = time.perf_counter()
        with c.uow() as uow:
            posted = service.post(uow, batch)
            uow.commit()
        post_s += time.perf_counter() - t
        leaves = domain.encode_leaves(posted)  # the same leaves, for the baseline (not timed)
        t = time.perf_counter()
        hashes += merkle.leaf_hashes(leaves)
        base_s += time.perf_counter() - t
        rows = _rows(posted)  # the same rows, for the storage floor (not timed)
        t = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany(raw_sql, rows)
        raw.execute("COMMIT")
        raw_s += time.perf_counter() - t
        t = time.perf_counter()
        bare.execute("BEGIN IMMEDIATE")
        bare.executemany(raw_sql, rows)
        bare.execute("COMMIT")
        bare_s += time.perf_counter() - t
        del leaves, posted, rows
        print(f"\r  posted {len(hashes) // 32:,} entries", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    t = time.perf_counter()
    root = merkle.root_of(bytes(hashes))
    base_s += time.perf_counter() - t
    del hashes
    with c.uow(write=False) as uow:
        cp = service.latest_checkpoint(uow)
    assert cp.tree_size == n and cp.root == root, "the stored tree disagrees with the in-memory root"
    report.figure("entries appended", n, "entries", note=f"batches of {BATCH:,}, one checkpoint each")
    _report_append(report, n, post_s, base_s)
    report.figure(
        "storage floor: raw sqlite3 executemany of the same rows, same indexes",
        raw_s,
        "s",
        note=f"{n / raw_s:,.0f} rows/s; append / floor = {post_s / raw_s:.2f}, floor / in-memory root = "
        f"{raw_s / base_s:.1f}",
    )
    report.figure(
        "rows alone: raw sqlite3 executemany of the same rows, no secondary index",
        bare_s,
        "s",
        note=f"{n / bare_s:,.0f} rows/s; {bare_s / base_s:.1f}× the in-memory root: storing the 16-column "
        "rows at all, before any index, leaves and nodes",
    )
    raw.close()
    bare.close()
    # The baselines' databases are done with: removed, their unwritten pages are dropped, not flushed.
    raw_mib = sum(p.stat().st_size for p in work.glob("raw.db*")) / 2**20
    for p in [*work.glob("raw.db*"), *work.glob("bare.db*")]:
        p.unlink()

    # Proof latency twice, 2,000 random entries each. Cold: as the run leaves the disk cache (this VM
    # reclaims pages not touched for a while, so many reads go to its disk: that measures the disk).
    # Warm: after the database files are read once, as on a server whose memory holds its database.
    # The goal is judged on the warm figure; both are reported.
    cold = _proof_latencies(c, n, rng)
    report.figure(
        "inclusion proof latency p50, cold cache",
        cold[len(cold) // 2] * 1000,
        "ms",
        note=f"p99 {_p99(cold) * 1000:.2f} ms",
    )
    for p in work.glob("ledger.db*"):
        with p.open("rb") as f:
            while f.read(1 << 24):
                pass
    _report_proofs(report, c, n, rng, note="warm")
    _report_verify(report, c, "full `ledger verify` (every leaf, node and checkpoint)")
    report.figure("database size", sum(p.stat().st_size for p in work.glob("ledger.db*")) / 2**20, "MiB")
    report.figure("raw floor database size", raw_mib, "MiB")
    engine.dispose()
    shutil.rmtree(work, ignore_errors=True)


def _pg_schema(schema: str):  # noqa: ANN202 - an Engine on a fresh schema with every table
    from sqlalchemy import text

    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    Base.metadata.create_all(engine)
    return engine


def _drop_pg_schemas(*schemas: str) -> None:
    from sqlalchemy import text

    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _run_postgresql(report, quick: bool) -> None:  # noqa: ANN001
    """The same append, baseline, proofs and audit on PostgreSQL; the storage floor is the same rows
    COPied (binary, as ``post`` sends them) into a second schema with the same tables and indexes."""
    import psycopg

    from moralbank.db.bulk import copy_rows
    from moralbank.ledger.models import LedgerEntry

    try:
        with psycopg.connect(PG_URL.replace("postgresql+psycopg", "postgresql"), connect_timeout=3):
            pass
    except psycopg.OperationalError as e:
        report.figure("postgresql: not measured", 0, "", note=f"no server at {PG_URL}: {e}".splitlines()[0])
        return
    n = QUICK if quick else FULL
    work = Path(report.workdir) / "ledger-pg"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    engine = _pg_schema("bench_ledger")
    raw_engine = _pg_schema("bench_ledger_floor")
    c = bootstrap(Settings(data_dir=work), engine=engine, migrate=False)
    rng = random.Random(2012)
    post_s = base_s = raw_s = 0.0
    hashes = bytearray()
    table, columns = LedgerEntry.__table__, repository.ENTRY_COLUMNS
    with raw_engine.connect() as floor_conn:
        floor = floor_conn.connection.driver_connection
        for batch in _batches(n, rng):
            t = time.perf_counter()
            with c.uow() as uow:
                posted = service.post(uow, batch)
                uow.commit()
            post_s += time.perf_counter() - t
            leaves = domain.encode_leaves(posted)
            t = time.perf_counter()
            hashes += merkle.leaf_hashes(leaves)
            base_s += time.perf_counter() - t
            rows = [(*e[:12], json.dumps(list(e[12])), *e[13:]) for e in posted]
            t = time.perf_counter()
            copy_rows(floor, table, columns, rows)
            floor.commit()
            raw_s += time.perf_counter() - t
            del leaves, posted, rows
            print(
                f"\r  postgresql: posted {len(hashes) // 32:,} entries", end="", file=sys.stderr, flush=True
            )
    print(file=sys.stderr)
    raw_engine.dispose()
    t = time.perf_counter()
    root = merkle.root_of(bytes(hashes))
    base_s += time.perf_counter() - t
    del hashes
    with c.uow(write=False) as uow:
        cp = service.latest_checkpoint(uow)
    assert cp.tree_size == n and cp.root == root, "the stored tree disagrees with the in-memory root"
    _report_append(report, n, post_s, base_s, prefix="postgresql: ")
    report.figure(
        "postgresql: storage floor: binary COPY of the same rows, same indexes",
        raw_s,
        "s",
        note=f"{n / raw_s:,.0f} rows/s; append / floor = {post_s / raw_s:.2f}, floor / in-memory root = "
        f"{raw_s / base_s:.1f}",
    )
    _drop_pg_schemas("bench_ledger_floor")
    _report_proofs(report, c, n, rng, prefix="postgresql: ")
    _report_verify(report, c, "postgresql: full `ledger verify`")
    engine.dispose()
    _drop_pg_schemas("bench_ledger")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import Report  # type: ignore[import-not-found]

    workdir = Path(__file__).resolve().parent / "work"
    workdir.mkdir(exist_ok=True)
    r = Report(workdir=workdir, bench="ledger")
    chosen = ("sqlite", "postgresql")
    if "--backends" in sys.argv:
        chosen = tuple(sys.argv[sys.argv.index("--backends") + 1].split(","))
    run(r, quick="--quick" in sys.argv, backends=chosen)
