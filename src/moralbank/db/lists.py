"""Membership in a long list of values (``x IN (…)``), written the way each database takes it best.

An import batch asks about thousands of keys at once (record ids, residents, hashes). On SQLite that
is ``IN (?, ?, …)`` in chunks under its bound-parameter limit. On PostgreSQL the same text with
thousands of placeholders costs more to build and parse than the query costs to run — SQLAlchemy
expands each placeholder, psycopg rewrites each one, the statement is never the same twice so neither
caches it — so there it is ``= ANY(%s)`` with the whole list as one array parameter: one short
statement text, prepared once, and no chunks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

# On PostgreSQL a list goes whole into one array parameter; chunks only bound the size of one answer.
POSTGRESQL_CHUNK = 100_000


def _is_postgresql(dialect: Any) -> bool:
    return getattr(dialect, "name", dialect) == "postgresql"


def chunks(dialect: Any, values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``values`` in slices: of ``size`` (the caller's bound for SQLite's parameter limit) on SQLite,
    of ``POSTGRESQL_CHUNK`` on PostgreSQL."""
    step = max(size, POSTGRESQL_CHUNK) if _is_postgresql(dialect) else size
    for i in range(0, len(values), step):
        yield values[i : i + step]


def one_of(dialect: Any, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (values)`` as a SQLAlchemy condition: ``= ANY(array)`` on PostgreSQL."""
    if _is_postgresql(dialect):
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def in_sql(dialect: Any, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """For statements written on the driver: the text after the column (``IN (?, …)`` with one mark
    per value on SQLite, ``= ANY(%s)`` on PostgreSQL) and its parameters."""
    if _is_postgresql(dialect):
        return "= ANY(%s)", (list(values),)
    return f"IN ({', '.join('?' * len(values))})", tuple(values)
