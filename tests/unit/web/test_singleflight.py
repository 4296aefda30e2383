"""Concurrent misses of one cache entry share one build."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from moralbank.web.singleflight import SingleFlight


def run_in_own_loop(main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run MAIN on a fresh event loop in its own thread.

    A browser test in the same worker keeps Playwright's sync loop running on the main thread,
    where asyncio.run() would refuse to start.
    """
    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(main())).result()


def test_concurrent_callers_share_one_build_and_later_callers_build_again() -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def build(n: int) -> int:
        with lock:
            calls.append(n)
        time.sleep(0.05)
        return n * 2

    async def main() -> None:
        flights = SingleFlight()
        results = await asyncio.gather(*(flights.run("k", build, 21) for _ in range(10)))
        assert results == [42] * 10 and calls == [21]
        assert await flights.run("other", build, 1) == 2 and await flights.run("k", build, 5) == 10
        assert calls == [21, 1, 5]

    run_in_own_loop(main)


def test_an_error_reaches_every_caller_and_a_caller_leaving_does_not_stop_the_build() -> None:
    def fail() -> None:
        time.sleep(0.05)
        raise ValueError("no")

    def slow() -> str:
        time.sleep(0.1)
        return "done"

    async def main() -> None:
        flights = SingleFlight()
        outcomes = await asyncio.gather(*(flights.run("k", fail) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(o, ValueError) for o in outcomes)
        leaving = asyncio.ensure_future(flights.run("s", slow))
        staying = asyncio.ensure_future(flights.run("s", slow))
        await asyncio.sleep(0.01)
        leaving.cancel()
        assert await staying == "done"
        with pytest.raises(asyncio.CancelledError):
            await leaving

    run_in_own_loop(main)
