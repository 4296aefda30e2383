"""Planner statistics for bulk jobs on PostgreSQL.

PostgreSQL plans a query from statistics that ``ANALYZE`` gathers; autovacuum runs it once a table has
changed by 50 rows + 10 % since the last time. A bulk import grows its tables far faster than that
(autovacuum looks every minute, and may be switched off altogether, as on this project's CI machine).
Without statistics the planner guessed that ``feed_record`` held few rows per interface and read all of
them for every batch's duplicate check: an import of 1,000,000 records slowed from 7,000 to 1,500
rows/s as the table grew (docs/feeds.md). So bulk jobs call :func:`analyze_grown` between batches for
the tables they both grow and look up: each is analyzed again once it has doubled since its last
analyze (about ten times on the way to a million rows, a fraction of a second each). Analyzing more
often, or every table autovacuum would, cost the import more than it saved.

SQLite plans without statistics from its indexes alone; there this is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

THRESHOLD_ROWS = 1000
SCALE = 1.0  # autovacuum's default is 0.1: fine for a table that grows slowly, not for a bulk load

_GROWN = (
    "SELECT relname FROM pg_stat_user_tables "
    "WHERE schemaname = current_schema() AND relname = ANY(%(tables)s) "
    "AND n_mod_since_analyze > %(rows)s + %(scale)s * GREATEST(n_live_tup - n_mod_since_analyze, 0) "
    "ORDER BY relname"
)


def analyze_grown(connection: Any, tables: Sequence[str]) -> list[str]:
    """``ANALYZE`` those of ``tables`` (in the current schema) changed by more than 1,000 rows + their
    size since they were last analyzed (by anyone); return their names. Call it outside a long
    transaction: ``ANALYZE`` takes a lock that conflicts only with schema changes and other analyzes."""
    if connection.dialect.name != "postgresql":
        return []
    params = {"rows": THRESHOLD_ROWS, "scale": SCALE, "tables": list(tables)}
    grown = [name for (name,) in connection.exec_driver_sql(_GROWN, params)]
    for name in grown:
        connection.exec_driver_sql(f'ANALYZE "{name}"')
    return grown
