"""Experiment, not part of ``run.py``: how much of the ledger append's ratio to the in-memory root is
scoring's covering index. Posts N entries (the benchmark's generator, batches of 100,000) through
``ledger.service.post``, with the index or with it dropped first, and prints the ratio.

    python benchmarks/append_without_index.py sqlite|postgresql N index|drop

docs/ledger.md ("Even with no secondary index at all") gives the figures of 2026-12-05 at 1,000,000.
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_ledger as bench  # noqa: E402

from moralbank.bootstrap import bootstrap  # noqa: E402
from moralbank.config import Settings  # noqa: E402
from moralbank.db.engine import make_engine  # noqa: E402
from moralbank.db.models import Base  # noqa: E402
from moralbank.ledger import domain, merkle, service  # noqa: E402


def main(backend: str, n: int, drop: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="append-index-"))
    if backend == "postgresql":
        engine = bench._pg_schema("bench_append_index")
    else:
        engine = make_engine(f"sqlite:///{work}/ledger.db")
        Base.metadata.create_all(engine)
    if drop:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_ledger_entry_scoring"))
    c = bootstrap(Settings(data_dir=work), engine=engine, migrate=False)
    post_s = base_s = 0.0
    hashes = bytearray()
    for batch in bench._batches(n, random.Random(2012)):
        t = time.perf_counter()
        with c.uow() as uow:
            posted = service.post(uow, batch)
            uow.commit()
        post_s += time.perf_counter() - t
        leaves = domain.encode_leaves(posted)
        t = time.perf_counter()
        hashes += merkle.leaf_hashes(leaves)
        base_s += time.perf_counter() - t
        print(f"\r  posted {len(hashes) // 32:,} entries", end="", file=sys.stderr, flush=True)
    t = time.perf_counter()
    merkle.root_of(bytes(hashes))
    base_s += time.perf_counter() - t
    print(file=sys.stderr)
    print(
        f"{backend} {n:,} entries, {'no secondary index' if drop else 'with the scoring index'}: "
        f"append {post_s:.1f} s, in-memory root {base_s:.1f} s, ratio {post_s / base_s:.2f}, "
        f"{post_s / n * 1e6:.2f} µs an entry"
    )
    engine.dispose()
    if backend == "postgresql":
        bench._drop_pg_schemas("bench_append_index")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3] == "drop")
