"""A job with a memory budget caps the SQLite page cache that bulk steps raise (db.engine)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from moralbank.db.engine import raise_sqlite_cache, sqlite_cache_cap


def _cache(conn) -> int:  # noqa: ANN001
    return conn.exec_driver_sql("PRAGMA cache_size").scalar()


def test_bulk_steps_raise_the_cache_up_to_the_cap_of_the_enclosing_job(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            with sqlite_cache_cap(conn, 1000):
                raise_sqlite_cache(conn, 50_000)  # PostgreSQL: nothing to do, nothing fails
            return
        default = _cache(conn)
        with sqlite_cache_cap(conn, 131_072):
            assert _cache(conn) == -131_072
            raise_sqlite_cache(conn, 1_048_576)  # the ledger's bulk request, inside a feed import
            assert _cache(conn) == -131_072
            raise_sqlite_cache(conn, 65_536)  # a smaller request is granted
            assert _cache(conn) == -65_536
        assert _cache(conn) == default  # back to what it was, and no cap left on the connection
        raise_sqlite_cache(conn, 1_048_576)
        assert _cache(conn) == -1_048_576


def test_the_cap_is_lifted_when_the_job_fails(engine: Engine) -> None:
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            return
        try:
            with sqlite_cache_cap(conn, 1000):
                raise RuntimeError("batch failed")
        except RuntimeError:
            pass
        raise_sqlite_cache(conn, 20_000)
        assert _cache(conn) == -20_000
