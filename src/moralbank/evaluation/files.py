"""Evidence files: photos and PDFs, size-limited, type-checked by their first bytes (never by the name
or the browser's claim), stored outside the database under ``files_dir`` by SHA-256 content hash."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from moralbank.errors import InvalidInput, Problem

MAX_BYTES = 8 * 1024 * 1024
MAX_FILES = 6

SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"%PDF-", 0, "application/pdf"),
    (b"WEBP", 8, "image/webp"),  # RIFF....WEBP
)


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, or None when not an accepted kind."""
    for magic, offset, media_type in SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (
            media_type != "image/webp" or data[:4] == b"RIFF"
        ):
            return media_type
    return None


def check(data: bytes, filename: str = "") -> str:
    """The media type of an acceptable evidence file; ``InvalidInput`` otherwise."""
    if not data:
        raise InvalidInput(Problem("the file is empty", field="evidence", file=filename or None))
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            Problem(
                f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
                field="evidence",
                file=filename or None,
            )
        )
    media_type = sniff(data)
    if media_type is None:
        raise InvalidInput(
            Problem(
                "only photos (JPEG, PNG, WebP) and PDF files are accepted",
                field="evidence",
                file=filename or None,
            )
        )
    return media_type


def path_for(root: Path, sha256: str) -> Path:
    return root / "evidence" / sha256[:2] / sha256[2:4] / sha256


def store(root: Path, data: bytes) -> str:
    """Write the bytes once under their hash (identical files share one copy); returns the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(root, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(target)
    return digest


def load(root: Path, sha256: str) -> bytes:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise InvalidInput("not a content hash")
    return path_for(root, sha256).read_bytes()
