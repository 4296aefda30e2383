"""The unit of work: one transaction per use case. Services never commit; the entry point does."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from moralbank.bootstrap import Container
    from moralbank.db.group_commit import GroupCommit


class UnitOfWork:
    """``with container.uow() as uow: service.verb(uow, ...); uow.commit()``

    Leaving the block without ``commit()`` rolls back. ``uow.deps`` is the container (clock, keys,
    gateways, policy cache) so services need only this one argument.
    """

    def __init__(
        self, factory: sessionmaker[Session], deps: Container, *, appender: GroupCommit | None = None
    ):
        self._factory = factory
        # Set for read units of work on SQLite: append-only records (the access log) made while
        # reading are handed at commit to the group-commit writer (db/group_commit.py), which writes
        # the records of concurrent requests in one short write transaction; so a read never holds
        # SQLite's write lock while the request is rendered or handed between threads, nor waits for
        # a second pooled connection to write its record.
        self._appender = appender
        self._deferred: list[Any] = []
        self.deps = deps
        self.session: Session | None = None  # type: ignore[assignment]

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()

    @property
    def db(self) -> Session:
        assert self.session is not None, "use the unit of work inside a with block"
        return self.session

    @property
    def clock(self):  # noqa: ANN201 - Clock protocol
        return self.deps.clock

    @property
    def keys(self):  # noqa: ANN201 - KeyRing
        return self.deps.keys

    def record(self, row: Any) -> None:
        """Add an append-only record (e.g. an access-log row) that must be kept even by a read.

        In a writing unit of work it is added to the transaction; in a read unit of work on SQLite it
        is written by ``commit()``, which returns once the group-commit writer has committed it.
        """
        if self._appender is None:
            self.db.add(row)
        else:
            self._deferred.append(row)

    def commit(self) -> None:
        self.db.commit()
        if self._deferred:
            assert self._appender is not None
            rows, self._deferred = self._deferred, []
            self._appender.write(rows)

    def flush(self) -> None:
        self.db.flush()
