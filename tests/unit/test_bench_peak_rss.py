"""The feeds benchmark's memory figure is the importing process's own peak, not its parent's.

``ru_maxrss`` of a child spawned by a parent that once held a lot reports the parent's peak (Linux
copies the high-water mark at fork and keeps it through exec); ``bench_feeds._peak_rss`` must not."""

from __future__ import annotations

import importlib.util
import multiprocessing
import resource
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_feeds.py"


def _child_peaks() -> tuple[int, int]:
    spec = importlib.util.spec_from_file_location("bench_feeds_under_test", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return bench._peak_rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM and ru_maxrss inheritance are Linux")
def test_peak_rss_of_a_spawned_child_leaves_out_the_parents_peak() -> None:
    held = bytearray(400 * 2**20)
    held[:: 1 << 12] = b"x" * len(held[:: 1 << 12])  # touch every page: the parent's RSS is now > 400 MB
    del held
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        own, inherited = pool.apply(_child_peaks)
    assert inherited > 400 * 2**20  # what the benchmark used to report
    assert own < 200 * 2**20, f"{own / 2**20:.0f} MB: the parent's peak leaked into the figure"
