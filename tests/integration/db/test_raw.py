"""Driver reads for per-request checks: on a SQLite file they never wait for the engine's pool."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from moralbank.db import raw
from moralbank.db.engine import make_engine


def test_inline_reads_never_wait_for_the_engines_pool(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", pool_size=1, max_overflow=0, pool_timeout=5)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
        conn.exec_driver_sql("INSERT INTO t VALUES ('a', 1)")
    assert raw.inline(engine) and not raw.inline(make_engine("sqlite://"))
    held = engine.raw_connection()  # the pool's only connection, as busy request threads hold them
    out: list[object] = []

    def loop_thread() -> None:
        t = time.perf_counter()
        out.append(raw.fetch_one(engine, "SELECT v FROM t WHERE k = ?", ("a",)))
        out.append(raw.fetch_one(engine, "SELECT v FROM t WHERE k = ?", ("b",)))
        out.append(time.perf_counter() - t)

    th = threading.Thread(target=loop_thread)
    th.start()
    th.join(10)
    held.close()
    assert out[:2] == [(1,), None] and out[2] < 2  # not the pool's 5 s timeout
    engine.dispose()
