"""Identifiers. Pseudonymous resident ids are random, carry no personal data and are used everywhere
outside the residents table (ledger leaves, green codes, exports)."""

from __future__ import annotations

import random
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_pseudonym(prefix: str = "R", rng: random.Random | None = None, length: int = 12) -> str:
    """E.g. ``R7K3Q9X2M4P0A``: a prefix and ``length`` Crockford base32 characters (60 bits)."""
    if rng is None:
        return prefix + "".join(secrets.choice(CROCKFORD) for _ in range(length))
    return prefix + "".join(rng.choice(CROCKFORD) for _ in range(length))


def new_token(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)
