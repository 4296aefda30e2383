"""Leaf encoding and hashing on the second core: a long-lived helper process (``python -m
moralbank.ledger.worker``) that big batches and the audit hand their leaves to.

Posting a big batch is two independent halves: the entry rows going into the database (SQLite or
COPY, plus the per-row Python work around it) and the Merkle half (canonical leaves, leaf hashes, the
new nodes). The parent sends the batch's rows — the same tuples it binds to the database, in the
*stored form* below — to the helper, inserts them while the helper encodes and hashes, then stores
the nodes the helper sends back. The result is byte for byte what the parent would compute itself
(``compute_tree`` is the same code either way, and tests compare both paths); only the core differs.

Stored form of an entry (``Entry`` field order without ``recorded_at``, which a batch shares): seq,
resident_id, indicator, aspect, points, deed_date (``YYYY-MM-DD``), source, actor, policy_version,
reason, source_ref, evidence (the JSON text of the list), reverses_seq, severity, expires_on
(``YYYY-MM-DD`` or None). ``encode_rows`` turns such rows into leaves through ``domain.encode_leaves``.

The helper is a fresh interpreter started with ``subprocess`` (not ``fork``: no copy-on-write of the
parent's large page cache, safe in threaded servers), one per parent process, started on first use;
messages are ``marshal`` data framed by their length on its stdin and stdout. If it cannot be
started, dies, or is busy with another thread's batch, the parent computes the same result itself.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import marshal
import os
import struct
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

from moralbank.ledger import domain, merkle
from moralbank.ledger.domain import Entry, Memo

MIN_ENTRIES = 20_000  # below this, shipping the rows costs more than hashing them here
ENABLED = True  # tests (and operators, via MORALBANK_LEDGER_WORKER=0) can switch the helper off
_LEN = struct.Struct("<Q")
_PIPE_BYTES = 1 << 20

Row = tuple  # a stored-form row (see the module docstring)


# -- the work itself (run in the helper, or here as the fallback) ------------------------------------
def _evidence_of(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def _instant_of(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _day_of(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def entries_of_rows(rows: list[Row], recorded_at: str | None) -> list[Entry]:
    """Entries from stored-form rows: ``recorded_at`` is the batch's time text, or None when each
    row carries its own as a 16th value (as the audit reads them). Each distinct date, time and
    evidence text is parsed once, exactly as the repository reads a row."""
    day, when, ev = Memo(_day_of), Memo(_instant_of), Memo(_evidence_of)
    new = tuple.__new__
    if recorded_at is not None:
        at = when[recorded_at]
        return [
            new(
                Entry,
                (r[0], r[1], r[2], r[3], r[4], day[r[5]], at, *r[6:11], ev[r[11]], r[12], r[13], day[r[14]]),
            )
            for r in rows
        ]
    return [
        new(
            Entry,
            (
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                day[r[5]],
                when[r[15]],
                *r[6:11],
                ev[r[11]],
                r[12],
                r[13],
                day[r[14]],
            ),
        )
        for r in rows
    ]


def encode_rows(rows: list[Row], recorded_at: str | None) -> list[bytes]:
    """The canonical leaves of stored-form rows (exactly ``domain.encode_leaves`` of their entries)."""
    return domain.encode_leaves(entries_of_rows(rows, recorded_at))


def compute_tree(
    rows: list[Row], recorded_at: str, size: int, border: dict[int, bytes]
) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """The new nodes ``[(level, first_index, hashes)]`` and the root after appending the rows'
    leaves to the tree of ``size`` with right border ``border``."""
    tree = merkle.CompactRange(size, border)
    new = tree.append(merkle.leaf_hashes(encode_rows(rows, recorded_at)))
    return new, tree.root()


def compute_hashes(rows: list[Row], recorded_at: str | None) -> bytes:
    """The concatenated leaf hashes of stored-form rows."""
    return merkle.leaf_hashes(encode_rows(rows, recorded_at))


_TASKS = {"tree": compute_tree, "hashes": compute_hashes}


# -- the helper process ---------------------------------------------------------------------------
def _read_exact(stream, n: int) -> bytes | None:  # noqa: ANN001 - a binary stream
    buf = bytearray()
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _serve() -> None:
    """The helper's loop: read ``(task, args)``, answer ``(True, result)`` or ``(False, error)``."""
    import gc

    gc.disable()  # it builds only acyclic tuples and bytes
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while (head := _read_exact(stdin, _LEN.size)) is not None:
        body = _read_exact(stdin, _LEN.unpack(head)[0])
        if body is None:
            break
        try:
            task, args = marshal.loads(body)
            out = marshal.dumps((True, _TASKS[task](*args)))
        except Exception as e:  # noqa: BLE001 - reported to the parent, which recomputes
            out = marshal.dumps((False, f"{type(e).__name__}: {e}"))
        stdout.write(_LEN.pack(len(out)) + out)
        stdout.flush()


class _Helper:
    """The parent's handle on its helper process (one per process, one batch at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.proc: subprocess.Popen | None = None
        self.owner = 0  # the pid that started it (a forked parent starts its own)
        self.broken = False

    def _ensure(self) -> subprocess.Popen | None:
        if self.proc is not None and self.owner == os.getpid() and self.proc.poll() is None:
            return self.proc
        self.close()  # a helper that died, or the parent's (this process is a fork of it)
        if self.broken:
            return None
        src = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moralbank.ledger.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                close_fds=True,
            )
        except OSError:
            self.broken = True
            return None
        self.owner = os.getpid()
        for pipe in (self.proc.stdin, self.proc.stdout):  # fewer round trips per batch (Linux)
            with contextlib.suppress(AttributeError, OSError):
                fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # type: ignore[attr-defined, union-attr]
        return self.proc

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(OSError):
            proc.stdin.close()  # type: ignore[union-attr]  # end of input: the helper's loop ends
        if self.owner == os.getpid():
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with contextlib.suppress(OSError):
            proc.stdout.close()  # type: ignore[union-attr]


_helper = _Helper()
atexit.register(_helper.close)


def available() -> bool:
    return ENABLED and os.environ.get("MORALBANK_LEDGER_WORKER", "1") != "0"


class Job:
    """One task handed to the helper (or, when that is not possible, computed in ``result``)."""

    def __init__(self, task: str, *args: object):
        self.task, self.args = task, args
        self.proc: subprocess.Popen | None = None
        if not available() or not _helper.lock.acquire(blocking=False):
            return
        try:
            proc = _helper._ensure()
            if proc is not None:
                body = marshal.dumps((task, args))
                proc.stdin.write(_LEN.pack(len(body)) + body)  # type: ignore[union-attr]
                proc.stdin.flush()  # type: ignore[union-attr]
                self.proc = proc
        except (OSError, ValueError):
            _helper.close()
        finally:
            if self.proc is None:
                _helper.lock.release()

    def ready(self) -> bool:
        """Whether ``result`` would return without waiting for the helper."""
        if self.proc is None:
            return True
        import select

        return bool(select.select([self.proc.stdout], [], [], 0)[0])

    def _answer(self) -> tuple | None:
        """Read the helper's answer (None if it broke) and free the helper for the next job."""
        answer = None
        try:
            head = _read_exact(self.proc.stdout, _LEN.size)  # type: ignore[union-attr]
            body = None if head is None else _read_exact(self.proc.stdout, _LEN.unpack(head)[0])  # type: ignore[union-attr]
            answer = None if body is None else marshal.loads(body)
        except (OSError, ValueError, EOFError, TypeError):
            answer = None
        finally:
            self.proc = None
            if answer is None:
                _helper.close()
            _helper.lock.release()
        return answer

    def result(self):  # noqa: ANN201 - the task's result
        if self.proc is not None:
            answer = self._answer()
            if answer is not None and answer[0]:
                return answer[1]
        return _TASKS[self.task](*self.args)  # no helper, or it failed: the same work here

    def cancel(self) -> None:
        """Drop the answer (the batch failed meanwhile); the helper stays ready for the next job."""
        if self.proc is not None:
            self._answer()


if __name__ == "__main__":
    _serve()
