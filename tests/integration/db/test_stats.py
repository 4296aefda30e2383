"""Bulk jobs refresh PostgreSQL's planner statistics of the tables they grow (db.stats)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from moralbank.db.stats import analyze_grown

LOOKUP = "EXPLAIN SELECT * FROM scratch WHERE grp = 'g1' AND key IN ({})".format(
    ", ".join(f"'k{i}'" for i in range(1, 18000, 20))
)


def _grow(engine: Engine, rows: int, start: int = 0) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS scratch (grp text, key text, body text)")
        conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS ux_scratch ON scratch (grp, key)")
        conn.exec_driver_sql(
            "INSERT INTO scratch SELECT 'g' || (i %% 2), 'k' || i, repeat('x', 200) "
            f"FROM generate_series({start + 1}, {start + rows}) AS i"
            if conn.dialect.name == "postgresql"
            else f"WITH RECURSIVE s(i) AS (SELECT {start + 1} UNION ALL SELECT i + 1 FROM s WHERE i < "
            f"{start + rows}) "
            "INSERT INTO scratch SELECT 'g' || (i % 2), 'k' || i, printf('%.200c', 'x') FROM s"
        )
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")  # counts visible to others now


def test_grown_tables_are_analyzed_once_and_the_lookup_uses_both_key_columns(engine: Engine) -> None:
    _grow(engine, 100_000)
    with engine.begin() as conn:
        analyzed = analyze_grown(conn, ["scratch"])
        if conn.dialect.name != "postgresql":
            assert analyzed == []  # SQLite plans from its indexes alone
            return
        assert analyzed == ["scratch"]
        rows = conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE relname = 'scratch'").scalar()
        assert rows == 100_000
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(LOOKUP))
    # Without statistics PostgreSQL read every row of the group and filtered the keys (the slowdown
    # of large feed imports); with them the keys are part of the index condition.
    assert "Index Cond" in plan and "key" in plan.split("Index Cond", 1)[1].split("\n", 1)[0], plan
    with engine.begin() as conn:
        assert analyze_grown(conn, ["scratch"]) == []  # nothing changed since
    _grow(engine, 90_000, start=100_000)  # 90 % more: not yet doubled
    with engine.begin() as conn:
        assert analyze_grown(conn, ["scratch"]) == []
        assert analyze_grown(conn, ["other"]) == []
    _grow(engine, 20_000, start=190_000)  # now past double (and 1,000 rows)
    with engine.begin() as conn:
        assert analyze_grown(conn, ["scratch"]) == (["scratch"] if conn.dialect.name == "postgresql" else [])


def test_without_statistics_the_lookup_reads_the_whole_group(engine: Engine) -> None:
    """The failure the refresh prevents, shown on the same data (PostgreSQL 15's planner)."""
    _grow(engine, 100_000)
    with engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            return
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(LOOKUP))
    cond = plan.split("Index Cond", 1)[1].split("\n", 1)[0] if "Index Cond" in plan else ""
    assert "key" not in cond, plan
