"""Engines for the embedded default (SQLite, WAL) and PostgreSQL (psycopg 3)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url


def make_engine(url: str, **kwargs: Any) -> Engine:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin (so BEGIN is real).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers take the write lock up front, so two writers queue on busy_timeout instead of
            # failing with "database is locked" when a read transaction tries to upgrade.
            immediate = conn.get_execution_options().get("sqlite_immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if u.get_backend_name() == "postgresql" and u.get_driver_name() in ("", "psycopg2"):
        url = u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# SQLite's page cache is per connection and starts at 2 MB. Bulk steps raise it for the big indexes
# they write (pages are allocated only as they are used); a job with a memory budget caps it.
_CACHE_CAP = "moralbank.sqlite_cache_cap_kib"


def raise_sqlite_cache(conn: Connection, kib: int) -> None:
    """Raise this SQLite connection's page cache to ``kib`` KiB, or to the cap of an enclosing
    :func:`sqlite_cache_cap` if that is smaller. A no-op on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return
    cap = conn.info.get(_CACHE_CAP)
    conn.exec_driver_sql(f"PRAGMA cache_size = -{kib if cap is None else min(kib, cap)}")


@contextmanager
def sqlite_cache_cap(conn: Connection, kib: int) -> Iterator[None]:
    """Within the block this SQLite connection's page cache is ``kib`` KiB, and no bulk step raises it
    further (the feeds importer's memory goal: < 1 GB whatever the file size). Afterwards the cache
    is back to what it was, and the pooled connection keeps no cap. Leave the block before the unit
    of work commits (a commit hands the connection back to the pool). A no-op on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        yield
        return
    before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    conn.info[_CACHE_CAP] = kib
    conn.exec_driver_sql(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        conn.info.pop(_CACHE_CAP, None)
        conn.exec_driver_sql(f"PRAGMA cache_size = {before}")
