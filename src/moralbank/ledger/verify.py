"""The pure verifier of published ledger proofs and receipts (stdlib + ``cryptography`` only).

Used by ``moralbank ledger verify-receipt`` (no database), the receipt check on the web and the
tests. Everything it reads is the public JSON of docs/ledger.md.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from moralbank.errors import InvalidInput
from moralbank.ledger import checkpoint as notes
from moralbank.ledger import merkle
from moralbank.ledger.domain import Entry, decode_leaf

RECEIPT_FORMAT = "moralbank-ledger-receipt/1"


class VerificationError(ValueError):
    """A proof, checkpoint or receipt that does not check out; the message says why."""


class NotAReceipt(VerificationError):
    """The document is not a receipt at all (another JSON document, or a receipt format not known)."""


@dataclass(frozen=True)
class Verified:
    """What a check established.

    ``key_checked`` is False when no trusted keys were given and the signature was checked with the
    key the proof carries itself: anyone can make such a proof with a key of their own, so nothing is
    established until that key is found among the city's published keys.
    """

    entry: Entry
    checkpoint: notes.Checkpoint
    signed_by: list[str]  # verifier key strings
    key_checked: bool


def key_name_and_hash(key: str) -> str:
    """``name+hash`` of a verifier key ``name+hash+base64key``: enough to tell keys apart and short
    enough to read out (the hash covers the name and the key)."""
    return "+".join(key.split("+", 2)[:2])


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise VerificationError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error:
        raise VerificationError(f"{what} is not valid base64") from None


def _int(value: object, what: str) -> int:
    if type(value) is not int or value < 0:
        raise VerificationError(f"{what} is not a non-negative integer")
    return value


def _keys(data: dict, trusted: Iterable[str] | None) -> list[notes.VerifierKey]:
    texts = list(trusted) if trusted is not None else [data.get("verifier_key")]
    try:
        return [notes.parse_verifier_key(t) for t in texts if isinstance(t, str)]
    except notes.NoteError as e:
        raise VerificationError(f"verifier key: {e}") from None


def check_proof(data: dict, trusted_keys: Iterable[str] | None = None) -> Verified:
    """Check an inclusion proof JSON (``ledger proof --json``): the checkpoint is signed by a trusted
    key, its size matches, and the leaf hashes up to its root. Returns the decoded entry.

    Without ``trusted_keys`` the signature is checked with the ``verifier_key`` the proof carries, and
    the result says ``key_checked=False``: that key must still be compared with the published keys."""
    if not isinstance(data, dict):
        raise VerificationError("not a JSON object")
    keys = _keys(data, trusted_keys)
    if not keys:
        raise VerificationError("no verifier key")
    note = data.get("checkpoint")
    if not isinstance(note, str):
        raise VerificationError("no checkpoint")
    try:
        cp, signed_by = notes.open_note(note, keys)
    except notes.NoteError as e:
        raise VerificationError(f"checkpoint: {e}") from None
    index = _int(data.get("leaf_index"), "leaf_index")
    size = _int(data.get("tree_size"), "tree_size")
    if size != cp.tree_size:
        raise VerificationError(f"the proof is for tree size {size} but the checkpoint has {cp.tree_size}")
    leaf = _b64(data.get("leaf"), "leaf")
    proof = data.get("proof")
    if not isinstance(proof, list):
        raise VerificationError("proof is not a list")
    hashes = [_b64(h, "a proof hash") for h in proof]
    try:
        merkle.verify_inclusion(index, size, merkle.leaf_hash(leaf), hashes, cp.root)
    except merkle.ProofError as e:
        raise VerificationError(f"inclusion: {e}") from None
    try:
        entry = decode_leaf(leaf)
    except InvalidInput as e:
        raise VerificationError(f"leaf: {e}") from None
    if entry.leaf_index != index:
        raise VerificationError(f"the leaf is entry {entry.seq} but sits at index {index}")
    return Verified(entry, cp, [str(k) for k in signed_by], key_checked=trusted_keys is not None)


def check_receipt(data: object, trusted_keys: Iterable[str] | None = None) -> Verified:
    """Check a resident's receipt: the proof (``check_proof``) and that the readable ``entry`` in it
    is exactly what the signed leaf says. Raises ``NotAReceipt`` for a document that is no receipt."""
    if not isinstance(data, dict) or data.get("format") != RECEIPT_FORMAT:
        raise NotAReceipt(f"not a {RECEIPT_FORMAT} receipt")
    verified = check_proof(data, trusted_keys)
    if data.get("entry") != verified.entry.as_dict():
        raise VerificationError("the entry shown in the receipt differs from the signed leaf")
    return verified


def check_consistency(
    data: dict,
    old_checkpoint: str | None = None,
    new_checkpoint: str | None = None,
    trusted_keys: Iterable[str] | None = None,
) -> None:
    """Check a consistency proof JSON (``ledger consistency --json``); with checkpoints (signed notes)
    also check that the roots are the signed ones."""
    try:
        old_size, new_size = _int(data["old_size"], "old_size"), _int(data["new_size"], "new_size")
        old_root, new_root = _b64(data["old_root"], "old_root"), _b64(data["new_root"], "new_root")
        proof = [_b64(h, "a proof hash") for h in data["proof"]]
    except (KeyError, TypeError):
        raise VerificationError("not a consistency proof") from None
    try:
        merkle.verify_consistency(old_size, new_size, old_root, new_root, proof)
    except merkle.ProofError as e:
        raise VerificationError(f"consistency: {e}") from None
    for note, size, root in ((old_checkpoint, old_size, old_root), (new_checkpoint, new_size, new_root)):
        if note is None:
            continue
        keys = [notes.parse_verifier_key(k) for k in trusted_keys or ()]
        try:
            cp, _ = notes.open_note(note, keys)
        except notes.NoteError as e:
            raise VerificationError(f"checkpoint: {e}") from None
        if (cp.tree_size, cp.root) != (size, root):
            raise VerificationError(f"the checkpoint of size {cp.tree_size} does not match the proof")
