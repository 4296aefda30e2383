"""Big batches hash their leaves in a forked child while the parent writes the rows
(``moralbank.ledger.worker``): the stored log must be exactly the one the serial path builds."""

from __future__ import annotations

import os

import pytest

from moralbank.ledger import merkle, service, worker
from moralbank.ledger import repository as repo

from .conftest import deed


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Take the parallel path for batches of 8 or more and count the forks."""
    monkeypatch.setattr(worker, "MIN_ENTRIES", 8)
    monkeypatch.setattr(service, "BIG_BATCH", 8)
    monkeypatch.setattr(worker, "ENABLED", True)
    monkeypatch.setattr(worker.threading, "active_count", lambda: 1)
    count: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        if pid:
            count.append(pid)
        return pid

    monkeypatch.setattr(worker.os, "fork", fork)
    return count


def _post_batches(container, sizes: list[int]) -> None:  # noqa: ANN001
    i = 0
    with container.uow() as uow:
        for n in sizes:
            service.post(uow, [deed(k) for k in range(i, i + n)])
            i += n
        uow.commit()


def _stored(container) -> tuple[list, int, bytes]:  # noqa: ANN001
    with container.uow(write=False) as uow:
        levels = sorted(repo.node_levels(uow.db))
        nodes = [(lv, b"".join(h for _, h in repo.iter_stripes(uow.db, lv))) for lv, _, _ in levels]
        size, root = repo.state(uow.db)
        leaves = [e.leaf() for chunk in repo.iter_entries(uow.db) for e in chunk]
        report = service.audit(uow)
    assert report.ok, report.findings
    assert root == merkle.root_of(merkle.leaf_hashes(leaves))
    return nodes, size, root


SIZES = [1, 9, 300, 8, 517, 40]  # crosses stripes of 256 and odd borders


def _check_levels(nodes: list) -> None:
    """Every stored level is the pairwise hash of the one below."""
    below = nodes[0][1]
    for _, have in nodes[1:]:
        assert have == merkle._pair_up(below[: (len(below) // 64) * 64])
        below = have


def test_forked_hashing_stores_the_same_log_as_the_serial_path(container, forks) -> None:
    _post_batches(container, SIZES)
    assert len(forks) == 5  # every batch of 8 or more
    nodes, size, root = _stored(container)  # the audit recomputes every leaf, node and checkpoint
    assert size == sum(SIZES)
    _check_levels(nodes)
    with container.uow(write=False) as uow:
        assert [c.tree_size for c in repo.checkpoints(uow.db)] == [1, 10, 310, 318, 835, 875]


def test_the_serial_path_builds_the_same_log(container, monkeypatch) -> None:
    monkeypatch.setattr(worker, "ENABLED", False)
    monkeypatch.setattr(service, "BIG_BATCH", 8)
    _post_batches(container, SIZES)
    nodes, size, root = _stored(container)
    assert size == sum(SIZES)
    _check_levels(nodes)


def test_a_child_that_fails_is_replaced_by_the_parent(container, forks, monkeypatch) -> None:
    parent = os.getpid()
    real = worker.compute

    def compute(*args):  # noqa: ANN002, ANN202
        if os.getpid() != parent:
            raise RuntimeError("the child breaks")
        return real(*args)

    monkeypatch.setattr(worker, "compute", compute)
    _post_batches(container, [20, 30])
    assert len(forks) == 2
    _, size, _ = _stored(container)
    assert size == 50


def test_a_failed_insert_stops_the_child_and_posts_nothing(container, forks, monkeypatch) -> None:
    def boom(db, entries):  # noqa: ANN001, ANN202
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repo, "insert_entries", boom)
    with pytest.raises(RuntimeError, match="disk is full"), container.uow() as uow:
        service.post(uow, [deed(k) for k in range(20)])
    assert len(forks) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)  # reaped
    with container.uow(write=False) as uow:
        assert service.tree_size(uow) == 0
