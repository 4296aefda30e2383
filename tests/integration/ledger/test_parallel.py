"""Big batches hand their leaves to the helper process (``moralbank.ledger.worker``) while the
parent writes the rows: the stored log must be exactly the one the serial path builds, and a helper
that fails or dies must change nothing but the speed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from moralbank.ledger import domain, merkle, service, worker
from moralbank.ledger import repository as repo

from .conftest import deed

SIZES = [1, 9, 300, 8, 517, 40]  # crosses stripes of 256 and odd borders


@pytest.fixture
def helper_jobs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Use the helper for batches of 8 or more; record each answer it gives."""
    monkeypatch.setattr(worker, "MIN_ENTRIES", 8)
    monkeypatch.setattr(service, "BIG_BATCH", 8)
    monkeypatch.setattr(worker, "ENABLED", True)
    answered: list[str] = []
    real = worker.Job._answer

    def answer(self):  # noqa: ANN001, ANN202
        got = real(self)
        answered.append(self.task if got and got[0] else "failed")
        return got

    monkeypatch.setattr(worker.Job, "_answer", answer)
    return answered


def _post_batches(container, sizes: list[int]) -> None:  # noqa: ANN001
    i = 0
    with container.uow() as uow:
        for n in sizes:
            service.post(uow, [deed(k) for k in range(i, i + n)])
            i += n
        uow.commit()


def _stored(container) -> tuple[list, int, bytes]:  # noqa: ANN001
    """The stored levels, size and root, after checking them against the rows (audit + in-memory root)."""
    with container.uow(write=False) as uow:
        levels = repo.node_levels(uow.db)
        nodes = [(lv, b"".join(h for _, h in repo.iter_stripes(uow.db, lv))) for lv, _, _ in levels]
        size, root = repo.state(uow.db)
        leaves = [e.leaf() for chunk in repo.iter_entries(uow.db) for e in chunk]
        report = service.audit(uow)
        sizes = [c.tree_size for c in repo.checkpoints(uow.db)]
    assert report.ok, report.findings
    assert root == merkle.root_of(merkle.leaf_hashes(leaves))
    below = nodes[0][1]
    for _, have in nodes[1:]:  # every level is the pairwise hash of the one below
        assert have == merkle._pair_up(below[: (len(below) // 64) * 64])
        below = have
    assert sizes == [sum(SIZES[: i + 1]) for i in range(len(SIZES))] or sizes == [20]
    return nodes, size, root


def test_the_helper_builds_the_same_log_as_the_serial_path(container, helper_jobs) -> None:
    _post_batches(container, SIZES)
    assert helper_jobs == ["tree"] * 5  # every batch of 8 or more
    _, size, _ = _stored(container)
    assert size == sum(SIZES)


def test_the_serial_path_builds_the_same_log(container, monkeypatch) -> None:
    monkeypatch.setattr(worker, "ENABLED", False)
    monkeypatch.setattr(service, "BIG_BATCH", 8)
    _post_batches(container, SIZES)
    _, size, _ = _stored(container)
    assert size == sum(SIZES)


def _rows(n: int) -> tuple[list[tuple], str]:
    at = datetime(2026, 11, 25, 2, 0, 0, 123, tzinfo=UTC)
    entries = domain.stamp([deed(k) for k in range(n)], first_seq=1, recorded_at=at)
    return repo.stored_rows(entries), repo.sqlite_instant(at)


def test_stored_rows_encode_to_the_same_leaves() -> None:
    at = datetime(2026, 11, 25, 2, 0, 0, 123, tzinfo=UTC)
    entries = domain.stamp(
        [deed(k, expires_on=None if k % 2 else deed(k).deed_date, severity="minor") for k in range(40)],
        first_seq=5,
        recorded_at=at,
    )
    rows = repo.stored_rows(entries)
    assert worker.encode_rows(rows, repo.sqlite_instant(at)) == domain.encode_leaves(entries)
    with_times = [(*r, repo.sqlite_instant(at)) for r in rows]
    assert worker.entries_of_rows(with_times, None) == entries
    assert worker.compute_hashes(with_times, None) == merkle.leaf_hashes(domain.encode_leaves(entries))


def test_a_helper_that_dies_is_replaced_by_the_parent_and_restarted(helper_jobs, monkeypatch) -> None:
    rows, at = _rows(30)
    want = worker.compute_hashes(rows, at)
    # The helper's answer never comes (it died mid-job): the parent computes the same itself.
    real_read = worker._read_exact
    monkeypatch.setattr(worker, "_read_exact", lambda stream, n: None)
    job = worker.Job("hashes", rows, at)
    assert job.proc is not None
    assert job.result() == want
    assert helper_jobs == ["failed"]
    assert worker._helper.proc is None  # dropped
    monkeypatch.setattr(worker, "_read_exact", real_read)
    # A helper killed between jobs is replaced by a new one on the next job.
    assert worker.Job("hashes", rows, at).result() == want
    old = worker._helper.proc
    old.kill()
    old.wait()
    assert worker.Job("hashes", rows, at).result() == want
    assert worker._helper.proc is not old
    assert helper_jobs == ["failed", "hashes", "hashes"]


def test_an_error_in_the_helper_is_raised_here(helper_jobs) -> None:
    rows, at = _rows(3)
    rows[1] = (*rows[1][:5], "2026-13-45", *rows[1][6:])  # no such date
    with pytest.raises(ValueError):
        worker.Job("hashes", rows, at).result()
    assert helper_jobs == ["failed"]
    good, _ = _rows(3)
    assert worker.Job("hashes", good, at).result() == worker.compute_hashes(good, at)


def test_a_failed_insert_posts_nothing_and_leaves_the_helper_ready(
    container, helper_jobs, monkeypatch
) -> None:
    real = repo.insert_entries

    def boom(db, entries, rows=None):  # noqa: ANN001, ANN202
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(repo, "insert_entries", boom)
    with pytest.raises(RuntimeError, match="disk is full"), container.uow() as uow:
        service.post(uow, [deed(k) for k in range(20)])
    monkeypatch.setattr(repo, "insert_entries", real)
    with container.uow(write=False) as uow:
        assert service.tree_size(uow) == 0
    _post_batches(container, [20])
    assert helper_jobs == ["tree", "tree"]
    _stored(container)
