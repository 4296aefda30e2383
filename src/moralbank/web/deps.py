"""FastAPI dependencies: the container, a unit of work per request, the signed-in principal."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Request

from moralbank.bootstrap import Container
from moralbank.db.uow import UnitOfWork


def get_container(request: Request) -> Container:
    return request.app.state.container


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    with get_container(request).uow() as uow:
        yield uow
