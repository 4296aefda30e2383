"""The unit of work: one transaction per use case. Services never commit; the entry point does."""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from moralbank.bootstrap import Container


class UnitOfWork:
    """``with container.uow() as uow: service.verb(uow, ...); uow.commit()``

    Leaving the block without ``commit()`` rolls back. ``uow.deps`` is the container (clock, keys,
    gateways, policy cache) so services need only this one argument.
    """

    def __init__(self, factory: sessionmaker[Session], deps: Container):
        self._factory = factory
        self.deps = deps
        self.session: Session | None = None  # type: ignore[assignment]

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
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

    def commit(self) -> None:
        self.db.commit()

    def flush(self) -> None:
        self.db.flush()
