"""The group-commit writer of access-log rows: rows of concurrent callers share a transaction, each
caller returns only once its rows are committed, and a bad row fails only its own caller."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from moralbank.audit.models import AccessLog
from moralbank.db.group_commit import GroupCommit

AT = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def row(n: int, actor: str | None = "user:1") -> AccessLog:
    return AccessLog(
        at=AT,
        actor=actor,
        actor_name="x",
        role="auditor",
        resident_id=f"R{n:012d}",
        what="scoring.portrait",
        why="moral portrait",
        route="GET /x",
    )


def count(container) -> int:  # noqa: ANN001
    with container.uow(write=False) as uow:
        return uow.db.scalar(select(func.count()).select_from(AccessLog))


def test_concurrent_rows_share_transactions_and_are_committed_on_return(container, monkeypatch) -> None:  # noqa: ANN001
    writer = GroupCommit(container.session_factory(write=True))
    first = threading.Event()
    release = threading.Event()
    commit = GroupCommit._commit

    def held_first(self, batch):  # noqa: ANN001, ANN202
        if not first.is_set():
            first.set()
            release.wait(10)  # the first transaction stays open while the others queue up
        return commit(self, batch)

    monkeypatch.setattr(GroupCommit, "_commit", held_first)
    seen: list[int] = []

    def one(n: int) -> None:
        writer.write([row(n)])
        seen.append(count(container))  # committed before write returned

    with ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(one, 0)]
        assert first.wait(10)
        futures += [pool.submit(one, n) for n in range(1, 20)]
        while len(writer._queue) < 19:  # noqa: SLF001 - wait until every caller has queued its row
            threading.Event().wait(0.01)
        release.set()
        for f in futures:
            f.result()
    assert count(container) == 20 and min(seen) >= 1
    assert writer.batches == 2  # the held first row, then the 19 that queued meanwhile


def test_a_bad_row_fails_only_its_own_caller(container) -> None:  # noqa: ANN001
    writer = GroupCommit(container.session_factory(write=True))
    good = [writer.submit([row(n)]) for n in range(3)]
    bad = writer.submit([row(9, actor=None)])  # NOT NULL actor
    more = writer.submit([row(4)])
    for f in [*good, more]:
        assert f.result(10) is None
    with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's integrity error
        bad.result(10)
    assert count(container) == 4
