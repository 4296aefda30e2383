"""Group commit for append-only rows that reads must leave behind (the access log).

Each read of personal data writes one access-log row, and the response may be sent only once that row
is committed. On SQLite one transaction per request means one write lock per request: 64 concurrent
readers queue on it (SQLite's busy handler sleeps between tries), and each holds a second pooled
connection while it waits — enough of them exhaust the pool and wait on each other. Here requests hand
their rows to one writer thread and wait until they are committed; the writer commits whatever has
queued up meanwhile in one short transaction. Nothing is acknowledged before its commit, so the
guarantee is the same as a commit per request.

``write`` blocks (threadpool and CLI callers); ``submit`` returns a future (``asyncio.wrap_future``).
A failed batch is retried one submission at a time, so one bad row fails only its own request.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

__all__ = ["GroupCommit"]

IDLE_SECONDS = 5.0  # the writer thread ends after this long without work (and starts again on demand)


class GroupCommit:
    def __init__(self, factory: sessionmaker[Session], *, max_batch: int = 1000):
        self._factory = factory  # write sessions (BEGIN IMMEDIATE on SQLite)
        self._max_batch = max_batch
        self._queue: list[tuple[list[Any], Future[None]]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.batches = 0  # transactions committed (for tests and benchmarks)

    def submit(self, rows: list[Any]) -> Future[None]:
        """Queue ``rows`` (ORM objects) for the next transaction; the future resolves once committed."""
        done: Future[None] = Future()
        if not rows:
            done.set_result(None)
            return done
        with self._cond:
            self._queue.append((list(rows), done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="moralbank-group-commit", daemon=True)
                self._thread.start()
            self._cond.notify()
        return done

    def write(self, rows: list[Any]) -> None:
        """Write ``rows`` and return once they are committed (raises what their transaction raised)."""
        self.submit(rows).result()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue and not self._cond.wait_for(lambda: bool(self._queue), IDLE_SECONDS):
                    self._thread = None
                    return
                batch, self._queue = self._queue[: self._max_batch], self._queue[self._max_batch :]
            try:
                self._commit(batch)
            except Exception:
                for one in batch:  # find the submission that failed; the others still commit
                    try:
                        self._commit([one])
                    except Exception as e:  # noqa: BLE001 - handed to the waiting caller
                        one[1].set_exception(e)
                    else:
                        one[1].set_result(None)
            else:
                for _, done in batch:
                    done.set_result(None)

    def _commit(self, batch: list[tuple[list[Any], Future[None]]]) -> None:
        with self._factory() as session:
            for rows, _ in batch:
                session.add_all(rows)
            session.commit()
            self.batches += 1
