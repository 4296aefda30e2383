"""RFC 9162 Merkle tree hashing, proofs and their verification. Pure: stdlib only.

Leaves count from 0. A *node* ``(level, index)`` is the root of the complete subtree over leaves
``[index * 2**level, (index + 1) * 2**level)``; the ledger stores every such node once the tree has
grown past it, so any proof for any earlier tree size costs O(log n) node reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()


class ProofError(ValueError):
    """A proof does not verify (or is malformed)."""


def leaf_hash(leaf: bytes) -> bytes:
    return sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> bytes:
    """Leaf hashes, concatenated (32 bytes each), in one pass."""
    return b"".join([sha256(b"\x00" + leaf).digest() for leaf in leaves])


def _pair_up(buf: bytes) -> bytes:
    """Hash neighbouring 32-byte hashes in ``buf`` pairwise (an even count is consumed)."""
    mv = memoryview(buf)
    return b"".join([sha256(b"\x01" + mv[i : i + 64]).digest() for i in range(0, len(buf) - 63, 64)])


def root_of(hashes: bytes) -> bytes:
    """The RFC 9162 root of concatenated leaf hashes, level by level, in memory (the reference the
    stored tree is checked against: an odd node at the end of a level moves up unchanged)."""
    if not hashes:
        return EMPTY_ROOT
    level = hashes
    while len(level) > HASH_SIZE:
        if (len(level) // HASH_SIZE) % 2:
            level = _pair_up(level[:-HASH_SIZE]) + level[-HASH_SIZE:]
        else:
            level = _pair_up(level)
    return level


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The right border of a tree: one complete-subtree hash per set bit of ``size``.

    ``append`` grows it by a batch of leaf hashes in one pass and returns every new complete node,
    per level, so the caller can store them; ``root`` folds the border into the tree root.
    """

    def __init__(self, size: int = 0, border: dict[int, bytes] | None = None):
        self.size = size
        self.border = dict(border or {})  # level -> hash of the unpaired node at that level
        if set(self.border) != {lv for lv in range(size.bit_length()) if size >> lv & 1}:
            raise ValueError("border does not match the size")

    @staticmethod
    def border_nodes(size: int) -> list[tuple[int, int]]:
        """The ``(level, index)`` of the border nodes of a tree of ``size`` leaves."""
        return [(lv, (size >> lv) - 1) for lv in range(size.bit_length()) if size >> lv & 1]

    def append(self, hashes: bytes) -> list[tuple[int, int, bytes]]:
        """Add concatenated leaf hashes; returns ``[(level, first_index, concatenated hashes)]``."""
        if len(hashes) % HASH_SIZE:
            raise ValueError("leaf hashes must be 32 bytes each")
        out = []
        n, level, cur = self.size, 0, hashes
        while cur:
            out.append((level, n >> level, cur))
            buf = self.border.pop(level) + cur if n >> level & 1 else cur
            if (len(buf) // HASH_SIZE) % 2:
                self.border[level] = buf[-HASH_SIZE:]
            cur = _pair_up(buf)
            level += 1
        self.size = n + len(hashes) // HASH_SIZE
        return out

    def root(self) -> bytes:
        if not self.size:
            return EMPTY_ROOT
        root = None
        for lv in sorted(self.border):
            root = self.border[lv] if root is None else node_hash(self.border[lv], root)
        assert root is not None
        return root


# -- which subtrees make up a proof -----------------------------------------------------------------
def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree hashes form the inclusion proof (RFC 9162 PATH), in order."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    out = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = largest_power_of_two_below(hi - lo)
        if index - lo < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
    return out[::-1]


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose subtree hashes form the consistency proof (RFC 9162 SUBPROOF)."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    out = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:
        k = largest_power_of_two_below(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        out.append((lo, hi))
    return out[::-1]


def range_nodes(lo: int, hi: int) -> list[tuple[int, int]]:
    """The stored complete-subtree nodes whose hashes combine into the hash of leaves [lo, hi)."""
    out = []
    while lo < hi:
        n = hi - lo
        if n & (n - 1) == 0 and lo % n == 0:
            out.append((n.bit_length() - 1, lo // n))
            break
        k = largest_power_of_two_below(n)
        out.extend(range_nodes(lo, lo + k))
        lo += k
    return out


def range_hash(lo: int, hi: int, node: Callable[[int, int], bytes]) -> bytes:
    """MTH of leaves [lo, hi) from stored complete-subtree nodes."""
    n = hi - lo
    if n & (n - 1) == 0 and lo % n == 0:
        return node(n.bit_length() - 1, lo // n)
    k = largest_power_of_two_below(n)
    return node_hash(range_hash(lo, lo + k, node), range_hash(lo + k, hi, node))


def nodes_needed(ranges: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    return {nd for lo, hi in ranges for nd in range_nodes(lo, hi)}


# -- verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) ------------------------------------------
def _check_hashes(hashes: Sequence[bytes], what: str) -> None:
    for h in hashes:
        if not isinstance(h, bytes) or len(h) != HASH_SIZE:
            raise ProofError(f"{what} holds a value that is not a 32-byte hash")


def root_from_inclusion(index: int, size: int, leaf_hash_: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (raises ``ProofError`` when it cannot lead anywhere)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    _check_hashes([leaf_hash_], "the leaf hash")
    _check_hashes(proof, "the proof")
    fn, sn, r = index, size - 1, leaf_hash_
    for p in proof:
        if sn == 0:
            raise ProofError("the proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf_hash_: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ``ProofError`` unless ``proof`` shows leaf ``index`` is in the tree of ``size`` with ``root``."""
    _check_hashes([root], "the root")
    if root_from_inclusion(index, size, leaf_hash_, proof) != root:
        raise ProofError("the inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofError`` unless ``proof`` shows the tree of ``old_size`` is a prefix of ``new_size``."""
    if old_size > new_size:
        raise ProofError("the old size is larger than the new size")
    if old_size == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise ProofError("equal sizes need an empty proof")
        if old_root != new_root:
            raise ProofError("equal sizes but different roots")
        return
    _check_hashes([old_root, new_root], "a root")
    _check_hashes(proof, "the proof")
    if not proof:
        raise ProofError("an empty proof between different sizes")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a complete subtree: the old root starts the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is too short")
    if fr != old_root:
        raise ProofError("the proof does not lead to the old root")
    if sr != new_root:
        raise ProofError("the proof does not lead to the new root")


# -- subtrees (the "subtree" cases of the public corpus) --------------------------------------------
def _check_subtree(start: int, end: int) -> None:
    """A subtree [start, end) is valid when it is non-empty and ``start`` is a multiple of the
    smallest power of two not below its width (so it is one node, or the left edge of one)."""
    if not 0 <= start < end:
        raise ProofError(f"[{start}, {end}) is not a non-empty subtree")
    width = end - start
    if start % (1 << (width - 1).bit_length()):
        raise ProofError(f"[{start}, {end}) is not a valid subtree")


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf_hash_: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Leaf ``index`` is in the subtree [start, end) whose hash is ``root``."""
    _check_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"leaf {index} is not in [{start}, {end})")
    verify_inclusion(index - start, end - start, leaf_hash_, proof, root)


def verify_subtree_consistency(
    start: int, end: int, size: int, subtree_root: bytes, root: bytes, proof: Sequence[bytes]
) -> None:
    """The subtree [start, end) with hash ``subtree_root`` is part of the tree of ``size`` with
    ``root``. For ``start == 0`` this is an ordinary consistency proof.

    The verifier derives from the three numbers alone which subtree every proof hash stands for:
    walking from the root down to the subtree, each sibling lies outside it (only the big tree's hash
    takes it) or — once the subtree spans a split — inside it (both hashes take it).
    """
    if 0 <= start == end <= size:  # the empty subtree is in every tree; its hash is that of no leaves
        if proof or subtree_root != EMPTY_ROOT:
            raise ProofError("an empty subtree has the empty hash and an empty proof")
        return
    _check_subtree(start, end)
    if end > size:
        raise ProofError("the subtree ends beyond the tree")
    if start == 0 and end == size:  # the whole tree
        if proof or subtree_root != root:
            raise ProofError("the whole tree needs an empty proof and equal roots")
        return
    _check_hashes([subtree_root, root], "a root")
    _check_hashes(proof, "the proof")
    steps = []  # outermost first: "right" (outside), "left" (outside), "both" (inside the subtree)
    lo, hi, s, known = 0, size, start, True
    while not (s == lo and end == hi):
        mid = lo + largest_power_of_two_below(hi - lo)
        if end <= mid:
            steps.append("right")
            hi = mid
        elif s >= mid:
            steps.append("left")
            lo = mid
        else:  # the subtree spans the split: its left part is a node of both trees
            steps.append("both")
            lo = s = mid
            known = False
    path = list(proof)
    if len(path) != len(steps) + (0 if known else 1):
        raise ProofError("the proof has the wrong number of hashes")
    fr = sr = subtree_root if known else path.pop(0)
    for step, p in zip(reversed(steps), path, strict=True):
        if step == "right":
            sr = node_hash(sr, p)
        elif step == "left":
            sr = node_hash(p, sr)
        else:
            fr, sr = node_hash(p, fr), node_hash(p, sr)
    if fr != subtree_root:
        raise ProofError("the proof does not lead to the subtree's hash")
    if sr != root:
        raise ProofError("the proof does not lead to the tree's root")
