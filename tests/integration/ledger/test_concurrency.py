"""Two writers posting at the same time never interleave sequence numbers within a batch, and the
log stays consistent (SQLite: BEGIN IMMEDIATE; PostgreSQL: the log-state row locked FOR UPDATE)."""

from __future__ import annotations

import threading

from moralbank.ledger import service
from tests.integration.ledger.conftest import deed


def test_concurrent_batches_get_contiguous_seqs(container) -> None:  # noqa: ANN001
    with container.uow() as uow:  # create the log state row first, as the first post would
        service.post(uow, [deed(0)])
        uow.commit()
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(w: int) -> None:
        try:
            start.wait()
            for b in range(3):
                with container.uow() as uow:
                    posted = service.post(uow, [deed(100 * w + 10 * b + i) for i in range(7)])
                    uow.commit()
                results[w * 10 + b] = [e.seq for e in posted]
        except BaseException as e:  # noqa: BLE001 - surfaced below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seqs = sorted(s for batch in results.values() for s in batch)
    assert seqs == list(range(2, 2 + 4 * 3 * 7))
    for batch in results.values():
        assert batch == list(range(batch[0], batch[0] + 7))
    with container.uow(write=False) as uow:
        report = service.audit(uow)
    assert report.ok and report.checkpoints == 1 + 12
