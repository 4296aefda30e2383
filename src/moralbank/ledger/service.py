"""Ledger use cases. ``post`` is the only way points enter the ledger.

Each ``post`` call is one batch: it locks the log state, assigns consecutive sequence numbers,
appends the entries' leaves to the Merkle tree (storing every new complete-subtree node) and signs
one checkpoint for the new tree size. Services never commit; the caller's unit of work does.
"""

from __future__ import annotations

import base64
import gc
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, NotFound, PermissionDenied, Problem
from moralbank.ledger import checkpoint as notes
from moralbank.ledger import domain, merkle, worker
from moralbank.ledger import repository as repo
from moralbank.ledger.domain import Entry, NewEntry
from moralbank.ledger.verify import RECEIPT_FORMAT

PURPOSE = "ledger"  # the KeyRing purpose of checkpoint signing keys


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


# -- posting ------------------------------------------------------------------------------------
def post(uow: UnitOfWork, entries: list[NewEntry]) -> list[Entry]:
    """Append entries (one or many) as one batch; returns them with their ``seq``.

    Raises ``InvalidInput`` (every problem, by row) and posts nothing when any entry is wrong.
    """
    entries = list(entries)
    if not entries:
        return []
    if len(entries) < BIG_BATCH:
        return _post(uow, entries)
    # A big batch builds a few hundred thousand tuples and strings, none in a reference cycle: the
    # cyclic garbage collector would only walk the whole heap again and again meanwhile (and, after
    # the fork of the hashing child, copy every page it touches). Pause it for the batch.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _post(uow, entries)
    finally:
        if paused:
            gc.enable()


BIG_BATCH = 10_000


def _post(uow: UnitOfWork, entries: list[NewEntry]) -> list[Entry]:
    domain.check(entries)
    size, _ = repo.lock_state(uow.db)
    _check_reversals(uow, entries, first_seq=size + 1)
    recorded_at = uow.clock.now()
    total = size + len(entries)
    border, stripes = _border(uow, size, total)
    posted = domain.stamp(entries, first_seq=size + 1, recorded_at=recorded_at)
    if len(entries) >= worker.MIN_ENTRIES and worker.available():
        # The helper process encodes and hashes the leaves while the rows go in (worker.py).
        rows = repo.stored_rows(posted)
        job = worker.Job("tree", rows, repo.sqlite_instant(recorded_at), size, border)
        try:
            repo.insert_entries(uow.db, posted, rows)
        except BaseException:
            job.cancel()
            raise
        new, root = job.result()
    else:
        repo.insert_entries(uow.db, posted)
        tree = merkle.CompactRange(size, border)
        new = tree.append(merkle.leaf_hashes(domain.encode_leaves(posted)))
        root = tree.root()
    repo.store_nodes(uow.db, new, stripes)
    repo.set_state(uow.db, total, root)
    _sign(uow, total, root)
    return posted


def _check_reversals(uow: UnitOfWork, entries: list[NewEntry], *, first_seq: int) -> None:
    """A reversal names an earlier entry (already posted, or earlier in this batch) of the same resident."""
    wanted = {e.reverses_seq for e in entries if e.reverses_seq is not None}
    if not wanted:
        return
    owners = {
        seq: e.resident_id
        for seq, e in repo.entries_by_seq(uow.db, [s for s in wanted if s < first_seq]).items()
    }
    problems = []
    for i, e in enumerate(entries):
        if e.reverses_seq is None:
            continue
        owner = owners.get(e.reverses_seq)
        if owner is None and first_seq <= e.reverses_seq < first_seq + i:
            owner = entries[e.reverses_seq - first_seq].resident_id
        row = i + 1 if len(entries) > 1 else None
        if owner is None:
            problems.append(Problem(f"entry {e.reverses_seq} does not exist", field="reverses_seq", row=row))
        elif owner != e.resident_id:
            problems.append(
                Problem(f"entry {e.reverses_seq} belongs to another resident", field="reverses_seq", row=row)
            )
    if problems:
        raise InvalidInput(problems)


def _border(uow: UnitOfWork, size: int, total: int) -> tuple[dict[int, bytes], dict[tuple[int, int], bytes]]:
    """The border nodes of the tree of ``size`` (level -> hash) and the stripes a growth to ``total``
    rewrites (the last, partial stripe of each level that grows), read in one query."""
    border_keys = merkle.CompactRange.border_nodes(size)
    wanted = {
        (lv, (size >> lv) // repo.STRIPE) for lv in range(total.bit_length()) if (size >> lv) % repo.STRIPE
    } | {(lv, i // repo.STRIPE) for lv, i in border_keys}
    stripes = repo.stripes(uow.db, wanted)
    border = {}
    for lv, i in border_keys:
        s = stripes.get((lv, i // repo.STRIPE), b"")
        off = (i % repo.STRIPE) * merkle.HASH_SIZE
        if len(s) < off + merkle.HASH_SIZE:
            raise RuntimeError(f"ledger node ({lv}, {i}) is missing; run `moralbank ledger verify`")
        border[lv] = s[off : off + merkle.HASH_SIZE]
    return border, stripes


def _sign(uow: UnitOfWork, size: int, root: bytes) -> str:
    key = uow.keys.active_signing_key(PURPOSE)
    note = notes.sign(notes.Checkpoint(origin(uow), size, root), key_name(uow), key.private)
    repo.add_checkpoint(uow.db, tree_size=size, root=root, note=note, key_id=key.kid, at=uow.clock.now())
    return note


def origin(uow: UnitOfWork) -> str:
    return uow.deps.settings.origin


def key_name(uow: UnitOfWork) -> str:
    """Checkpoint keys are named after the log origin (C2SP tlog-checkpoint practice)."""
    return origin(uow)


# -- reading ------------------------------------------------------------------------------------
# Sequence numbers and tree sizes are 64-bit integers in the database; a larger number names nothing
# (and must not reach the driver, which cannot bind it).
MAX_SEQ = 2**63 - 1


def get(uow: UnitOfWork, *, seq: int) -> Entry:
    entry = repo.get_entry(uow.db, seq) if 0 < seq <= MAX_SEQ else None
    if entry is None:
        raise NotFound(f"no ledger entry {seq}")
    return entry


def entries_between(uow: UnitOfWork, *, first_seq: int, last_seq: int) -> Iterator[Entry]:
    """Entries ``first_seq`` … ``last_seq`` in seq order, streamed (exports read millions)."""
    return repo.iter_entries_between(uow.db, first_seq, last_seq)


def entries_of(uow: UnitOfWork, *, resident_id: str) -> list[Entry]:
    """A resident's entries, oldest first (corrections included, each naming what it reverses)."""
    return repo.entries_of(uow.db, resident_id)


def tree_size(uow: UnitOfWork) -> int:
    return repo.state(uow.db)[0]


# -- keys and checkpoints -----------------------------------------------------------------------
@dataclass(frozen=True)
class KeyInfo:
    kid: str
    status: str
    created_at: str
    verifier_key: str


def keys(uow: UnitOfWork) -> list[KeyInfo]:
    """Every checkpoint signing key with its published verifier key string (oldest first)."""
    return [
        KeyInfo(k.kid, k.status, k.created_at, str(notes.verifier_key(key_name(uow), k.public_bytes())))
        for k in uow.keys.signing_keys(PURPOSE)
    ]


def trusted_keys(uow: UnitOfWork) -> list[notes.VerifierKey]:
    """Verifier keys of every key not revoked (retired keys still vouch for what they signed)."""
    return [
        notes.verifier_key(key_name(uow), k.public_bytes())
        for k in uow.keys.signing_keys(PURPOSE)
        if k.status != "revoked"
    ]


def _verifier_key_of(uow: UnitOfWork, kid: str) -> str:
    cache = uow.deps.cache.setdefault("ledger:verifier-keys", {})  # a key's verifier string never changes
    if (kid, key_name(uow)) not in cache:
        for k in uow.keys.signing_keys(PURPOSE):
            if k.kid == kid:
                cache[(kid, key_name(uow))] = str(notes.verifier_key(key_name(uow), k.public_bytes()))
                break
        else:
            raise NotFound(f"no ledger key {kid}")
    return cache[(kid, key_name(uow))]


@dataclass(frozen=True)
class CheckpointInfo:
    tree_size: int
    root: bytes
    note: str
    verifier_key: str

    def to_json(self) -> dict:
        return {
            "tree_size": self.tree_size,
            "root": _b64(self.root),
            "checkpoint": self.note,
            "verifier_key": self.verifier_key,
        }


def make_checkpoint(uow: UnitOfWork) -> CheckpointInfo:
    """Sign a checkpoint of the current tree now (on demand, e.g. after a key rotation)."""
    size, root = repo.lock_state(uow.db)
    _sign(uow, size, root)
    return latest_checkpoint(uow)


def latest_checkpoint(uow: UnitOfWork, *, tree_size: int | None = None) -> CheckpointInfo:
    """The newest checkpoint (of ``tree_size``, when given)."""
    cp = repo.latest_checkpoint(uow.db, tree_size) if tree_size is None or 0 <= tree_size <= MAX_SEQ else None
    if cp is None:
        if tree_size is None:
            raise NotFound("no checkpoint yet")
        raise _no_checkpoint(uow, tree_size)
    return CheckpointInfo(cp.tree_size, bytes(cp.root), cp.note, _verifier_key_of(uow, cp.key_id))


def _no_checkpoint(uow: UnitOfWork, tree_size: int) -> NotFound:
    """No checkpoint of that size: the message names the signed sizes either side of it."""
    below, above = repo.checkpoint_sizes_around(uow.db, max(0, min(tree_size, MAX_SEQ)))
    if below is None and above is None:
        return NotFound(f"no checkpoint of tree size {tree_size}; no checkpoint yet")
    if below is None or above is None:
        return NotFound(
            f"no checkpoint of tree size {tree_size}; the nearest is {below if above is None else above}"
        )
    return NotFound(f"no checkpoint of tree size {tree_size}; the nearest are {below} and {above}")


# -- proofs -------------------------------------------------------------------------------------
def _node_reader(uow: UnitOfWork, ranges: list[tuple[int, int]]) -> Callable[[int, int], bytes]:
    got = repo.nodes(uow.db, merkle.nodes_needed(ranges))

    def node(level: int, index: int) -> bytes:
        try:
            return got[(level, index)]
        except KeyError:
            raise RuntimeError(
                f"ledger node ({level}, {index}) is missing; run `moralbank ledger verify`"
            ) from None

    return node


def _hashes(uow: UnitOfWork, ranges: list[tuple[int, int]]) -> list[bytes]:
    node = _node_reader(uow, ranges)
    return [merkle.range_hash(lo, hi, node) for lo, hi in ranges]


@dataclass(frozen=True)
class InclusionProof:
    entry: Entry
    leaf: bytes
    proof: list[bytes]
    checkpoint: CheckpointInfo

    def to_json(self) -> dict:
        """The published proof JSON (docs/ledger.md)."""
        return {
            "leaf_index": self.entry.leaf_index,
            "tree_size": self.checkpoint.tree_size,
            "leaf": _b64(self.leaf),
            "proof": [_b64(h) for h in self.proof],
            "checkpoint": self.checkpoint.note,
            "verifier_key": self.checkpoint.verifier_key,
        }


def inclusion_proof(uow: UnitOfWork, *, seq: int, tree_size: int | None = None) -> InclusionProof:
    """Proof that entry ``seq`` is in the checkpoint of ``tree_size`` (default: the latest)."""
    entry = get(uow, seq=seq)
    cp = latest_checkpoint(uow, tree_size=tree_size)
    if entry.leaf_index >= cp.tree_size:
        raise InvalidInput(
            Problem(f"entry {seq} was posted after the checkpoint of size {cp.tree_size}", field="size")
        )
    ranges = merkle.inclusion_ranges(entry.leaf_index, cp.tree_size)
    return InclusionProof(entry, entry.leaf(), _hashes(uow, ranges), cp)


def root_at(uow: UnitOfWork, size: int) -> bytes:
    """The tree root at any size up to the current one, from the stored nodes."""
    current = tree_size(uow)
    if not 0 <= size <= current:
        raise InvalidInput(Problem(f"the tree has {current} entries", field="size"))
    if size == 0:
        return merkle.EMPTY_ROOT
    ranges = [(0, size)]
    return _hashes(uow, ranges)[0]


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    proof: list[bytes]

    def to_json(self) -> dict:
        return {
            "old_size": self.old_size,
            "new_size": self.new_size,
            "old_root": _b64(self.old_root),
            "new_root": _b64(self.new_root),
            "proof": [_b64(h) for h in self.proof],
        }


def consistency_proof(uow: UnitOfWork, *, old_size: int, new_size: int) -> ConsistencyProof:
    """Proof that the tree of ``old_size`` is a prefix of the tree of ``new_size``."""
    current = tree_size(uow)
    if not 0 < old_size <= new_size <= current:
        at_fault = "new_size" if 0 < old_size <= new_size else "old_size"
        raise InvalidInput(Problem(f"need 0 < old size <= new size <= {current}", field=at_fault))
    ranges = merkle.consistency_ranges(old_size, new_size)
    return ConsistencyProof(
        old_size, new_size, root_at(uow, old_size), root_at(uow, new_size), _hashes(uow, ranges)
    )


def receipt(uow: UnitOfWork, *, seq: int, resident_id: str | None = None) -> dict:
    """A self-contained receipt for one entry: the entry, its leaf, the proof, the checkpoint and
    the public key. With ``resident_id`` it is refused unless the entry is that resident's."""
    proof = inclusion_proof(uow, seq=seq)
    if resident_id is not None and proof.entry.resident_id != resident_id:
        raise PermissionDenied("a receipt is given only for the resident's own entries")
    return {"format": RECEIPT_FORMAT, "entry": proof.entry.as_dict(), **proof.to_json()}


# -- the audit ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    """One thing wrong in the store. ``kind``: changed | deleted | inserted | reordered | node |
    checkpoint | state."""

    kind: str
    seq: int | None
    detail: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "seq": self.seq, "detail": self.detail}


@dataclass
class AuditReport:
    tree_size: int
    entries: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "tree_size": self.tree_size,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "findings": [f.to_json() for f in self.findings],
            "notes": self.notes,
        }


AUDIT_CHUNK = 20_000  # rows per fetch and per job of the helper process


def audit(uow: UnitOfWork, *, progress: Callable[[int, int], None] | None = None) -> AuditReport:
    """Check the whole store: recompute every leaf from the entry rows and compare it with the stored
    leaf hash; recompute every stored node from the leaves; recompute every checkpoint's root from the
    rows and check its signature; check the log state. Reports each problem by sequence number.

    One pass over the rows in ``seq`` order. On SQLite the rows are read as stored and shared with the
    helper process (``worker``): whichever of the two cores is free encodes and hashes the next chunk,
    and the parent checks the stored nodes level by level while the helper is busy."""
    db = uow.db
    size, state_root = repo.state(db)
    report = AuditReport(tree_size=size)
    found = report.findings.append
    stored0 = b"".join(h for _, h in repo.iter_stripes(db, 0))
    if len(stored0) != size * merkle.HASH_SIZE:
        found(Finding("node", None, f"level 0 holds {len(stored0) // 32} leaf hashes, the log has {size}"))
        stored0 = stored0[: size * merkle.HASH_SIZE].ljust(size * merkle.HASH_SIZE, b"\0")
    cps = repo.checkpoints(db)
    stops = sorted({c.tree_size for c in cps if 0 < c.tree_size <= size} | {size})
    recomputed = bytearray()  # the recomputed leaf hashes in seq order (stored ones for deleted rows)
    changed: dict[int, Entry] = {}
    expected = 1  # the next seq we expect to see

    def missing(upto: int) -> None:
        nonlocal expected
        for s in range(expected, min(upto, size + 1)):
            found(Finding("deleted", s, "the entry row is gone"))
            recomputed.extend(stored0[(s - 1) * 32 : s * 32])  # keep positions for the roots
        expected = max(expected, upto)

    nodes = _NodeCheck(db, stored0, size, stops, found)
    for rows, hashes, entries_of_chunk in _leaf_chunks(db, nodes):
        first, last, n = rows[0][0], rows[-1][0], len(rows)
        start = (first - 1) * 32
        if (
            first == expected
            and last - first == n - 1
            and last <= size
            and hashes == stored0[start : last * 32]
        ):
            recomputed += hashes  # the usual case: every row in place and unchanged
            expected = last + 1
        else:
            chunk = entries_of_chunk()
            for i, e in enumerate(chunk):
                if e.seq > size:
                    found(Finding("inserted", e.seq, "a row beyond the end of the log"))
                    continue
                missing(e.seq)
                h = hashes[i * 32 : i * 32 + 32]
                if h != stored0[(e.seq - 1) * 32 : e.seq * 32]:
                    changed[e.seq] = e
                recomputed.extend(h)
                expected = e.seq + 1
        report.entries += n
        if progress:
            progress(min(expected - 1, size), size)
    missing(size + 1)
    nodes.finish()
    _report_changes(changed, stored0, found)
    # When the recomputed leaves are the stored ones, the checked levels give every root already.
    roots = nodes.roots() if recomputed == stored0 else _roots_from_leaves(bytes(recomputed), stops)
    _check_checkpoints(uow, cps, roots, report)
    if roots.get(size) != state_root:
        found(Finding("state", None, "the log state's root does not match the entries"))
    return report


def _roots_from_leaves(hashes: bytes, stops: list[int]) -> dict[int, bytes]:
    """The root at every size in ``stops`` (ascending) of the tree over ``hashes``."""
    roots = {0: merkle.EMPTY_ROOT}
    tree = merkle.CompactRange()
    for stop in stops:
        tree.append(hashes[tree.size * 32 : stop * 32])
        roots[stop] = tree.root()
    return roots


def _leaf_chunks(db, nodes: _NodeCheck):  # noqa: ANN001, ANN202 - Session; yields (rows, hashes, entries)
    """Chunks of rows in seq order with their recomputed leaf hashes and a function giving them as
    entries. On SQLite the stored rows go to the helper process when it is free; while it works, the
    parent takes a step of the node check or hashes the next chunk itself (results are yielded in
    order)."""
    if db.get_bind().dialect.name != "sqlite":
        for chunk in repo.iter_entries(db, chunk=AUDIT_CHUNK):
            yield chunk, merkle.leaf_hashes(domain.encode_leaves(chunk)), lambda chunk=chunk: chunk
        return

    def entries(rows: list[tuple]):  # noqa: ANN202
        return lambda: worker.entries_of_rows(rows, None)

    done: dict[int, bytes] = {}
    queue: list[list[tuple]] = []
    todo: deque[int] = deque()  # chunks fetched, not yet hashed by anyone
    job: tuple[int, worker.Job] | None = None
    next_out = 0
    for k, rows in enumerate(repo.iter_stored_rows(db, chunk=AUDIT_CHUNK)):
        queue.append(rows)
        todo.append(k)
        while todo:
            if job is not None and job[1].ready():
                done[job[0]] = job[1].result()
                job = None
            if job is None and worker.available():
                i = todo.popleft()
                job = (i, worker.Job("hashes", queue[i], None))
            elif not nodes.step():  # the helper is busy (or off): work here meanwhile
                i = todo.popleft()
                done[i] = worker.compute_hashes(queue[i], None)
        while next_out in done:
            yield queue[next_out], done.pop(next_out), entries(queue[next_out])
            queue[next_out] = []
            next_out += 1
    if job is not None:
        done[job[0]] = job[1].result()
    while next_out < len(queue):
        yield queue[next_out], done.pop(next_out), entries(queue[next_out])
        queue[next_out] = []
        next_out += 1


class _NodeCheck:
    """Every stored node above the leaves must be the hash of its two children: level by level from
    the stored leaf hashes, in steps (``step``) the audit interleaves with the leaf work. Collects the
    border nodes of every checkpoint size on the way, so ``roots`` folds them without more hashing
    (valid when the recomputed leaves equal the stored ones)."""

    SLICE = 1 << 21  # hashes of the level below per step

    def __init__(self, db, stored0: bytes, size: int, stops: list[int], found: Callable[[Finding], None]):  # noqa: ANN001
        self.db, self.size, self.found = db, size, found
        self.stops = stops
        self.border: dict[int, dict[int, bytes]] = {s: {} for s in stops}
        self._note_border(0, stored0)
        self.work = self._levels(stored0)
        self.done = False

    def _note_border(self, level: int, hashes: bytes) -> None:
        for s in self.stops:
            if s >> level & 1:
                i = (s >> level) - 1
                self.border[s][level] = hashes[i * 32 : i * 32 + 32]

    def _levels(self, below: bytes):  # noqa: ANN202 - a generator of steps
        level = 1
        while (self.size >> level) > 0:
            even = (len(below) // 64) * 64
            parts = []
            for k in range(0, even, self.SLICE * 32):
                parts.append(merkle._pair_up(below[k : min(k + self.SLICE * 32, even)]))
                yield
            want = b"".join(parts)
            have = b"".join(h for _, h in repo.iter_stripes(self.db, level))
            if have != want:
                n = len(want) // 32
                bad = [
                    i
                    for i in range(max(n, len(have) // 32))
                    if have[i * 32 : i * 32 + 32] != want[i * 32 : i * 32 + 32]
                ]
                for i in bad[:20]:
                    self.found(
                        Finding("node", None, f"Merkle node (level {level}, index {i}) is wrong or missing")
                    )
                if len(bad) > 20:
                    self.found(
                        Finding("node", None, f"… and {len(bad) - 20} more wrong nodes at level {level}")
                    )
            self._note_border(level, want)
            below = want
            level += 1
            yield
        extra = [lv for lv, _, _ in repo.node_levels(self.db) if self.size >> lv == 0]
        for lv in extra:
            self.found(Finding("node", None, f"stored nodes at level {lv}, above the top of the tree"))

    def step(self) -> bool:
        """Do one step; False when nothing is left."""
        if self.done:
            return False
        try:
            next(self.work)
        except StopIteration:
            self.done = True
            return False
        return True

    def finish(self) -> None:
        while self.step():
            pass

    def roots(self) -> dict[int, bytes]:
        out = {0: merkle.EMPTY_ROOT}
        for s, border in self.border.items():
            root = None
            for lv in sorted(border):
                root = border[lv] if root is None else merkle.node_hash(border[lv], root)
            out[s] = root if root is not None else merkle.EMPTY_ROOT
        return out


def _report_changes(changed: dict[int, Entry], stored0: bytes, found: Callable[[Finding], None]) -> None:
    """A changed row whose content matches another position's leaf was moved there: reordered."""
    moved = {}
    if len(changed) <= 2000:
        for s, e in changed.items():
            for t in changed:
                if (
                    t != s
                    and merkle.leaf_hash(domain.encode_leaf(e._replace(seq=t)))
                    == stored0[(t - 1) * 32 : t * 32]
                ):
                    moved[s] = t
    for s in sorted(changed):
        if s in moved:
            found(Finding("reordered", s, f"the row at seq {s} holds the entry of seq {moved[s]}"))
        else:
            found(Finding("changed", s, "the row no longer matches its leaf hash"))


def _check_checkpoints(uow: UnitOfWork, cps: list, roots: dict[int, bytes], report: AuditReport) -> None:
    all_keys = {k.kid: k for k in uow.keys.signing_keys(PURPOSE)}
    vkeys = [notes.verifier_key(key_name(uow), k.public_bytes()) for k in all_keys.values()]
    for cp in cps:
        report.checkpoints += 1
        where = f"checkpoint {cp.id} (tree size {cp.tree_size})"
        try:
            signed, _ = notes.open_note(cp.note, vkeys)
        except notes.NoteError as e:
            report.findings.append(Finding("checkpoint", None, f"{where}: {e}"))
            continue
        if (signed.tree_size, signed.root) != (cp.tree_size, bytes(cp.root)):
            report.findings.append(
                Finding("checkpoint", None, f"{where}: the signed note and the row differ")
            )
        if cp.tree_size not in roots:
            report.findings.append(Finding("checkpoint", None, f"{where}: beyond the end of the log"))
        elif roots[cp.tree_size] != signed.root:
            report.findings.append(
                Finding("checkpoint", None, f"{where}: the entries no longer hash to its root")
            )
        key = all_keys.get(cp.key_id)
        if key is not None and key.status == "revoked":
            report.notes.append(f"{where} is signed by the revoked key {cp.key_id}")
