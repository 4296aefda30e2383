"""The Merkle half of a big posting batch, computed in a forked child process while the parent
writes the entry rows (the machine has more than one core; SQLite and the per-row Python work keep
the parent busy, so encoding and hashing the leaves in parallel takes them off the critical path).

The child gets the batch by ``fork`` (copy-on-write, nothing is serialised), stamps and encodes the
leaves (``domain.stamp`` + ``domain.encode_leaves``), hashes them and grows the compact range from the
border the parent read; it sends back only hashes (every new node, level by level, and the root)
through a pipe. The parent stores exactly what it would have computed itself: the result is the
same bytes (tests check that), only the core differs.

Safety of ``fork``: it is used only on POSIX, for batches of at least ``MIN_ENTRIES``, and only when
the process runs a single thread (a thread holding a lock at the moment of the fork could otherwise
leave the child stuck). The child disables the garbage collector, touches no database connection
(it inherited their file descriptors) and leaves with ``os._exit`` so no finaliser or ``atexit``
handler runs in it. Anything unexpected (the child fails or dies, the pipe breaks) makes the parent
compute the same hashes itself.
"""

from __future__ import annotations

import contextlib
import gc
import os
import struct
import threading
from datetime import datetime

from moralbank.ledger import domain, merkle
from moralbank.ledger.domain import NewEntry

MIN_ENTRIES = 20_000  # below this a fork costs more than it saves
_HEADER = struct.Struct("<qqq")  # level, first index, byte length; level -1 carries the root
ENABLED = True  # tests and operators can switch the parallel path off


def can_fork() -> bool:
    return ENABLED and hasattr(os, "fork") and threading.active_count() == 1


def compute(
    entries: list[NewEntry], first_seq: int, recorded_at: datetime, size: int, border: dict[int, bytes]
) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """The new nodes ``[(level, first_index, hashes)]`` and the root after appending ``entries``."""
    posted = domain.stamp(entries, first_seq=first_seq, recorded_at=recorded_at)
    tree = merkle.CompactRange(size, border)
    new = tree.append(merkle.leaf_hashes(domain.encode_leaves(posted)))
    return new, tree.root()


class Job:
    """``compute`` running in a forked child; ``result()`` collects it (or computes it here)."""

    def __init__(
        self,
        entries: list[NewEntry],
        first_seq: int,
        recorded_at: datetime,
        size: int,
        border: dict[int, bytes],
    ):
        self.args = (entries, first_seq, recorded_at, size, border)
        self.pid = 0
        self.fd = -1
        if not can_fork():
            return
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, write, leave without running any finaliser
            gc.disable()
            status = 1
            try:
                os.close(r)
                new, root = compute(*self.args)
                out = [_HEADER.pack(lv, first, len(h)) + h for lv, first, h in new]
                out.append(_HEADER.pack(-1, 0, len(root)) + root)
                data = memoryview(b"".join(out))
                while data:
                    data = data[os.write(w, data) :]
                status = 0
            except BaseException:  # noqa: BLE001 - the parent recomputes; nothing to report here
                pass
            finally:
                os._exit(status)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self) -> tuple[list[tuple[int, int, bytes]], bytes]:
        if not self.pid:
            return compute(*self.args)
        try:
            data = _read_all(self.fd)
        finally:
            os.close(self.fd)
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
        parsed = _parse(data) if status == 0 else None
        return parsed if parsed is not None else compute(*self.args)

    def cancel(self) -> None:
        """Stop waiting for the child (the batch failed); reap it."""
        if self.pid:
            os.close(self.fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
            self.pid = 0


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(data: bytes) -> tuple[list[tuple[int, int, bytes]], bytes] | None:
    new, root, pos = [], None, 0
    while pos < len(data):
        if pos + _HEADER.size > len(data):
            return None
        level, first, n = _HEADER.unpack_from(data, pos)
        pos += _HEADER.size
        h = data[pos : pos + n]
        if len(h) != n:
            return None
        pos += n
        if level == -1:
            root = h
        else:
            new.append((level, first, h))
    return None if root is None else (new, root)
