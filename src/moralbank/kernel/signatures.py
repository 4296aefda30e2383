"""HMAC-SHA256 body signatures, the one scheme of every HTTP hop between moralbank and the intranet.

Departments sign what they push to us (``feeds``); we sign what we send to the SMS platform and the
WeChat relay (``kernel.gateways``). Header value: ``sha256=<hex HMAC-SHA256(secret, exact body bytes)>``.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Moralbank-Signature"


def sign_body(secret: bytes, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact request body under the shared secret."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signature_ok(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the body's signature; a header with non-ASCII characters never is
    (``compare_digest`` refuses such strings)."""
    if not header or not header.isascii():
        return False
    return hmac.compare_digest(sign_body(secret, body), header.strip())
