"""Enrol residents from a file: validation (GB 11643 via python-stdnum), keyed hash, AES-GCM
encryption, grid and household assignment, Core bulk inserts — against raw ``sqlite3`` executemany
of the same rows (same columns, same table and indexes) in the same run.

Goal (issue 2): all 600,000 in under 30 s on 2 cores. ``--quick``: 20,000 rows.

    python benchmarks/bench_enrol.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

FULL, QUICK = 600_000, 20_000
GOAL_SECONDS = 30.0


def _container(workdir: Path) -> Any:
    from moralbank.bootstrap import bootstrap
    from moralbank.config import Settings
    from moralbank.db.engine import make_engine
    from moralbank.db.models import Base

    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    engine = make_engine(f"sqlite:///{workdir / 'moralbank.db'}")
    Base.metadata.create_all(engine)
    return bootstrap(Settings(data_dir=workdir), engine=engine, migrate=False, rng=random.Random(1))


def _write_file(path: Path, grids: list[str], n: int) -> None:
    from moralbank.demo.city import resident_rows

    rows = resident_rows(7, grids, n, date(2026, 11, 25))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "id_number", "grid", "household", "phone"])
        for _, r in rows:
            w.writerow([r["name"], r["id_number"], r["grid"], r["household"], r["phone"]])


def measure(n: int, workdir: Path) -> dict[str, float]:
    from moralbank.auth.domain import SYSTEM
    from moralbank.demo import city
    from moralbank.orgs import service as orgs
    from moralbank.residents import service as residents

    c = _container(workdir / "ours")
    with c.uow() as uow:
        orgs.import_file(uow, source=city.townships_file(), filename="yuyao_townships.csv", actor="bench")
        orgs.import_rows(uow, rows=city.unit_rows(7), actor="bench")
        uow.commit()
        grids = sorted(orgs.open_grids(uow))
    data = workdir / f"enrol-{n}.csv"
    if not data.exists():
        _write_file(data, grids, n)

    t0, cpu0 = time.perf_counter(), time.process_time()
    with c.uow() as uow:
        report = residents.import_file(uow, source=data, principal=SYSTEM, consent_text_version="bench-1")
        uow.commit()
    ours, ours_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert report.enrolled == n and not report.problems, report.as_dict()

    # Baseline: the very rows we stored, inserted by raw sqlite3 executemany into the same schema.
    source = sqlite3.connect(workdir / "ours" / "moralbank.db")
    cols = [r[1] for r in source.execute("PRAGMA table_info(resident)")]
    households = source.execute("SELECT * FROM household").fetchall()
    rows = source.execute(f"SELECT {', '.join(cols)} FROM resident").fetchall()
    random.Random(1).shuffle(rows)  # insertion order as it came from the file, not the PK order
    schema = [
        r[0]
        for r in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
            "AND tbl_name IN ('org_unit', 'household', 'resident')"
        )
    ]
    units = source.execute("SELECT * FROM org_unit").fetchall()
    source.close()
    base_path = workdir / "baseline.db"
    base_path.unlink(missing_ok=True)
    raw = sqlite3.connect(base_path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA cache_size=-262144")  # the same page cache our import asks for
    for sql in schema:
        raw.execute(sql)
    raw.execute("BEGIN")
    raw.executemany(f"INSERT INTO org_unit VALUES ({', '.join('?' * len(units[0]))})", units)
    raw.executemany(f"INSERT INTO household VALUES ({', '.join('?' * len(households[0]))})", households)
    raw.execute("COMMIT")
    t0, cpu0 = time.perf_counter(), time.process_time()
    raw.execute("BEGIN")
    raw.executemany(f"INSERT INTO resident ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    raw.execute("COMMIT")
    baseline, baseline_cpu = time.perf_counter() - t0, time.process_time() - cpu0
    raw.close()

    t0 = time.perf_counter()
    with c.uow() as uow:
        again = residents.import_file(uow, source=data, principal=SYSTEM, consent_text_version="bench-1")
        uow.commit()
    reimport = time.perf_counter() - t0
    assert again.enrolled == 0 and again.unchanged == n
    return {
        "rows": n,
        "seconds": ours,
        "cpu_seconds": ours_cpu,
        "baseline_seconds": baseline,
        "baseline_cpu_seconds": baseline_cpu,
        "reimport_seconds": reimport,
        "rows_per_second": n / ours,
    }


def run(report: Any, quick: bool = False) -> None:
    n = QUICK if quick else FULL
    workdir = Path(getattr(report, "workdir", tempfile.gettempdir())) / "enrol"
    r = measure(n, workdir)
    report.figure(
        f"enrol {n:,} residents from CSV",
        r["seconds"],
        "s",
        note=f"goal < {GOAL_SECONDS:.0f} s at 600,000" if not quick else "quick size",
    )
    report.figure("enrolment CPU time (this process)", r["cpu_seconds"], "s")
    report.figure("enrolment rate", r["rows_per_second"], "rows/s")
    report.figure("raw sqlite3 executemany of the same rows", r["baseline_seconds"], "s")
    report.figure("raw sqlite3 executemany CPU time", r["baseline_cpu_seconds"], "s")
    report.figure("re-import of the same file (changes nothing)", r["reimport_seconds"], "s")
    if quick:  # fixed costs (a worker process, key files) dominate 20,000 rows: a smoke run, no target
        report.figure("enrolment time / raw executemany time", r["seconds"] / r["baseline_seconds"], "x")
        return
    # On an idle 2-core machine raw executemany of these 600,000 rows (same table and indexes) takes
    # 11-12 s, so the 30 s goal is about 2.5-3 times the baseline.
    report.ratio(
        "enrolment time / raw executemany time",
        r["seconds"],
        r["baseline_seconds"],
        goal=3.0,
        higher_is_better=False,
    )
    report.ratio("enrolment time / 30 s goal", r["seconds"], GOAL_SECONDS, goal=1.0, higher_is_better=False)


class _PrintReport:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.figures: dict[str, Any] = {}

    def figure(self, name: str, value: float, unit: str, *, note: str = "") -> None:
        self.figures[name] = value
        print(f"  {name}: {value:,.3f} {unit} {note}")

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
        ratio = value / baseline
        met = ratio >= goal if higher_is_better else ratio <= goal
        self.figures[name] = ratio
        print(
            f"  {name}: {ratio:.3f} (goal {'≥' if higher_is_better else '≤'} {goal}) "
            f"{'MET' if met else 'MISSED'}"
        )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    here = Path(__file__).resolve().parent
    rep = _PrintReport(here / "work")
    run(rep, quick=args.quick)
    sys.exit(0)
