"""Posting entries: sequence numbers, the Merkle log, checkpoints and the append-only table."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from moralbank.errors import InvalidInput
from moralbank.ledger import checkpoint as notes
from moralbank.ledger import merkle, service
from moralbank.ledger.domain import NewEntry


def deed(resident: str = "R7K3Q9X2M4P0A", points: int = 3, **kw) -> NewEntry:
    base = dict(
        resident_id=resident,
        indicator="SG01",
        aspect="social_morality",
        points=points,
        deed_date=date(2026, 11, 20),
        source="evaluation",
        actor="user:3",
        policy_version="2026.1",
        reason="帮助邻居打扫楼道",
        evidence=("photo:1",),
    )
    base.update(kw)
    return NewEntry(**base)


def test_post_assigns_seq_in_order_and_signs_a_checkpoint_per_batch(container) -> None:
    with container.uow() as uow:
        first = service.post(uow, [deed()])
        batch = service.post(uow, [deed(points=p) for p in (1, 2, 5)])
        uow.commit()
    assert [e.seq for e in first + batch] == [1, 2, 3, 4]
    with container.uow(write=False) as uow:
        cp = service.latest_checkpoint(uow)
        entries = service.entries_of(uow, resident_id="R7K3Q9X2M4P0A")
        keys = service.trusted_keys(uow)
    assert cp.tree_size == 4
    assert cp.root == merkle.root_of(merkle.leaf_hashes([e.leaf() for e in entries]))
    checked, _ = notes.open_note(cp.note, keys)
    assert (checked.tree_size, checked.root) == (4, cp.root)
    assert [e.points for e in entries] == [3, 1, 2, 5]
    assert entries[0].evidence == ("photo:1",)


def test_a_bad_batch_posts_nothing_and_names_every_problem(container) -> None:
    with container.uow() as uow, pytest.raises(InvalidInput) as err:
        service.post(uow, [deed(), deed(points=1.5), deed(resident="张三")])
    assert {(p.row, p.field) for p in err.value.problems} == {(2, "points"), (3, "resident_id")}
    with container.uow(write=False) as uow:
        assert service.tree_size(uow) == 0


def test_a_correction_reverses_an_earlier_entry_of_the_same_resident(container) -> None:
    with container.uow() as uow:
        [e] = service.post(uow, [deed()])
        [c] = service.post(uow, [deed(points=-3, source="correction", reverses_seq=e.seq, reason="重复登记")])
        with pytest.raises(InvalidInput):
            service.post(
                uow,
                [
                    deed(
                        resident="R0000000000001",
                        points=-3,
                        source="correction",
                        reverses_seq=e.seq,
                        reason="x",
                    )
                ],
            )
        with pytest.raises(InvalidInput):
            service.post(uow, [deed(points=-3, source="correction", reverses_seq=99, reason="x")])
        uow.commit()
    assert c.reverses_seq == 1


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET points = 100 WHERE seq = 1",
        "DELETE FROM ledger_entry WHERE seq = 1",
        "UPDATE ledger_checkpoint SET tree_size = 9",
        "DELETE FROM ledger_checkpoint",
    ],
)
def test_the_database_refuses_update_and_delete(container, statement: str) -> None:
    with container.uow() as uow:
        service.post(uow, [deed()])
        uow.commit()
    with container.engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text(statement))
    with container.uow(write=False) as uow:
        assert service.get(uow, seq=1).points == 3


def test_a_residents_entries_are_found_through_an_index(container) -> None:
    from sqlalchemy import inspect

    indexes = inspect(container.engine).get_indexes("ledger_entry")
    assert any(ix["column_names"][:1] == ["resident_id"] for ix in indexes), indexes


def test_a_range_of_entries_streams_in_seq_order_across_chunks(ledger) -> None:  # noqa: ANN001
    from moralbank.ledger import repository

    with ledger.uow(write=False) as uow:
        every = {e.seq: e for e in service.entries_between(uow, first_seq=1, last_seq=37)}
        assert sorted(every) == list(range(1, 38))
        for first, last in [(3, 30), (7, 7), (30, 99), (8, 7)]:
            got = list(repository.iter_entries_between(uow.db, first, last, chunk=4))
            assert got == [every[s] for s in range(first, min(last, 37) + 1)]
            assert got == [service.get(uow, seq=s) for s in range(first, min(last, 37) + 1)]
