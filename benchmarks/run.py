"""Run every benchmark and write RESULTS.md / results.json with the machine and the date.

Usage: python benchmarks/run.py [--quick] [NAME ...]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> dict[str, str]:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(
            next(
                li for li in Path("/proc/meminfo").read_text().splitlines() if li.startswith("MemTotal")
            ).split()[1]
        )
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    pg = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
    }


@dataclass
class Report:
    workdir: Path
    bench: str = ""
    figures: list[dict] = field(default_factory=list)

    def figure(self, name: str, value: float, unit: str, *, note: str = "") -> None:
        self.figures.append({"bench": self.bench, "name": name, "value": value, "unit": unit, "note": note})
        print(f"  {name}: {value:,.3f} {unit} {note}", flush=True)

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
        self.figures.append(
            {
                "bench": self.bench,
                "name": name,
                "value": value,
                "baseline": baseline,
                "ratio": r,
                "goal": goal,
                "higher_is_better": higher_is_better,
                "met": met,
                "unit": unit,
                "note": note,
            }
        )
        sign = "≥" if higher_is_better else "≤"
        print(f"  {name}: ratio {r:.3f} (goal {sign} {goal}) {'MET' if met else 'MISSED'} {note}", flush=True)


def _command(quick: bool, names: list[str]) -> str:
    sizes = [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("MORALBANK_BENCH_")]
    return " ".join([*sizes, "python benchmarks/run.py", *(["--quick"] if quick else []), *names])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("names", nargs="*", help="run only these (bench_<name>.py)")
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    workdir = HERE / "work"
    workdir.mkdir(exist_ok=True)
    report = Report(workdir=workdir)
    failures = []
    started = datetime.now(UTC)
    for script in scripts:
        report.bench = script.stem.removeprefix("bench_")
        print(f"== {report.bench}", flush=True)
        spec = importlib.util.spec_from_file_location(script.stem, script)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[script.stem] = module  # so worker processes can pickle the benchmark's functions
        t0 = time.perf_counter()
        try:
            spec.loader.exec_module(module)
            module.run(report, quick=args.quick)
        except Exception:  # noqa: BLE001 - a broken benchmark is reported, the others still run
            traceback.print_exc()
            failures.append(report.bench)
        report.figure("wall time of this benchmark", time.perf_counter() - t0, "s")
    m = machine()
    suffix = "-quick" if args.quick else ""
    date = started.isoformat(timespec="seconds")
    ran = {s.stem.removeprefix("bench_") for s in scripts}
    runs = {name: {"date": date, "command": _command(args.quick, args.names)} for name in sorted(ran)}
    figures = report.figures
    previous = HERE / f"results{suffix}.json"
    if args.names and previous.exists():  # a partial run keeps the other benchmarks' last figures
        old = json.loads(previous.read_text())
        old_runs = old.get("runs") or {}
        kept = [f for f in old["figures"] if f["bench"] not in ran]
        for f in kept:
            whole_run = {"date": old["date"], "command": _command(args.quick, [])}
            runs.setdefault(f["bench"], old_runs.get(f["bench"], whole_run))
        figures = kept + figures
    out = {
        "date": date,
        "quick": args.quick,
        "machine": m,
        "runs": dict(sorted(runs.items())),
        "figures": figures,
        "failed": failures,
    }
    (HERE / f"results{suffix}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    lines = [
        f"# Benchmark results{' (quick sizes)' if args.quick else ''}",
        "",
        f"Written {out['date']}. Each benchmark's figures come from the run named below; "
        "the machine table is this run's.",
        "",
        "| machine | |",
        "| --- | --- |",
        *[f"| {k} | {v} |" for k, v in m.items()],
        "",
        "| benchmark | run at | command |",
        "| --- | --- | --- |",
        *[f"| {b} | {r['date']} | `{r['command']}` |" for b, r in out["runs"].items()],
        "",
        "| benchmark | figure | value | baseline | ratio | goal | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        if "ratio" in f:
            sign = "≥" if f["higher_is_better"] else "≤"
            met = "yes" if f["met"] else "**no**"
            lines.append(
                f"| {f['bench']} | {f['name']} | {f['value']:,.4g} {f['unit']} "
                f"| {f['baseline']:,.4g} | {f['ratio']:.3f} | {sign} {f['goal']} | {met} |"
            )
        else:
            lines.append(f"| {f['bench']} | {f['name']} | {f['value']:,.4g} {f['unit']} | | | | |")
    if failures:
        lines += ["", f"Failed to run: {', '.join(failures)}"]
    (HERE / f"RESULTS{suffix}.md").write_text("\n".join(lines) + "\n")
    print(f"wrote benchmarks/RESULTS{suffix}.md")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
