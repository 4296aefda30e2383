"""Bulk inserts on the driver: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

For the hot paths of large imports (thousands of rows per batch), where SQLAlchemy's per-row
parameter processing costs more than the database. Values are converted here exactly as the column
types would (``UTCDateTime`` as naive UTC text on SQLite, dates as ISO text, JSON as ``json.dumps``,
booleans as 0/1 on SQLite), so what is read back through the ORM is the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, Date
from sqlalchemy.engine import Connection

from moralbank.db.base import UTCDateTime


def _converters(table: Any, columns: Sequence[str], sqlite: bool) -> list[Callable[[Any], Any] | None]:
    stamps: dict[datetime, Any] = {}

    def ts(v: datetime | None) -> Any:
        if v is None:
            return None
        s = stamps.get(v)
        if s is None:
            u = v.astimezone(UTC)
            s = stamps[v] = u.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else u
        return s

    def day(v: date | None) -> Any:
        return None if v is None else v.isoformat()

    def js(v: Any) -> Any:
        if v is None:
            return None
        if not v and isinstance(v, (list, tuple, dict)):  # the common empty lists, without the encoder
            return "{}" if isinstance(v, dict) else "[]"
        return json.dumps(v)

    def flag(v: Any) -> Any:
        return None if v is None else int(bool(v))

    out: list[Callable[[Any], Any] | None] = []
    for name in columns:
        t = table.c[name].type
        if isinstance(t, UTCDateTime):
            out.append(ts)
        elif isinstance(t, JSON):
            out.append(js)
        elif sqlite and isinstance(t, Date):
            out.append(day)
        elif sqlite and isinstance(t, Boolean):
            out.append(flag)
        else:
            out.append(None)
    return out


def insert_rows(
    conn: Connection, table: Any, rows: Sequence[dict[str, Any]], *, ids: bool = False
) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``table``; with ``ids``, the new integer primary
    keys in the order of ``rows`` are returned (the table's key must be an autoincrementing ``id``)."""
    if not rows:
        return []
    sqlite = conn.dialect.name == "sqlite"
    columns = list(rows[0])
    conv = _converters(table, columns, sqlite)
    get = itemgetter(*columns) if len(columns) > 1 else (lambda r: (r[columns[0]],))
    changed = [(k, f) for k, f in enumerate(conv) if f is not None]

    def tuples(extra: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
        plain = list(map(get, rows))
        if not changed and extra is None:
            return plain
        # column by column: each converter mapped over its column, then the rows zipped back together
        cols: list[Any] = list(zip(*plain, strict=True)) if plain else []
        for k, f in changed:
            cols[k] = list(map(f, cols[k]))
        if extra is not None:
            cols.insert(0, list(extra))
        return list(zip(*cols, strict=True))

    if sqlite:
        conn.exec_driver_sql(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            tuples(),
        )
        if not ids:
            return []
        last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
        first = last - len(rows) + 1
        # The transaction holds SQLite's write lock, so one executemany takes consecutive rowids.
        got = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table.name} WHERE id BETWEEN ? AND ?", (first, last)
        ).scalar_one()
        if got != len(rows):
            raise RuntimeError(f"{table.name}: rows of one bulk insert are not consecutive")
        return list(range(first, last + 1))
    new_ids: list[int] | None = None
    names = columns
    if ids:
        new_ids = sorted(
            i
            for (i,) in conn.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) FROM generate_series(1, %s)",
                (len(rows),),
            )
        )
        names = ["id", *columns]
    copy_rows(conn.connection.driver_connection, table, names, tuples(new_ids))
    return new_ids or []


# PostgreSQL's binary COPY format of each column type the models use (VARCHAR(n) and JSON travel as
# text: their binary form is their text). psycopg's C formatter writes these about twice as fast as
# the text format (measured: 16-column ledger rows, 2.4 → 1.3 µs a row).
_BINARY = {
    "BIGINT": "int8",
    "INTEGER": "int4",
    "SMALLINT": "int2",
    "BOOLEAN": "bool",
    "BYTEA": "bytea",
    "DATE": "date",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "TEXT": "text",
    "JSON": "text",
    "FLOAT": "float8",
}


def binary_types(table: Any, columns: Sequence[str]) -> list[str] | None:
    """The binary COPY type of each column, or None when one has a type this module does not map."""
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    out = []
    for name in columns:
        ddl = table.c[name].type.compile(dialect=dialect)
        kind = "text" if ddl.startswith("VARCHAR") else _BINARY.get(ddl)
        if kind is None:
            return None
        out.append(kind)
    return out


def copy_rows(raw: Any, table: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` on psycopg's connection ``raw``, in the binary format when
    every column's type is known (values as the driver takes them: ``int``, ``str``, ``date``, aware
    ``datetime``, ``bytes``; JSON as its text), else in the text format."""
    names = ", ".join(columns)
    types = binary_types(table, columns)
    with raw.cursor() as cur:
        if types is None:
            with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as cp:
                for values in rows:
                    cp.write_row(values)
            return
        with cur.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as cp:
            cp.set_types(types)
            for values in rows:
                cp.write_row(values)
