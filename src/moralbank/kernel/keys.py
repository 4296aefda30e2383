"""Keys generated on first run into the data directory; never committed.

Three kinds live here:

* named secrets (32 random bytes), e.g. the HMAC key behind keyed-hash look-ups of ID numbers;
* AES-256-GCM data keys for encryption at rest, with rotation (old keys still decrypt);
* Ed25519 signing keys per purpose (``ledger``, ``greencode`` …) with rotation and revocation.

See docs/operations.md for backup and rotation.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from moralbank.errors import MoralbankError


class KeyError_(MoralbankError):
    """A key is missing, revoked or unreadable."""


@dataclass(frozen=True)
class SigningKey:
    purpose: str
    kid: str
    created_at: str
    status: str  # active | retired | revoked
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def public_bytes(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


class KeyRing:
    """All keys of one installation, kept under ``keys_dir``."""

    def __init__(self, keys_dir: Path):
        self.dir = Path(keys_dir)
        self._lock = Lock()
        self._cache: dict[str, object] = {}

    # -- named secrets -------------------------------------------------------------------------
    def secret(self, name: str) -> bytes:
        key = f"secret:{name}"
        with self._lock:
            if key not in self._cache:
                path = self.dir / f"secret-{name}.key"
                if not path.exists():
                    with contextlib.suppress(FileExistsError):
                        _write_private(path, secrets.token_bytes(32).hex().encode())
                self._cache[key] = bytes.fromhex(path.read_text().strip())
            return self._cache[key]  # type: ignore[return-value]

    def keyed_hash(self, value: str, *, name: str = "lookup") -> str:
        """HMAC-SHA256 of a normalised value: lets us find a record by ID number without storing it."""
        return hmac.new(self.secret(name), value.encode(), hashlib.sha256).hexdigest()

    def hasher(self, name: str = "lookup") -> Callable[[str], bytes]:
        """``keyed_hash`` for many values (raw 32-byte digests), the key fetched once: bulk imports."""
        key = self.secret(name)
        return lambda value: hmac.digest(key, value.encode(), "sha256")

    # -- encryption at rest ----------------------------------------------------------------------
    def _data_keys(self) -> tuple[str, dict[str, bytes]]:
        with self._lock:
            cached = self._cache.get("datakeys")
            if cached is None:
                index = self.dir / "data-keys.json"
                if not index.exists():
                    self._new_data_key_unlocked()
                meta = json.loads(index.read_text())
                keys = {
                    k["kid"]: bytes.fromhex((self.dir / f"data-{k['kid']}.key").read_text().strip())
                    for k in meta["keys"]
                }
                cached = (meta["active"], keys)
                self._cache["datakeys"] = cached
            return cached  # type: ignore[return-value]

    def _new_data_key_unlocked(self) -> str:
        index = self.dir / "data-keys.json"
        meta = json.loads(index.read_text()) if index.exists() else {"active": None, "keys": []}
        kid = secrets.token_hex(4)
        _write_private(self.dir / f"data-{kid}.key", AESGCM.generate_key(bit_length=256).hex().encode())
        meta["keys"].append({"kid": kid, "created_at": datetime.now(UTC).isoformat()})
        meta["active"] = kid
        index.write_text(json.dumps(meta, indent=2))
        self._cache.pop("datakeys", None)
        return kid

    def rotate_data_key(self) -> str:
        """Make a new active data key; values encrypted under older keys still decrypt."""
        with self._lock:
            return self._new_data_key_unlocked()

    def encrypt(self, plaintext: str) -> bytes:
        active, keys = self._data_keys()
        nonce = secrets.token_bytes(12)
        sealed = AESGCM(keys[active]).encrypt(nonce, plaintext.encode(), active.encode())
        return active.encode() + nonce + sealed

    def encryptor(self) -> Callable[[str], bytes]:
        """``encrypt`` for many values under the active key, the cipher built once: bulk imports."""
        active, keys = self._data_keys()
        aead, aad, prefix = AESGCM(keys[active]), active.encode(), active.encode()
        token = secrets.token_bytes

        def encrypt(plaintext: str) -> bytes:
            nonce = token(12)
            return prefix + nonce + aead.encrypt(nonce, plaintext.encode(), aad)

        return encrypt

    def decrypt(self, blob: bytes) -> str:
        _, keys = self._data_keys()
        kid, nonce, ct = blob[:8].decode(), blob[8:20], blob[20:]
        if kid not in keys:
            raise KeyError_(f"no data key {kid!r} in {self.dir}")
        return AESGCM(keys[kid]).decrypt(nonce, ct, kid.encode()).decode()

    def data_key_id(self, blob: bytes) -> str:
        return blob[:8].decode()

    # -- signing keys ----------------------------------------------------------------------------
    def _signing_index(self, purpose: str) -> Path:
        return self.dir / purpose / "keys.json"

    def _load_signing(self, purpose: str) -> list[SigningKey]:
        index = self._signing_index(purpose)
        if not index.exists():
            return []
        out = []
        for k in json.loads(index.read_text())["keys"]:
            pem = (self.dir / purpose / f"{k['kid']}.pem").read_bytes()
            private = serialization.load_pem_private_key(pem, password=None)
            assert isinstance(private, Ed25519PrivateKey)
            out.append(SigningKey(purpose, k["kid"], k["created_at"], k["status"], private))
        return out

    def _save_signing(self, purpose: str, keys: list[SigningKey]) -> None:
        index = self._signing_index(purpose)
        index.parent.mkdir(parents=True, exist_ok=True)
        data = {"keys": [{"kid": k.kid, "created_at": k.created_at, "status": k.status} for k in keys]}
        tmp = index.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(index)
        self._cache.pop(f"signing:{purpose}", None)

    def signing_keys(self, purpose: str) -> list[SigningKey]:
        """Every key of a purpose, oldest first; creates the first one on first use."""
        with self._lock:
            cached = self._cache.get(f"signing:{purpose}")
            if cached is None:
                cached = self._load_signing(purpose)
                if not cached:
                    cached = [self._generate_unlocked(purpose, [])]
                self._cache[f"signing:{purpose}"] = cached
            return list(cached)  # type: ignore[arg-type]

    def active_signing_key(self, purpose: str) -> SigningKey:
        active = [k for k in self.signing_keys(purpose) if k.status == "active"]
        if not active:
            raise KeyError_(f"no active {purpose} signing key; run the key rotation command")
        return active[-1]

    def _generate_unlocked(self, purpose: str, existing: list[SigningKey]) -> SigningKey:
        private = Ed25519PrivateKey.generate()
        pub = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kid = hashlib.sha256(pub).hexdigest()[:16]
        pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(self.dir / purpose / f"{kid}.pem", pem)
        key = SigningKey(purpose, kid, datetime.now(UTC).isoformat(), "active", private)
        retired = [
            SigningKey(
                k.purpose, k.kid, k.created_at, "retired" if k.status == "active" else k.status, k.private
            )
            for k in existing
        ]
        self._save_signing(purpose, [*retired, key])
        return key

    def rotate_signing_key(self, purpose: str) -> SigningKey:
        """A new active key; the old active key is retired (still trusted for what it signed)."""
        existing = self.signing_keys(purpose)
        with self._lock:
            return self._generate_unlocked(purpose, existing)

    def revoke_signing_key(self, purpose: str, kid: str) -> None:
        """Revoked keys are no longer trusted, even for what they signed before."""
        keys = self.signing_keys(purpose)
        if kid not in {k.kid for k in keys}:
            raise KeyError_(f"no {purpose} key {kid!r}")
        with self._lock:
            self._save_signing(
                purpose,
                [
                    SigningKey(
                        k.purpose, k.kid, k.created_at, "revoked" if k.kid == kid else k.status, k.private
                    )
                    for k in keys
                ],
            )
