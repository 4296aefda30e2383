"""Checkpoints as C2SP tlog-checkpoint signed notes with Ed25519 note signatures.

Pure: stdlib and ``cryptography`` only, so the receipt checker and independent verifiers can use it.

A checkpoint note::

    <origin>\\n
    <tree size, decimal>\\n
    <root hash, standard base64>\\n
    \\n
    — <key name> <base64(4-byte key hash ‖ 64-byte Ed25519 signature)>\\n

The signature covers the note text: the three body lines including their final newline. The key hash
is the first 4 bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key); a verifier key is
published as ``<name>+<key hash, 8 hex digits>+<base64(0x01 ‖ public key)>`` (golang.org/x/mod/sumdb/note).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # an em dash and a space


class NoteError(ValueError):
    """A checkpoint or verifier key that is malformed or not signed by a trusted key."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root).decode()}\n"


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_hash: bytes  # 4 bytes
    public: bytes  # 32-byte Ed25519 public key

    def __str__(self) -> str:
        key = base64.b64encode(bytes([ALG_ED25519]) + self.public).decode()
        return f"{self.name}+{self.key_hash.hex()}+{key}"


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError("a key name must be non-empty with no spaces or '+'")


def key_hash(name: str, public: bytes) -> bytes:
    return sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public).digest()[:4]


def verifier_key(name: str, public: bytes) -> VerifierKey:
    _check_name(name)
    return VerifierKey(name, key_hash(name, public), public)


def parse_verifier_key(text: str) -> VerifierKey:
    """Parse ``name+hash+base64key``; the hash must match the key."""
    parts = text.strip().split("+", 2)  # the base64 key itself may hold a "+"
    if len(parts) != 3:
        raise NoteError("a verifier key is name+hash+key")
    name, hex_hash, b64 = parts
    _check_name(name)
    try:
        kh = bytes.fromhex(hex_hash)
        raw = base64.b64decode(b64, validate=True)
    except (ValueError, binascii.Error):
        raise NoteError("a verifier key has a hex hash and a base64 key") from None
    if len(kh) != 4 or len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError("not an Ed25519 verifier key")
    if key_hash(name, raw[1:]) != kh:
        raise NoteError("the verifier key's hash does not match its key")
    return VerifierKey(name, kh, raw[1:])


def sign_note(text: str, name: str, private: Ed25519PrivateKey) -> str:
    """Sign note text (lines ending in a newline) with an Ed25519 key named ``name``."""
    _check_name(name)
    if not text.endswith("\n") or "\n\n" in text:
        raise NoteError("note text is non-empty lines, each ending in a newline")
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    sig = private.sign(text.encode())
    return f"{text}\n{SIG_PREFIX}{name} {base64.b64encode(key_hash(name, public) + sig).decode()}\n"


def sign(checkpoint: Checkpoint, name: str, private: Ed25519PrivateKey) -> str:
    """The signed note text of a checkpoint."""
    if "\n" in checkpoint.origin or not checkpoint.origin:
        raise NoteError("the origin is one non-empty line")
    return sign_note(checkpoint.body(), name, private)


def parse_body(body: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise NoteError("a checkpoint body is origin, size and root lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("the tree size is not a decimal number")
    try:
        raw = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteError("the root is not base64") from None
    if len(raw) != 32:
        raise NoteError("the root is not a 32-byte hash")
    return Checkpoint(origin, int(size), raw)


def open_signed(text: str, keys: list[VerifierKey]) -> tuple[str, list[VerifierKey]]:
    """Check a signed note; returns its text and the trusted keys that signed it.

    Raises ``NoteError`` unless at least one signature is by a trusted key and every signature line
    by a trusted key verifies (signatures by unknown keys are ignored, as the spec says).
    """
    if not text.endswith("\n") or "\n\n" not in text:
        raise NoteError("a signed note is text, a blank line and signature lines")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a signed note has no control characters")
    body, sigs = text[: text.rindex("\n\n") + 1], text[text.rindex("\n\n") + 2 :]
    signed_by = []
    for line in sigs.rstrip("\n").split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError("a signature line starts with an em dash and a space")
        try:
            name, b64 = line[len(SIG_PREFIX) :].split(" ")
            raw = base64.b64decode(b64, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError("malformed signature line") from None
        if len(raw) < 5:
            raise NoteError("malformed signature line")
        for k in keys:
            if k.name == name and k.key_hash == raw[:4]:
                try:
                    Ed25519PublicKey.from_public_bytes(k.public).verify(raw[4:], body.encode())
                except InvalidSignature:
                    raise NoteError(f"the signature by {name} does not verify") from None
                signed_by.append(k)
    if not signed_by:
        raise NoteError("no signature by a trusted key")
    return body, signed_by


def open_note(text: str, keys: list[VerifierKey]) -> tuple[Checkpoint, list[VerifierKey]]:
    """Check a signed checkpoint against trusted keys; returns it and the keys that signed it."""
    body, signed_by = open_signed(text, keys)
    return parse_body(body), signed_by
