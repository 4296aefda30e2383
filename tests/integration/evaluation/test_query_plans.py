"""The caps check of an import batch reads the resident index alone, whatever SQLite's planner knows.

Without statistics (a new city has none), SQLite once answered this query through the index on
``state`` and read every item in the counted states for each batch: seconds per batch at half a
million items, growing with the table. The query must name no column the planner could prefer."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from moralbank.db.engine import make_engine
from moralbank.db.migrate import upgrade
from moralbank.evaluation import repository as repo
from moralbank.evaluation.records import COUNTED, PENDING


def _plans(engine: Engine, run) -> list[str]:  # noqa: ANN001 - a callable taking a Session
    """EXPLAIN QUERY PLAN of every SELECT ``run`` sends."""
    sent: list[tuple[str, tuple]] = []

    def capture(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001, ARG001
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, tuple(parameters)))

    with Session(engine) as db:
        event.listen(engine, "before_cursor_execute", capture)
        try:
            run(db)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        plans = []
        for statement, params in sent:
            rows = db.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            plans.append(" / ".join(r[3] for r in rows))
    return plans


def test_caps_check_reads_the_covering_resident_index_without_statistics(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    upgrade(engine)
    with engine.begin() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 0
        )
    ids = [f"r{i:05d}" for i in range(2000)]

    plans = _plans(
        engine,
        lambda db: repo.used_by_day(
            db, ids, ["SM01", "SM02"], date(2025, 1, 1), date(2027, 1, 1), list(COUNTED + PENDING)
        ),
    )

    assert plans, "used_by_day sent no query"
    for plan in plans:
        assert "COVERING INDEX ix_evaluation_item_resident_caps" in plan, plan
