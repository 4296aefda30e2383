"""A year of department data, imported end to end: parse, validate, resolve the person, dedupe, map to
indicators, hand to evaluation, post to the ledger with its Merkle log — on SQLite and PostgreSQL,
against raw ``sqlite3`` executemany of the same rows (CSV parsed, into a table with a unique index on
(interface, record id)) in the same run. The import runs in its own process (spawned after the set-up),
whose own peak RSS (``VmHWM``, see ``_peak_rss``) is the importer's memory.

Goal (issue 5): import rate ≥ 0.5 × the raw rate; peak memory < 1 GB whatever the file size.
Full size: 8,000,000 records over the 18 interfaces for 600,000 residents. ``--quick``: 50,000 records
for 5,000 residents. ``--records N --residents N`` for anything between (through ``run.py``:
``MORALBANK_BENCH_FEEDS_RECORDS`` / ``MORALBANK_BENCH_FEEDS_RESIDENTS``).

    python benchmarks/bench_feeds.py [--quick] [--records N] [--residents N] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

FULL = {"residents": 600_000, "records": 8_000_000}
QUICK = {"residents": 5_000, "records": 50_000}
GOAL_RATIO = 0.5
GOAL_PEAK_MB = 1024
PG_URL = os.environ.get("MORALBANK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = date(2026, 11, 25)


def _engine(kind: str, workdir: Path) -> Any:
    from moralbank.db.engine import make_engine

    if kind == "sqlite":
        return make_engine(f"sqlite:///{workdir / kind / 'moralbank.db'}")
    return make_engine(PG_URL, connect_args={"options": "-csearch_path=bench_feeds"})


def _open(kind: str, workdir: Path) -> Any:
    """The benchmark's container on an existing database (the importing child process opens its own)."""
    from datetime import datetime

    from moralbank.bootstrap import bootstrap
    from moralbank.config import Settings
    from moralbank.kernel.clock import CHINA, FixedClock

    clock = FixedClock(datetime(2026, 11, 25, 10, 0, tzinfo=CHINA))
    return bootstrap(
        Settings(data_dir=workdir / kind),
        engine=_engine(kind, workdir),
        clock=clock,
        migrate=False,
        rng=random.Random(1),
    )


def _container(kind: str, workdir: Path) -> Any:
    from sqlalchemy import text

    from moralbank.db.engine import make_engine
    from moralbank.db.models import Base

    data = workdir / kind
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    if kind != "sqlite":
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS bench_feeds CASCADE"))
            conn.execute(text("CREATE SCHEMA bench_feeds"))
        admin.dispose()
    engine = _engine(kind, workdir)
    Base.metadata.create_all(engine)
    engine.dispose()
    return _open(kind, workdir)


def _city(c: Any, residents_n: int, workdir: Path) -> list[str]:
    """The organisation tree of the demo city and ``residents_n`` residents; 90 % consented to every
    interface that needs it. Returns their ID numbers."""
    from moralbank.auth.domain import SYSTEM
    from moralbank.demo import city
    from moralbank.feeds import service as feeds
    from moralbank.orgs import service as orgs
    from moralbank.policy import service as policy
    from moralbank.residents import service as residents

    with c.uow() as uow:
        policy.ensure_installed(uow)
        orgs.import_file(uow, source=city.townships_file(), filename="yuyao_townships.csv", actor="bench")
        orgs.import_rows(uow, rows=city.unit_rows(7), actor="bench")
        uow.commit()
        grids = sorted(orgs.open_grids(uow))
    rows = city.resident_rows(7, grids, residents_n, TODAY)
    numbers = [r["id_number"] for _, r in rows]
    with c.uow() as uow:  # the bulk enrolment path (a worker process prepares batches, as in bench_enrol)
        residents.enrol_rows(
            uow, rows=rows, principal=SYSTEM, consent_text_version="bench", rng=random.Random(2)
        )
        uow.commit()
    del rows
    needing = [i.name for i in feeds.list_interfaces() if i.consent_required]
    rng = random.Random(3)
    with c.uow() as uow:
        ids = [x["id"] for x in residents.list_ids(uow)]
    for start in range(0, len(ids), 50_000):  # 600,000 x 12 consent rows: a chunk of residents at a time
        with c.uow() as uow:
            residents.record_consents(
                uow,
                records=(
                    (rid, "interface", name, True)
                    for rid in ids[start : start + 50_000]
                    if rng.random() < 0.9
                    for name in needing
                ),
                text_version="bench",
                actor="bench",
            )
            uow.commit()
    return numbers


def _write_file(args: tuple[str, Path, list[str], int]) -> None:
    from moralbank.feeds import samples
    from moralbank.feeds import service as feeds

    name, path, numbers, n = args
    tmp = path.with_suffix(".tmp.csv")
    iface = feeds.get_interface(name)
    samples.write(tmp, iface, samples.rows(iface, numbers, n, seed=11, today=TODAY, bad=n // 1000))
    tmp.replace(path)


def _files(workdir: Path, numbers: list[str], records: int) -> list[tuple[str, Path, int]]:
    """One CSV per interface, records split evenly; 0.1 % deliberately bad rows. Cached by size;
    written by two processes."""
    import multiprocessing

    from moralbank.feeds import service as feeds

    out = []
    ifaces = feeds.list_interfaces()
    per = records // len(ifaces)
    folder = workdir / f"files-{records}-{len(numbers)}"
    folder.mkdir(parents=True, exist_ok=True)
    todo = []
    for i, iface in enumerate(ifaces):
        n = per + (records - per * len(ifaces) if i == 0 else 0)
        path = folder / f"{iface.name}.csv"
        if not path.exists():
            todo.append((iface.name, path, numbers, n))
        out.append((iface.name, path, n))
    if len(todo) > 1 and records >= 200_000:
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            pool.map(_write_file, todo, chunksize=1)
    else:
        for t in todo:
            _write_file(t)
    return out


def _baseline(files: list[tuple[str, Path, int]], workdir: Path) -> float:
    """Raw sqlite3 executemany of the same rows (CSV parsed) into one table, unique on (interface,
    record id); one transaction, WAL, synchronous=NORMAL. Returns rows/s."""
    db = workdir / "baseline.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE feed_raw (id INTEGER PRIMARY KEY, interface TEXT, record_id TEXT, id_number TEXT, "
        "deed_date TEXT, payload TEXT, UNIQUE (interface, record_id))"
    )
    total = 0
    t0 = time.perf_counter()
    con.execute("BEGIN")
    for name, path, _ in files:
        with open(path, encoding="utf-8", errors="replace", newline="") as f:  # bad-encoding sample rows
            reader = csv.reader(f)
            header = next(reader)
            rid, idn = header.index("record_id"), header.index("id_number") if "id_number" in header else 2

            def rows(reader: Any = reader, name: str = name, rid: int = rid, idn: int = idn) -> Any:
                for cells in reader:
                    yield (
                        name,
                        cells[rid],
                        cells[idn] if idn < len(cells) else "",
                        cells[2] if len(cells) > 2 else "",
                        ",".join(cells),
                    )

            before = con.total_changes
            con.executemany(
                "INSERT OR IGNORE INTO feed_raw (interface, record_id, id_number, deed_date, payload) "
                "VALUES (?, ?, ?, ?, ?)",
                rows(),
            )
            total += con.total_changes - before
    con.execute("COMMIT")
    seconds = time.perf_counter() - t0
    con.close()
    return total / seconds


def _peak_rss() -> int:
    """This process's own peak resident set in bytes: ``VmHWM`` from ``/proc/self/status``.

    Not ``ru_maxrss``: Linux copies the parent's high-water mark into a forked child and keeps it
    through ``exec``, so a child spawned by a parent that once held 866 MB (the set-up enrolling
    600,000 residents) reports at least 866 MB before it has imported a row. ``ru_maxrss`` is the
    fallback where there is no ``/proc``."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _import(kind: str, workdir: Path, files: list[tuple[str, Path, int]]) -> dict[str, float]:
    """Import every file end to end in this process, with the progress bar (rows/s); returns the
    counts, the time, the time inside evaluation and this process's own peak RSS (``_peak_rss``)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from moralbank.cli.feeds import RateColumn
    from moralbank.feeds import service as feeds
    from moralbank.feeds.importer import import_file

    c = _open(kind, workdir)
    spent = {"evaluation": 0.0}
    original = feeds._propose_many

    def timed(*a: Any, **k: Any) -> Any:
        t = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            spent["evaluation"] += time.perf_counter() - t

    feeds._propose_many = timed  # type: ignore[assignment]
    totals = {"received": 0, "accepted": 0, "quarantined": 0, "held_for_consent": 0, "duplicates": 0}
    plain = {"rows": 0, "seconds": 0.0}  # interfaces whose records earn no points: the feeds path alone
    no_rules = {i.name for i in feeds.list_interfaces() if not i.rules}
    columns = (
        TextColumn(f"[bold]{kind}" + " {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows"),
        RateColumn(),
        TimeElapsedColumn(),
    )
    try:
        with Progress(*columns, transient=False) as bar:
            everything = bar.add_task("all 18 interfaces", total=sum(n for _, _, n in files))
            t0 = time.perf_counter()
            for name, path, n in files:
                task = bar.add_task(name, total=n)
                t1 = time.perf_counter()

                def advance(k: int, t: Any = task) -> None:
                    bar.advance(t, k)
                    bar.advance(everything, k)

                r = import_file(c, interface=name, path=path, actor="bench", progress=advance)
                bar.remove_task(task)
                took = time.perf_counter() - t1
                bar.console.print(
                    f"{kind} {name}: {r.counts.received:,} rows in {took:,.1f} s "
                    f"({r.counts.received / took:,.0f} rows/s), {r.counts.accepted:,} accepted; "
                    f"peak RSS so far {_peak_rss() / 2**20:,.0f} MB"
                )
                if name in no_rules:
                    plain["rows"] += r.counts.received
                    plain["seconds"] += time.perf_counter() - t1
                for key in totals:
                    totals[key] += getattr(r.counts, key)
            seconds = time.perf_counter() - t0
    finally:
        feeds._propose_many = original  # type: ignore[assignment]
    c.engine.dispose()
    return {
        **totals,
        "seconds": seconds,
        "evaluation_seconds": spent["evaluation"],
        "peak_rss": _peak_rss(),
        "plain_rate": plain["rows"] / plain["seconds"] if plain["seconds"] else 0.0,
    }


def _import_in_child(kind: str, workdir: Path, files: list[tuple[str, Path, int]]) -> dict[str, float]:
    """``_import`` in a fresh process, so its peak RSS is the importer's alone (not the set-up's)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_import, (kind, workdir, files))


def _ledger_bulk(c: Any, n: int, batch: int = 5000) -> float:
    """What ``ledger.service.post`` does with large batches (rows/s): the bound a batched evaluation
    path could reach (the import hands each batch to evaluation.propose_from_records, one post each)."""
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry
    from moralbank.residents import service as residents

    with c.uow(write=False) as uow:
        ids = [x["id"] for x in residents.list_ids(uow, limit=5000)]
    t0 = time.perf_counter()
    for start in range(0, n, batch):
        entries = [
            NewEntry(
                resident_id=ids[i % len(ids)],
                indicator="SM02",
                aspect="SM",
                points=5,
                deed_date=TODAY,
                source="department",
                actor="feed:blood_donation",
                policy_version="1",
                reason="无偿献血（部门数据自动评价）",
                source_ref=f"bench:{i}",
            )
            for i in range(start, min(n, start + batch))
        ]
        with c.uow() as uow:
            ledger.post(uow, entries)
            uow.commit()
    return n / (time.perf_counter() - t0)


def measure(kind: str, size: dict[str, int], workdir: Path, files_cache: dict[str, Any]) -> dict[str, Any]:
    c = _container(kind, workdir)
    t0 = time.perf_counter()
    numbers = _city(c, size["residents"], workdir)
    setup = time.perf_counter() - t0
    print(f"{kind}: {size['residents']:,} residents enrolled and consented in {setup:,.0f} s", flush=True)
    if "files" not in files_cache:
        t0 = time.perf_counter()
        files_cache["files"] = _files(workdir, numbers, size["records"])
        files_cache["generate_seconds"] = time.perf_counter() - t0
    del numbers
    c.engine.dispose()
    result = _import_in_child(kind, workdir, files_cache["files"])
    result["ledger_bulk_rate"] = _ledger_bulk(c, min(size["records"], 200_000))
    c.engine.dispose()
    return {**result, "setup_seconds": setup}


def run(
    report: Any,
    quick: bool = False,
    *,
    size: dict[str, int] | None = None,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
) -> None:
    if size is None and not quick:  # `run.py` at a size between quick and the whole year
        size = {k: int(os.environ.get(f"MORALBANK_BENCH_FEEDS_{k.upper()}", v)) for k, v in FULL.items()}
    size = size or (QUICK if quick else FULL)
    workdir = Path(getattr(report, "workdir", tempfile.gettempdir())) / "feeds"
    workdir.mkdir(parents=True, exist_ok=True)
    cache: dict[str, Any] = {}
    results = {}
    for kind in backends:
        try:
            results[kind] = measure(kind, size, workdir, cache)
        except Exception as e:  # noqa: BLE001 - e.g. no PostgreSQL server: say so, go on
            report.figure(f"{kind}: not measured", 0, "", note=f"{type(e).__name__}: {e}"[:200])
    records = size["records"]
    report.figure(f"generate {records:,} records (18 CSV files)", cache.get("generate_seconds", 0), "s")
    baseline = _baseline(cache["files"], workdir) if "files" in cache else 0.0
    report.figure("raw sqlite3 executemany of the same rows", baseline, "rows/s")
    for kind, r in results.items():
        rate = r["received"] / r["seconds"]
        report.figure(
            f"{kind}: import end to end",
            r["seconds"],
            "s",
            note=f"{r['received']:,} received, {r['accepted']:,} accepted, {r['quarantined']:,} quarantined, "
            f"{r['held_for_consent']:,} held",
        )
        report.figure(f"{kind}: import rate", rate, "rows/s")
        report.figure(
            f"{kind}: time inside evaluation.propose_from_records (incl. ledger post)",
            r["evaluation_seconds"],
            "s",
            note=f"{r['evaluation_seconds'] / r['seconds']:.0%} of the import",
        )
        report.figure(
            f"{kind}: peak RSS of the importing process (VmHWM)",
            r["peak_rss"] / 2**20,
            "MB",
            note=f"{r['setup_seconds']:,.0f} s to enrol the residents and record their consents",
        )
        report.figure(
            f"{kind}: import rate of the interfaces without indicator rules (no evaluation, no ledger)",
            r["plain_rate"],
            "rows/s",
        )
        report.figure(
            f"{kind}: ledger.service.post in batches of 5,000 (bound for a batched evaluation path)",
            r["ledger_bulk_rate"],
            "rows/s",
        )
        report.ratio(
            f"{kind}: import rate / raw executemany rate",
            rate,
            baseline,
            goal=GOAL_RATIO,
            higher_is_better=True,
        )
        report.ratio(
            f"{kind}: peak RSS / 1 GB", r["peak_rss"] / 2**20, GOAL_PEAK_MB, goal=1.0, higher_is_better=False
        )


class _PrintReport:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.figures: list[dict] = []

    def figure(self, name: str, value: float, unit: str, *, note: str = "") -> None:
        self.figures.append({"name": name, "value": value, "unit": unit, "note": note})
        print(f"{name}: {value:,.3f} {unit} {note}", flush=True)

    def ratio(
        self,
        name: str,
        value: float,
        baseline: float,
        *,
        goal: float,
        higher_is_better: bool,
        unit: str = "",
        note: str = "",
    ) -> None:
        r = value / baseline if baseline else float("inf")
        met = r >= goal if higher_is_better else r <= goal
        self.figures.append({"name": name, "ratio": r, "goal": goal, "met": met})
        print(
            f"{name}: ratio {r:.4f} (goal {'≥' if higher_is_better else '≤'} {goal}) "
            f"{'MET' if met else 'MISSED'}",
            flush=True,
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--records", type=int)
    ap.add_argument("--residents", type=int)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    base = QUICK if args.quick else FULL
    chosen = {"records": args.records or base["records"], "residents": args.residents or base["residents"]}
    here = Path(__file__).resolve().parent
    rep = _PrintReport(here / "work")
    run(rep, quick=args.quick, size=chosen, backends=tuple(args.backends.split(",")))
    sys.exit(0)
