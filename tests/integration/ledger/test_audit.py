"""``audit`` (``moralbank ledger verify``) finds every single tampering of a row, leaf or node.

The tampering runs inside a transaction that is rolled back, after switching the append-only
triggers off in that same transaction (as an administrator with DDL rights could)."""

from __future__ import annotations

from contextlib import contextmanager

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from moralbank.db.uow import UnitOfWork
from moralbank.ledger import service

SIZE = 37


@contextmanager
def tampered(container, *statements: tuple[str, dict]):
    """Run statements with the triggers off, then audit in the same (rolled back) transaction."""
    with container.engine.connect() as conn:
        trans = conn.begin()
        if conn.dialect.name == "sqlite":
            for t in ("ledger_entry_no_update", "ledger_entry_no_delete", "ledger_checkpoint_no_update"):
                conn.execute(text(f"DROP TRIGGER {t}"))
        else:
            conn.execute(text("ALTER TABLE ledger_entry DISABLE TRIGGER USER"))
            conn.execute(text("ALTER TABLE ledger_checkpoint DISABLE TRIGGER USER"))
        for sql, params in statements:
            conn.execute(text(sql), params)
        with UnitOfWork(sessionmaker(bind=conn, join_transaction_mode="create_savepoint"), container) as uow:
            yield service.audit(uow)
        trans.rollback()


def kinds(report) -> set[tuple[str, int | None]]:  # noqa: ANN001
    return {(f.kind, f.seq) for f in report.findings}


def test_an_untouched_store_passes(ledger) -> None:
    with ledger.uow(write=False) as uow:
        report = service.audit(uow)
    assert report.ok, report.findings
    assert (report.tree_size, report.entries, report.checkpoints) == (SIZE, SIZE, 4)


COLUMNS = {
    "points": "points + 1",
    "resident_id": "'R000000000000'",
    "reason": "reason || 'x'",
    "deed_date": "'2020-01-01'",
    "indicator": "'SG99'",
    "reverses_seq": "5",
    "actor": "'user:99'",
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=st.integers(1, SIZE), column=st.sampled_from(sorted(COLUMNS)))
def test_a_changed_row_is_reported_by_seq(ledger, seq, column) -> None:
    with tampered(
        ledger, (f"UPDATE ledger_entry SET {column} = {COLUMNS[column]} WHERE seq = :s", {"s": seq})
    ) as report:
        assert ("changed", seq) in kinds(report)
        assert {k for k, _ in kinds(report)} <= {"changed", "checkpoint", "state"}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seq=st.integers(1, SIZE))
def test_a_deleted_row_is_reported_by_seq(ledger, seq) -> None:
    with tampered(ledger, ("DELETE FROM ledger_entry WHERE seq = :s", {"s": seq})) as report:
        assert ("deleted", seq) in kinds(report)


def test_an_inserted_row_is_reported(ledger) -> None:
    insert = (
        "INSERT INTO ledger_entry (seq, resident_id, indicator, aspect, points, deed_date, recorded_at, "
        "source, actor, evidence, policy_version, reason) SELECT 38, resident_id, indicator, aspect, 50, "
        "deed_date, recorded_at, source, actor, evidence, policy_version, reason FROM ledger_entry "
        "WHERE seq = 1"
    )
    with tampered(ledger, (insert, {})) as report:
        assert kinds(report) == {("inserted", 38)}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=st.integers(1, SIZE), b=st.integers(1, SIZE))
def test_swapped_rows_are_reported_as_reordered(ledger, a, b) -> None:
    if a == b:
        return
    with tampered(
        ledger,
        ("UPDATE ledger_entry SET seq = -1 WHERE seq = :a", {"a": a}),
        ("UPDATE ledger_entry SET seq = :a WHERE seq = :b", {"a": a, "b": b}),
        ("UPDATE ledger_entry SET seq = :b WHERE seq = -1", {"b": b}),
    ) as report:
        found = kinds(report)
    # Two rows with identical content (possible in the fixture) cannot be told apart; else reordered.
    assert found == set() or {("reordered", a), ("reordered", b)} <= found


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(level=st.integers(0, 5), index=st.integers(0, SIZE - 1), byte=st.integers(0, 31))
def test_a_changed_leaf_hash_or_node_is_reported(ledger, level, index, byte) -> None:
    index %= SIZE >> level
    with ledger.engine.connect() as conn:
        (blob,) = conn.execute(
            text("SELECT hashes FROM ledger_node WHERE level = :l AND stripe = 0"), {"l": level}
        ).one()
    blob = bytearray(blob)
    blob[index * 32 + byte] ^= 0x01
    with tampered(
        ledger,
        (
            "UPDATE ledger_node SET hashes = :h WHERE level = :l AND stripe = 0",
            {"h": bytes(blob), "l": level},
        ),
    ) as report:
        assert not report.ok
        if level == 0:
            assert ("changed", index + 1) in kinds(report)
        else:
            assert any(
                f.kind == "node" and f"level {level}, index {index})" in f.detail for f in report.findings
            )


def test_a_changed_checkpoint_is_reported(ledger) -> None:
    with tampered(ledger, ("UPDATE ledger_checkpoint SET note = replace(note, '\n16\n', '\n15\n')", {})) as r:
        assert any(f.kind == "checkpoint" and "tree size 16" in f.detail for f in r.findings)
