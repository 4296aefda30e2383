"""The Merkle verifier against the public RFC 6962 corpus, and proofs for random trees."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.ledger import merkle


def _b(x: str | None) -> bytes:
    return base64.b64decode(x) if x is not None else b""


def _cases(shared: Path, kind: str) -> list[tuple[str, dict]]:
    root = shared / "reference" / "rfc6962-testdata" / kind
    return [(str(p.relative_to(root)), json.loads(p.read_text())) for p in sorted(root.rglob("*.json"))]


def test_every_inclusion_case_of_the_corpus(shared_dir: Path) -> None:
    cases = _cases(shared_dir, "inclusion")
    assert len(cases) > 50
    wrong = []
    for name, c in cases:
        try:
            merkle.verify_inclusion(
                c["leafIdx"],
                c["treeSize"],
                _b(c["leafHash"]),
                [_b(h) for h in c["proof"] or []],
                _b(c["root"]),
            )
            failed = False
        except merkle.ProofError:
            failed = True
        if failed != c["wantErr"]:
            wrong.append(name)
    assert wrong == []
    assert any(c["wantErr"] for _, c in cases) and any(not c["wantErr"] for _, c in cases)


def test_every_consistency_case_of_the_corpus(shared_dir: Path) -> None:
    cases = _cases(shared_dir, "consistency")
    assert len(cases) > 50
    wrong = []
    for name, c in cases:
        try:
            merkle.verify_consistency(
                c["size1"], c["size2"], _b(c["root1"]), _b(c["root2"]), [_b(h) for h in c["proof"] or []]
            )
            failed = False
        except merkle.ProofError:
            failed = True
        if failed != c["wantErr"]:
            wrong.append(name)
    assert wrong == []


def test_hashes_that_are_not_32_bytes_are_refused() -> None:
    leaves = merkle.leaf_hashes([b"a", b"b", b"c"])
    root = merkle.root_of(leaves)
    proof = [leaves[32:64], merkle.leaf_hash(b"c")]
    merkle.verify_inclusion(0, 3, leaves[:32], proof, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(0, 3, leaves[:32], [proof[0] + b"\0", proof[1]], root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(0, 3, leaves[:31], proof, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(1, 3, leaves[:32], root[:16], [leaves[32:64], proof[1]])


def test_a_consistency_proof_from_size_zero_is_refused() -> None:
    with pytest.raises(merkle.ProofError, match="empty tree"):
        merkle.verify_consistency(0, 1, merkle.EMPTY_ROOT, merkle.leaf_hash(b"a"), [])
    with pytest.raises(ValueError):
        merkle.consistency_ranges(0, 4)


def _tree(n: int, batches: list[int]) -> tuple[bytes, dict[tuple[int, int], bytes]]:
    """Grow a tree of n leaves in the given batch sizes, keeping every new node (like the ledger)."""
    hashes = merkle.leaf_hashes([f"leaf {i}".encode() for i in range(n)])
    tree, nodes, done = merkle.CompactRange(), {}, 0
    for b in [*batches, n]:
        take = min(b, n - done)
        for level, first, buf in tree.append(hashes[done * 32 : (done + take) * 32]):
            for j in range(len(buf) // 32):
                nodes[(level, first + j)] = buf[j * 32 : j * 32 + 32]
        done += take
        assert tree.root() == merkle.root_of(hashes[: done * 32])
        if done == n:
            break
    return hashes, nodes


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), batches=st.lists(st.integers(1, 40), max_size=10), data=st.data())
def test_every_inclusion_and_consistency_proof_verifies(n, batches, data) -> None:
    hashes, nodes = _tree(n, batches)
    node = lambda lv, i: nodes[(lv, i)]  # noqa: E731
    size = data.draw(st.integers(1, n), label="size")
    root = merkle.root_of(hashes[: size * 32])
    for index in range(size):
        proof = [merkle.range_hash(lo, hi, node) for lo, hi in merkle.inclusion_ranges(index, size)]
        merkle.verify_inclusion(index, size, hashes[index * 32 : index * 32 + 32], proof, root)
    for old in range(1, size + 1):
        proof = [merkle.range_hash(lo, hi, node) for lo, hi in merkle.consistency_ranges(old, size)]
        merkle.verify_consistency(old, size, merkle.root_of(hashes[: old * 32]), root, proof)
        if proof:
            bad = list(proof)
            bad[data.draw(st.integers(0, len(bad) - 1))] = b"\x55" * 32
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old, size, merkle.root_of(hashes[: old * 32]), root, bad)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 200), data=st.data())
def test_a_proof_for_the_wrong_leaf_or_index_fails(n, data) -> None:
    hashes, nodes = _tree(n, [])
    index = data.draw(st.integers(0, n - 1))
    other = data.draw(st.integers(0, n - 1).filter(lambda i: i != index))
    proof = [
        merkle.range_hash(lo, hi, lambda lv, i: nodes[(lv, i)])
        for lo, hi in merkle.inclusion_ranges(index, n)
    ]
    root = merkle.root_of(hashes)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(index, n, hashes[other * 32 : other * 32 + 32], proof, root)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(other, n, hashes[index * 32 : index * 32 + 32], proof, root)


def test_rfc_root_of_small_trees() -> None:
    a, b, c = (merkle.leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert merkle.root_of(b"") == merkle.EMPTY_ROOT
    assert merkle.root_of(a) == a
    assert merkle.root_of(a + b + c) == merkle.node_hash(merkle.node_hash(a, b), c)


def _agrees(cases: list[tuple[str, dict]], check) -> list[str]:  # noqa: ANN001
    wrong = []
    for name, c in cases:
        try:
            check(c)
            failed = False
        except merkle.ProofError:
            failed = True
        if failed != c["wantErr"]:
            wrong.append(name)
    return wrong


def test_every_subtree_inclusion_case_of_the_corpus(shared_dir: Path) -> None:
    cases = _cases(shared_dir, "subtreeinclusion")
    assert len(cases) > 50
    assert (
        _agrees(
            cases,
            lambda c: merkle.verify_subtree_inclusion(
                c["leafIdx"],
                c["start"],
                c["end"],
                _b(c["leafHash"]),
                [_b(h) for h in c["proof"] or []],
                _b(c["root"]),
            ),
        )
        == []
    )


def test_every_subtree_consistency_case_of_the_corpus(shared_dir: Path) -> None:
    cases = _cases(shared_dir, "subtreeconsistency")
    assert len(cases) > 50
    assert (
        _agrees(
            cases,
            lambda c: merkle.verify_subtree_consistency(
                c["start"],
                c["end"],
                c["size"],
                _b(c["root1"]),
                _b(c["root2"]),
                [_b(h) for h in c["proof"] or []],
            ),
        )
        == []
    )


def test_the_whole_corpus_is_covered(shared_dir: Path) -> None:
    root = shared_dir / "reference" / "rfc6962-testdata"
    kinds = {p.relative_to(root).parts[0] for p in root.rglob("*.json")}
    assert kinds == {"inclusion", "consistency", "subtreeinclusion", "subtreeconsistency"}
