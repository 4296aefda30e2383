"""One build at a time per key: concurrent requests that miss the same cache entry share one threadpool
build instead of each running it (64 connections opening a resident's portrait at once would
otherwise compute it 64 times, and every request would wait for all of them)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._running: dict[tuple[int, Hashable], asyncio.Future[Any]] = {}

    async def run(self, key: Hashable, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the threadpool, or the result of the same key's build already running.

        The build is a task of its own, so a caller that goes away (a closed connection) does not
        cancel it for the others; its error, if any, is raised in every caller.
        """
        loop = asyncio.get_running_loop()
        slot = (id(loop), key)
        task = self._running.get(slot)
        if task is None:
            task = self._running[slot] = asyncio.ensure_future(run_in_threadpool(fn, *args))
            task.add_done_callback(lambda t: self._finished(slot, t))
        return await asyncio.shield(task)

    def _finished(self, slot: tuple[int, Hashable], task: asyncio.Future[Any]) -> None:
        self._running.pop(slot, None)
        if not task.cancelled():
            task.exception()  # retrieved here too: no "never retrieved" log when every caller left


def of(container: Any) -> SingleFlight:
    """The container's (one per process and container)."""
    flights = container.cache.get("web.singleflight")
    if flights is None:
        flights = container.cache["web.singleflight"] = SingleFlight()
    return flights
