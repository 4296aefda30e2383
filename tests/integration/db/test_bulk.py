"""The bulk paths below the ORM (db.bulk, db.lists) store and find exactly what the ORM would."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.engine import Engine

from moralbank.db.base import UTCDateTime
from moralbank.db.bulk import binary_types, insert_rows
from moralbank.db.lists import chunks, in_sql, one_of
from moralbank.db.models import Base

SCRATCH = Table(
    "bulk_scratch",
    MetaData(),
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("n", Integer),
    Column("flag", Boolean),
    Column("blob", LargeBinary),
    Column("day", Date),
    Column("at", UTCDateTime),
    Column("note", Text),
    Column("code", String(8)),
    Column("doc", JSON),
    Column("share", Float),
)


def test_every_model_column_has_a_binary_copy_type() -> None:
    # A column type db.bulk does not map sends its whole table through the slower text COPY: a new
    # type must be added to db.bulk._BINARY (and to SCRATCH below) rather than slip through.
    unmapped = [
        t.name for t in Base.metadata.sorted_tables if binary_types(t, [c.name for c in t.columns]) is None
    ]
    assert unmapped == []
    assert binary_types(SCRATCH, [c.name for c in SCRATCH.columns]) is not None


def _row(i: int) -> dict:
    return {
        "id": i,
        "n": None if i % 7 == 0 else -(2**31) + i,
        "flag": None if i % 5 == 0 else bool(i % 2),
        "blob": None if i % 4 == 0 else bytes([i % 256]) * 32,
        "day": None if i % 6 == 0 else date(2026, 1, 1 + i % 28),
        "at": datetime(2026, 11, 25, 2, 0, i % 60, 123456, tzinfo=UTC),
        "note": None if i % 3 == 0 else f"第{i}行\ttab\\backslash\nnewline",
        "code": f"C{i}",
        "doc": {"grade": "A", "n": i, "名": "张三", "list": [1, None]} if i % 2 else [],
        "share": i / 4,
    }


def test_bulk_rows_read_back_as_the_orm_stores_them(engine: Engine) -> None:
    SCRATCH.create(engine)
    rows = [_row(i) for i in range(1, 60)]
    with engine.begin() as conn:
        insert_rows(conn, SCRATCH, rows[:40])  # executemany on SQLite, binary COPY on PostgreSQL
        conn.execute(insert(SCRATCH), rows[40:])  # SQLAlchemy Core, for comparison
    with engine.connect() as conn:
        got = {r.id: r._asdict() for r in conn.execute(select(SCRATCH))}
    assert got == {r["id"]: r for r in rows}


@pytest.mark.parametrize("n", [0, 1, 2500, 120_001])
def test_membership_in_long_lists_finds_exactly_the_members(engine: Engine, n: int) -> None:
    SCRATCH.create(engine)
    with engine.begin() as conn:
        insert_rows(conn, SCRATCH, [_row(i) for i in range(1, 3000, 3)])
    wanted = [f"C{i}" for i in range(n)]
    blobs = {bytes([i % 256]) * 32 for i in range(n)}
    found: set[str] = set()
    found_blobs: set[bytes] = set()
    with engine.connect() as conn:
        for chunk in chunks(conn.dialect, wanted, 900):
            found.update(
                conn.scalars(select(SCRATCH.c.code).where(one_of(conn.dialect, SCRATCH.c.code, chunk)))
            )
        for chunk in chunks(conn.dialect, sorted(blobs), 100):
            cond, params = in_sql(conn.dialect, chunk)
            found_blobs.update(
                bytes(b)
                for (b,) in conn.exec_driver_sql(f"SELECT blob FROM bulk_scratch WHERE blob {cond}", params)
            )
    members = [i for i in range(1, 3000, 3) if i < n]
    assert found == {f"C{i}" for i in members}
    assert found_blobs == {bytes([i % 256]) * 32 for i in members if i % 4}
