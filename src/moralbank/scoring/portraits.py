"""A resident's portrait kept between requests while nothing it shows has changed.

A portrait is computed from the resident's ledger entries, the active policy, the stored score record,
history and distributions (written together by a score run), the resident's grid (when no run has
scored them yet) and today's date. Each request reads a *stamp* of those inputs — one statement on the
driver: the resident's newest ledger entry (the ledger is append-only, corrections are new entries),
the newest score run, the newest policy version and the resident's grid — and the rendered portrait is
reused only for the same stamp, day and language. The stamp is read before a portrait is built, so a
change racing the build only costs another build.

Access checks and access logging are not cached: callers do them per request as before.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import TYPE_CHECKING, Any

from moralbank.db import raw
from moralbank.kernel.clock import local_date

if TYPE_CHECKING:
    from moralbank.bootstrap import Container

__all__ = ["Portraits", "of"]

STAMP = """
SELECT (SELECT MAX(seq) FROM ledger_entry WHERE resident_id = ?),
       (SELECT MAX(id) FROM score_run),
       (SELECT MAX(version) FROM policy_version),
       (SELECT grid_code FROM resident WHERE id = ?)
"""

MAX_ENTRIES = 10_000  # rendered portraits kept per process; the oldest goes first


class Portraits:
    """The per-process cache of rendered portraits (whatever bytes the caller renders)."""

    def __init__(self, container: Container):
        self._container = container
        self._kept: dict[tuple[str, str], tuple[tuple[Any, ...], bytes]] = {}
        self._lock = threading.Lock()  # builds finish on threadpool threads

    def stamp(self, resident_id: str) -> tuple[Any, ...]:
        """What the resident's portrait is computed from, as of now (run on the event loop where
        :func:`moralbank.db.raw.inline`)."""
        today: date = local_date(self._container.clock.now())
        row = raw.fetch_one(self._container.engine, STAMP, (resident_id, resident_id))
        return (today, *(row or ()))

    def get(self, resident_id: str, lang: str, stamp: tuple[Any, ...]) -> bytes | None:
        hit = self._kept.get((resident_id, lang))
        return hit[1] if hit is not None and hit[0] == stamp else None

    def put(self, resident_id: str, lang: str, stamp: tuple[Any, ...], body: bytes) -> None:
        with self._lock:
            if len(self._kept) >= MAX_ENTRIES:
                self._kept.pop(next(iter(self._kept)), None)
            self._kept[(resident_id, lang)] = (stamp, body)


def of(container: Container) -> Portraits:
    """The container's cache (one per process and container)."""
    cache = container.cache.get("scoring.portraits")
    if cache is None:
        cache = container.cache["scoring.portraits"] = Portraits(container)
    return cache
