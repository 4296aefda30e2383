"""Green code rules: what a code claims, how long it lives, how a name is masked, why a check fails.

Pure: stdlib only. The byte format (CBOR, COSE_Sign1, zlib, Base45) lives in ``codec.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

PREFIX = "MB1:"
"""The text prefix of every green code (version 1 of the format)."""

# CWT claim keys (RFC 8392 §4) and our private-use claims (keys below -65536, IANA "Private Use").
CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_HOLDER = -65537  # pseudonymous holder id (not the internal resident id; see docs/greencode.md)
CLAIM_TIER = -65538  # tier code, e.g. "green"
CLAIM_BAND = -65539  # optional score band, e.g. "80-89"
CLAIM_CARD = -65540  # card id: present only on printable cards (they can be revoked)
CLAIM_NAME = -65541  # optional masked name, e.g. "张*明"
CLAIM_FORM = -65542  # "phone" (dynamic) or "card" (printable)


class Form(StrEnum):
    PHONE = "phone"
    CARD = "card"


class Failure(StrEnum):
    """Why a code is not valid, in the words the CLI and the scanner page print."""

    NOT_A_CODE = "not a green code (no MB1: prefix)"
    MALFORMED = "malformed: damaged or cut off, it does not decode as a COSE_Sign1 green code"
    UNKNOWN_KEY = "unknown or revoked key: the signing key is not in the trust list"
    REVOKED_KEY = "revoked key: the signing key was revoked"
    BAD_SIGNATURE = "bad signature: the code was tampered with or signed by another key"
    NOT_YET_VALID = "not yet valid: issued in the future"
    EXPIRED = "expired"
    REVOKED_CARD = "revoked card"


@dataclass(frozen=True)
class Claims:
    """What a green code says. ``card_id`` is set only for printable cards."""

    issuer: str
    issued_at: int  # seconds since the epoch
    expires_at: int
    holder: str
    tier: str
    form: Form = Form.PHONE
    band: str | None = None
    card_id: str | None = None
    masked_name: str | None = None

    def as_map(self) -> dict[int, object]:
        claims: dict[int, object] = {
            CLAIM_ISS: self.issuer,
            CLAIM_IAT: self.issued_at,
            CLAIM_EXP: self.expires_at,
            CLAIM_HOLDER: self.holder,
            CLAIM_TIER: self.tier,
            CLAIM_FORM: str(self.form),
        }
        if self.band is not None:
            claims[CLAIM_BAND] = self.band
        if self.card_id is not None:
            claims[CLAIM_CARD] = self.card_id
        if self.masked_name is not None:
            claims[CLAIM_NAME] = self.masked_name
        return claims

    @classmethod
    def from_map(cls, m: dict) -> Claims:
        """The claims of a decoded CWT map; ValueError for a missing or mistyped claim."""
        get = m.get
        iss, iat, exp = get(CLAIM_ISS), get(CLAIM_IAT), get(CLAIM_EXP)
        holder, tier, form = get(CLAIM_HOLDER), get(CLAIM_TIER), get(CLAIM_FORM)
        form = _FORMS.get(form) if type(form) is str else None
        band, card, name = get(CLAIM_BAND), get(CLAIM_CARD), get(CLAIM_NAME)
        # Fast path for a well-formed map (every scan); anything else takes the checking path below,
        # which raises the precise error.
        if (
            type(iss) is str
            and type(iat) is int
            and type(exp) is int
            and type(holder) is str
            and type(tier) is str
            and form is not None
            and (band is None or type(band) is str)
            and (card is None or type(card) is str)
            and (name is None or type(name) is str)
        ):
            return cls(iss, iat, exp, holder, tier, form, band, card, name)
        return cls._from_map_checked(m)

    @classmethod
    def _from_map_checked(cls, m: dict) -> Claims:
        def text(key: int, required: bool = True) -> str | None:
            v = m.get(key)
            if v is None and not required:
                return None
            if not isinstance(v, str):
                raise ValueError(f"claim {key} must be text")
            return v

        def number(key: int) -> int:
            v = m.get(key)
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"claim {key} must be an integer")
            return v

        return cls(
            issuer=text(CLAIM_ISS) or "",
            issued_at=number(CLAIM_IAT),
            expires_at=number(CLAIM_EXP),
            holder=text(CLAIM_HOLDER) or "",
            tier=text(CLAIM_TIER) or "",
            form=Form(text(CLAIM_FORM)),
            band=text(CLAIM_BAND, False),
            card_id=text(CLAIM_CARD, False),
            masked_name=text(CLAIM_NAME, False),
        )


_FORMS = {str(f): f for f in Form}


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: valid, or the first reason it is not."""

    valid: bool
    failure: Failure | None = None
    claims: Claims | None = None
    kid: str | None = None  # hex

    @property
    def reason(self) -> str:
        return "valid" if self.valid else str(self.failure)


CLOCK_SKEW = timedelta(minutes=2)
"""Tolerance for a verifier's clock running behind the issuer's (issued-at in the near future)."""


def check_times(claims: Claims, at: datetime) -> Failure | None:
    """Expiry is exclusive: a code expiring at T is no longer valid at T."""
    t = int(at.timestamp())
    if claims.issued_at > t + CLOCK_SKEW.total_seconds():
        return Failure.NOT_YET_VALID
    if t >= claims.expires_at:
        return Failure.EXPIRED
    return None


def mask_name(name: str | None) -> str | None:
    """``张三明`` → ``张*明``, ``张三`` → ``张*``, ``欧阳小明`` → ``欧**明``; nothing for an empty name.

    Keeps the surname character and (for names of three or more characters) the last one: enough to
    match against the ID card shown alongside, too little to identify someone from the code alone.
    Latin names keep their first and last letter the same way.
    """
    if not name:
        return None
    name = name.strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def score_band(total: int, *, width: int = 10) -> str:
    """A coarse band instead of the exact score: 83 → ``80-89``."""
    low = (total // width) * width
    return f"{low}-{low + width - 1}"
