"""One short read on the driver, below the ORM: for the checks that run on every request (is the
session behind this cookie still open, is this cached portrait still current).

A session, a compiled ORM query and its result objects cost a few hundred microseconds per statement;
one pooled driver connection and one indexed statement cost tens. On SQLite the read is short enough
to run on the event loop itself (WAL readers never wait for the writer); elsewhere callers run it in
the threadpool (``inline``).

On SQLite each thread that reads here keeps a connection of its own, outside the engine's pool: the
event loop must never wait for a pooled connection, since the threads holding them give them back
only when the loop runs their requests' clean-up (a loop blocked on the pool would wait for itself).
In practice only event-loop threads read here on SQLite; the connection is in autocommit (the
engine's ``connect`` hook), so no read transaction outlives a statement.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine


@lru_cache(maxsize=64)
def _for_driver(sql: str, paramstyle: str) -> str:
    # Statements are written with ``?`` (sqlite3's qmark); psycopg takes ``%s``.
    return sql.replace("?", "%s") if paramstyle in ("format", "pyformat") else sql


_own = threading.local()
_pools: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
_pools_lock = threading.Lock()


def _own_connection(engine: Engine) -> Any:
    """This thread's connection to ``engine``'s SQLite file, kept while the engine and the thread live.

    It comes from a pool of its own (``Pool.recreate``: same creator and connect hooks), so even the
    first one never waits for the engine's pool, and is detached from it."""
    conns: weakref.WeakKeyDictionary[Engine, Any] | None = getattr(_own, "conns", None)
    if conns is None:
        conns = _own.conns = weakref.WeakKeyDictionary()
    conn = conns.get(engine)
    if conn is None:
        with _pools_lock:
            pool = _pools.get(engine)
            if pool is None:
                pool = _pools[engine] = engine.pool.recreate()
        conn = pool.connect()
        conn.detach()
        conns[engine] = conn
    return conn


def fetch_one(engine: Engine, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
    """The first row of ``sql`` (``?`` placeholders), values as the driver returns them."""
    own = inline(engine)
    conn = _own_connection(engine) if own else engine.raw_connection()
    try:
        cur = conn.cursor()
        try:
            cur.execute(_for_driver(sql, engine.dialect.paramstyle), tuple(params))
            row = cur.fetchone()
        finally:
            cur.close()
    finally:
        if not own:
            conn.close()  # back to the pool, which ends the read transaction
    return tuple(row) if row is not None else None


def inline(engine: Engine) -> bool:
    """Whether a :func:`fetch_one` may run on the event loop (a SQLite file: no round trip; not an
    in-memory database, which only the engine's own pool can reach)."""
    return engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:")


def utc(value: Any) -> datetime | None:
    """A ``UTCDateTime`` column as the driver returns it (SQLite: text, naive) → an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
