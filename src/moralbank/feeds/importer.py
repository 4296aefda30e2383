"""The import driver: streams an arrival through ``feeds.service.import_batch`` one batch per
transaction. This is an entry point (like a CLI command), so it owns the commits.

Exactly once under ``kill -9``: each batch commits its records, quarantine rows, evaluation items, ledger
entries (with their Merkle nodes) and the import's progress row (``rows_done``) together. Run again, the
import finds its unfinished progress row by (interface, SHA-256 of the content), skips the rows already
committed and carries on; rows are never half in. Two test hooks make the kill test deterministic:
``MORALBANK_FEEDS_PAUSE_AFTER_BATCH=k`` (pause after batch k committed) and
``MORALBANK_FEEDS_PAUSE_IN_BATCH=k`` (pause inside batch k, before its commit).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import Any

from moralbank.db.engine import sqlite_cache_cap
from moralbank.db.stats import analyze_grown
from moralbank.errors import InvalidInput, Unavailable
from moralbank.feeds import bodies, domain, service
from moralbank.feeds.domain import Counts, RawRow
from moralbank.kernel.clock import local_date

# Rows per committed batch. Everything evaluation builds for a batch is alive at once (about 8 KB a
# record, three batches read or in flight): the Yuyao year on SQLite peaked at 1,039 MB with 20,000 and
# at 830 MB with 10,000 (and the smaller ID-number cache), 11 % slower (docs/feeds.md, Performance).
DEFAULT_BATCH = int(os.environ.get("MORALBANK_FEEDS_BATCH", "10000"))
READ_AHEAD = os.environ.get("MORALBANK_FEEDS_READ_AHEAD", "1") != "0"  # read and validate in a thread
MAX_CURSOR = 255  # characters of a pull cursor (as the department gives it)
SQLITE_CACHE_KIB = 131_072  # page cache for the import's connection on SQLite (indexes of big tables)


@dataclass
class ImportResult:
    import_id: int
    interface: str
    file: str
    counts: Counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "interface": self.interface,
            "file": self.file,
            **self.counts.as_dict(),
        }


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _pause(var: str, batch: int) -> None:
    if os.environ.get(var) == str(batch):
        sys.stderr.write(f"feeds: paused ({var}={batch})\n")
        sys.stderr.flush()
        time.sleep(3600)


def _batches(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


@dataclass
class _Prepared:
    rows: list[RawRow]
    checked: list[Any]  # domain.validate of each row (Record or RowProblem)
    on: date  # the local day they were validated for


_END = object()
log = logging.getLogger(__name__)


class _Reader:
    """Reads and validates the next batch in a thread while this one is written: sqlite3 and psycopg
    release the GIL while the database works, so parsing overlaps with the writes. At most ``ahead``
    batches wait (memory stays bounded whatever the file size); an error while reading (a refused
    header, a damaged XLSX) is raised in the importing thread."""

    def __init__(self, iface: Any, rows: Iterable[RawRow], size: int, clock: Any, ahead: int = 1) -> None:
        self.iface, self.rows, self.size, self.clock = iface, rows, size, clock
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=ahead)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="feeds-reader", daemon=True)

    def _put(self, item: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        try:
            for batch in _batches(self.rows, self.size):
                today = local_date(self.clock.now())
                checked = [domain.validate(self.iface, raw, today=today) for raw in batch]
                if not self._put(_Prepared(batch, checked, today)):
                    return
            self._put(_END)
        except BaseException as e:  # noqa: BLE001 - handed to the importing thread
            self._put(e)

    def __iter__(self) -> Iterator[_Prepared]:
        if not READ_AHEAD:  # everything in the importing thread
            for batch in _batches(self.rows, self.size):
                today = local_date(self.clock.now())
                yield _Prepared(batch, [domain.validate(self.iface, r, today=today) for r in batch], today)
            return
        self.thread.start()
        try:
            while True:
                item = self.queue.get()
                if item is _END:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.stop.set()
            self.thread.join(timeout=5)


def _malloc_trim() -> Callable[[], Any]:
    """glibc's ``malloc_trim(0)``, or a no-op elsewhere. Each batch frees hundreds of megabytes that
    malloc keeps (spread among the import's long-lived memo entries); given back after every batch,
    the peak RSS is one batch over the memos instead of growing towards the sum of the batches'
    fragments (Yuyao year, one evaluated file with 600,000 residents: 880 MB -> 623 MB)."""
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    return lambda: trim(0)


_trim = _malloc_trim()

_gc_lock = threading.Lock()
_gc_depth = 0
_gc_saved: tuple[int, int, int] | None = None


@contextmanager
def _young_gc_only() -> Iterator[None]:
    """No full garbage collections while importing. Each batch allocates (and frees, by reference
    counting) hundreds of thousands of objects; the collector counts them as promotions and scans the
    whole heap — millions of objects once the memos hold the city's residents — every few batches:
    at 500,000 records that was 45 % of the import. Young generations are still collected."""
    global _gc_depth, _gc_saved
    with _gc_lock:
        if _gc_depth == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(_gc_saved[0], _gc_saved[1], 1_000_000_000)
        _gc_depth += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_depth -= 1
            if _gc_depth == 0 and _gc_saved is not None:
                gc.set_threshold(*_gc_saved)


def run_import(
    container: Any,
    *,
    interface: str,
    rows: Iterable[RawRow],
    file_name: str,
    content_sha256: str,
    transport: str = "file",
    actor: str = "system",
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import an arrival (any iterable of raw rows) in committed batches; resumable."""
    size = batch_size or DEFAULT_BATCH
    with container.uow() as uow:
        run = service.begin_import(
            uow,
            interface=interface,
            transport=transport,
            file_name=file_name,
            file_sha256=content_sha256,
            actor=actor,
        )
        import_id, done = run.id, run.rows_done
        uow.commit()
    if done and progress:
        progress(done)
    try:
        _run_batches(container, import_id, interface, (r for r in rows if r.row > done), size, progress)
    except Exception as e:
        # not left 'running' for ever: staff see it failed, and why (kill -9 still leaves it running,
        # to resume)
        log.exception("feeds: import %s of %s (%s) failed", import_id, interface, file_name)
        with container.uow() as uow:
            service.fail_import(uow, import_id=import_id, error=f"{type(e).__name__}: {e}")
            uow.commit()
        raise
    with container.uow() as uow:
        run = service.finish_import(uow, import_id=import_id)
        counts = service.import_counts(run)
        uow.commit()
    return ImportResult(import_id, interface, file_name, counts)


def _run_batches(
    container: Any,
    import_id: int,
    interface: str,
    pending: Iterable[RawRow],
    size: int,
    progress: Callable[[int], None] | None,
) -> None:
    memo: dict[str, Any] = {}  # look-ups remembered for this import only
    reader = _Reader(service.get_interface(interface), pending, size, container.clock)
    with _young_gc_only():
        for k, prepared in enumerate(reader, start=1):
            _refresh_planner_stats(container)
            with container.uow() as uow:
                # The ledger's bulk cache (1 GB) would count against the importer's memory goal.
                with sqlite_cache_cap(uow.db.connection(), SQLITE_CACHE_KIB):
                    service.import_batch(
                        uow,
                        import_id=import_id,
                        rows=prepared.rows,
                        memo=memo,
                        checked=prepared.checked,
                        checked_on=prepared.on,
                    )
                    _pause("MORALBANK_FEEDS_PAUSE_IN_BATCH", k)
                uow.commit()
            _trim()
            _pause("MORALBANK_FEEDS_PAUSE_AFTER_BATCH", k)
            if progress:
                progress(len(prepared.rows))


# Tables an import both grows and looks up by key in every batch (the duplicate check).
LOOKED_UP_AS_IT_GROWS = ("feed_record",)


def _refresh_planner_stats(container: Any) -> None:
    """On PostgreSQL, analyze the tables the import has grown (``db.stats``), in a short transaction of
    its own between batches: the next batch's duplicate check is planned on current statistics."""
    if container.engine.dialect.name != "postgresql":
        return
    with container.engine.begin() as conn:
        analyze_grown(conn, LOOKED_UP_AS_IT_GROWS)


def import_file(
    container: Any,
    *,
    interface: str,
    path: Path,
    actor: str = "system",
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a CSV (UTF-8, UTF-8 BOM, GB18030), XLSX or JSON Lines file, streaming it."""
    iface = service.get_interface(interface)
    path = Path(path)
    required = [f.name for f in iface.fields if f.required]
    rows = domain.read_rows(path, fields=required)
    # Read the header (and first row) now: an empty or refused file is refused before an import is
    # recorded, not left behind as one that never finishes.
    first = next(rows, None)
    return run_import(
        container,
        interface=interface,
        rows=rows if first is None else chain([first], rows),
        file_name=path.name,
        content_sha256=file_sha256(path),
        actor=actor,
        batch_size=batch_size,
        progress=progress,
    )


def import_body(
    container: Any, *, interface: str, body: bodies.Body, name: str, transport: str, actor: str
) -> ImportResult:
    """Import a pushed body as ``feeds.service.read_push_body`` read it: JSON Lines, or the records of
    one JSON object ``{"records": [...]}``."""
    return run_import(
        container,
        interface=interface,
        rows=body.rows(file=name),
        file_name=name,
        content_sha256=hashlib.sha256(body.raw).hexdigest(),
        transport=transport,
        actor=actor,
    )


def pull(
    container: Any,
    *,
    interface: str,
    url: str | None = None,
    actor: str = "system",
    max_pages: int = 1000,
    token: str | None = None,
    timeout: float = 30.0,
) -> list[ImportResult]:
    """Scheduled pull from a department's REST endpoint (run it from cron or a systemd timer).

    ``GET <url>?since=<cursor>`` answers ``{"records": [...], "next": "<cursor>"}``; each page is one
    import (exactly once by record id, so a page fetched twice changes nothing), and the cursor moves
    only after its page is committed. A page that cannot be had or read — the endpoint down or slow, an
    HTTP error or redirect, an answer that is not such an object — raises ``Unavailable`` naming the
    interface, the URL and what happened; the cursor stays. ``container.http_transport`` is the seam
    tests use."""
    import httpx

    iface = service.get_interface(interface)
    if "pull" not in iface.transports:
        raise InvalidInput(f"{interface} is not pulled (transports: {', '.join(iface.transports)})")
    url = url or os.environ.get(f"MORALBANK_FEEDS_PULL_URL_{interface.upper()}") or iface.pull_url
    results = []
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(transport=container.http_transport, timeout=timeout, headers=headers) as client:
        for _ in range(max_pages):
            with container.uow(write=False) as uow:
                cursor = service.pull_cursor(uow, interface=interface)
            page, nxt = _page(client, interface, str(url), cursor)
            empty = not page.records  # asked before the import reads the records (and lets them go)
            if not empty:
                name = f"pull:{url}?since={cursor or ''}"
                results.append(
                    run_import(
                        container,
                        interface=interface,
                        rows=page.rows(file=name),
                        file_name=name,
                        content_sha256=hashlib.sha256(page.raw).hexdigest(),
                        transport="pull",
                        actor=actor,
                    )
                )
            with container.uow() as uow:
                service.set_pull_cursor(uow, interface=interface, cursor=nxt or cursor)
                uow.commit()
            if empty or not nxt or nxt == cursor:
                break
    return results


def _page(client: Any, interface: str, url: str, cursor: str | None) -> tuple[bodies.Body, str | None]:
    """(the page as read, next cursor) of one page, or ``Unavailable`` saying what went wrong. A record
    of a good page that the JSON parser cannot take is quarantined, as any bad record is."""
    import httpx

    def failed(what: str) -> Unavailable:
        return Unavailable(f"{interface}: pull from {url} failed: {what}")

    try:
        resp = client.get(url, params={"since": cursor} if cursor else None)
    except httpx.TimeoutException:
        raise failed("no answer in time") from None
    except httpx.HTTPError as e:
        raise failed(f"cannot connect ({type(e).__name__})") from None
    if resp.status_code != 200:
        raise failed(f"HTTP {resp.status_code}, not a page of records") from None
    try:
        doc = bodies.parse(resp.content.decode(json.detect_encoding(resp.content), "surrogatepass"))
    except (bodies.NotOneValue, ValueError, RecursionError):
        raise failed("the answer is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
        raise failed('the answer is not {"records": [...], "next": ...}')
    nxt = doc.get("next")
    if nxt is not None and (isinstance(nxt, bool) or not isinstance(nxt, (str, int))):
        raise failed("its next cursor is not text")
    if nxt is not None and len(str(nxt)) > MAX_CURSOR:
        raise failed("its next cursor is too long")
    return bodies.Body(resp.content, doc["records"]), None if nxt is None else str(nxt)
