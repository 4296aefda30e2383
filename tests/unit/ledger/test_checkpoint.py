"""Signed notes byte for byte as golang.org/x/mod/sumdb/note makes them, and checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from moralbank.ledger import checkpoint as notes

# The published example of golang.org/x/mod/sumdb/note (its package documentation and tests).
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
GO_NOTE = GO_TEXT + (
    "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvq"
    "fqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_private() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])
    assert seed[0] == notes.ALG_ED25519
    return Ed25519PrivateKey.from_private_bytes(seed[1:])


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    assert notes.sign_note(GO_TEXT, "PeterNeumann", go_private()) == GO_NOTE


def test_the_verifier_key_string_and_key_hash_match_go() -> None:
    key = notes.parse_verifier_key(GO_VERIFIER)
    assert str(key) == GO_VERIFIER
    pub = go_private().public_key().public_bytes_raw()
    assert str(notes.verifier_key("PeterNeumann", pub)) == GO_VERIFIER
    body, signed_by = notes.open_signed(GO_NOTE, [key])
    assert body == GO_TEXT and signed_by == [key]


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("cryptography", "cryptographY"),
        lambda n: n.replace("x08go", "x08gp"),
        lambda n: n.replace("\n\n", "\n"),
        lambda n: n.rstrip("\n"),
    ],
)
def test_a_changed_note_does_not_open(mangle) -> None:  # noqa: ANN001
    with pytest.raises(notes.NoteError):
        notes.open_signed(mangle(GO_NOTE), [notes.parse_verifier_key(GO_VERIFIER)])


def test_a_verifier_key_with_a_wrong_hash_is_refused() -> None:
    with pytest.raises(notes.NoteError):
        notes.parse_verifier_key(GO_VERIFIER.replace("c74f20a3", "c74f20a4"))


def test_checkpoint_note_has_origin_size_and_root() -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    cp = notes.Checkpoint("moralbank.yuyao.example/ledger", 42, bytes(32))
    note = notes.sign(cp, "moralbank.yuyao.example/ledger", key)
    lines = note.split("\n")
    assert lines[:4] == ["moralbank.yuyao.example/ledger", "42", base64.b64encode(bytes(32)).decode(), ""]
    assert lines[4].startswith("— moralbank.yuyao.example/ledger ")
    vkey = notes.verifier_key("moralbank.yuyao.example/ledger", key.public_key().public_bytes_raw())
    assert notes.open_note(note, [vkey])[0] == cp
    other = notes.verifier_key(
        "moralbank.yuyao.example/ledger", Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    )
    with pytest.raises(notes.NoteError, match="no signature by a trusted key"):
        notes.open_note(note, [other])
