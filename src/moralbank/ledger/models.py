"""Ledger tables: the append-only entries, the stored Merkle nodes, checkpoints and the log state.

``ledger_entry`` and ``ledger_checkpoint`` refuse UPDATE and DELETE in the database itself. The
trigger SQL lives in module-level constants so the Alembic migration can run the same statements.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import DDL, JSON, BigInteger, Date, Integer, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from moralbank.db.base import Base, UTCDateTime

# SQLite makes ``INTEGER PRIMARY KEY`` the rowid (no second index); PostgreSQL gets a bigint.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class LedgerEntry(Base):
    """One posting of points to one resident; never updated or deleted."""

    __tablename__ = "ledger_entry"

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)
    resident_id: Mapped[str] = mapped_column(String(32))
    indicator: Mapped[str] = mapped_column(String(64))
    aspect: Mapped[str] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Integer)
    deed_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    actor: Mapped[str] = mapped_column(String(128))
    evidence: Mapped[list[str]] = mapped_column(JSON)
    policy_version: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    reverses_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    # No index of its own on resident_id: scoring's covering index ``ix_ledger_entry_scoring`` leads
    # with resident_id and serves ``entries_of`` too; every extra random-key index is paid on each
    # append (tests/integration/ledger/test_post.py checks such an index exists).


class LedgerNode(Base):
    """A stripe of up to 256 consecutive complete-subtree hashes at one level of the Merkle tree.

    Node ``(level, index)`` (the root of leaves ``[index·2^level, (index+1)·2^level)``) is bytes
    ``32·(index mod 256)`` … ``+32`` of the stripe ``(level, index div 256)``. Level 0 holds the leaf
    hashes. Only the last stripe of a level ever grows.
    """

    __tablename__ = "ledger_node"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stripe: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hashes: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerCheckpoint(Base):
    """A signed checkpoint (C2SP tlog-checkpoint signed note); all are kept."""

    __tablename__ = "ledger_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LedgerState(Base):
    """The single row (``id`` = 1) writers lock to assign sequence numbers one batch at a time."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


APPEND_ONLY_MESSAGE = "append-only table: UPDATE and DELETE are refused"

# SQLite: one statement per string (sqlite3 runs one at a time).
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
    f"BEGIN SELECT RAISE(ABORT, '{table}: {APPEND_ONLY_MESSAGE}'); END"
    for table in ("ledger_entry", "ledger_checkpoint")
    for op in ("UPDATE", "DELETE")
)

POSTGRESQL_TRIGGERS = (
    "CREATE OR REPLACE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE} (%%, %%)', TG_TABLE_NAME, TG_OP "
    "USING ERRCODE = 'restrict_violation'; END $$",
    *(
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ledger_append_only()"
        for table in ("ledger_entry", "ledger_checkpoint")
    ),
    *(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()"
        for table in ("ledger_entry", "ledger_checkpoint")
    ),
)
"""Note: ``%%`` is SQLAlchemy DDL escaping for ``%``; a migration running these through
``op.execute(DDL(sql))`` gets the same text as here."""


def _attach_triggers() -> None:
    for sql in SQLITE_TRIGGERS:
        table = LedgerEntry.__table__ if " ON ledger_entry " in sql else LedgerCheckpoint.__table__
        event.listen(table, "after_create", DDL(sql).execute_if(dialect="sqlite"))
    function, *triggers = POSTGRESQL_TRIGGERS
    for table in (LedgerEntry.__table__, LedgerCheckpoint.__table__):  # whichever is created first
        event.listen(table, "after_create", DDL(function).execute_if(dialect="postgresql"))
        for sql in triggers:
            if f" ON {table.name} " in sql:
                event.listen(table, "after_create", DDL(sql).execute_if(dialect="postgresql"))


_attach_triggers()
