"""The engine the app builds has a pool large enough for the web server's worker threads."""

from __future__ import annotations

from contextlib import ExitStack

from moralbank.bootstrap import build_engine
from moralbank.config import Settings

WEB_WORKER_THREADS = 40  # Starlette's threadpool (anyio's default limiter)


def test_default_pool_serves_every_worker_thread_at_once(tmp_path) -> None:
    engine = build_engine(Settings(data_dir=tmp_path))
    engine.pool._timeout = 1  # a starved pool fails within a second instead of 30
    try:
        with ExitStack() as held:
            conns = [held.enter_context(engine.connect()) for _ in range(WEB_WORKER_THREADS + 1)]
            assert len(conns) == WEB_WORKER_THREADS + 1
    finally:
        engine.dispose()


def test_pool_size_is_a_setting(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MORALBANK_DB_POOL_SIZE", "7")
    engine = build_engine(Settings(data_dir=tmp_path))
    try:
        assert engine.pool.size() == 7
    finally:
        engine.dispose()


def test_in_memory_database_needs_no_pool_size(tmp_path) -> None:
    engine = build_engine(Settings(data_dir=tmp_path, database_url="sqlite://"))
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("select 1").scalar() == 1
    finally:
        engine.dispose()
