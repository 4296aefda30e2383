"""Green code use cases: issue (phone or card), revoke cards, the trust list, the revocation list,
key rotation, and verification on the server (the offline verifier is ``codec.verify``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from moralbank.auth.domain import SYSTEM, Principal
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, NotFound
from moralbank.greencode import codec, domain
from moralbank.greencode.models import GreenCard
from moralbank.kernel.keys import KeyRing

__all__ = [
    "PURPOSE",
    "Issued",
    "issue",
    "revoke_card",
    "cards_of",
    "trust_list",
    "local_trust",
    "revocation_list",
    "verify",
    "rotate_key",
    "revoke_key",
    "holder_of",
    "rules",
]

PURPOSE = "greencode"


@dataclass(frozen=True)
class Issued:
    text: str
    claims: domain.Claims
    kid: str

    @property
    def expires_at(self) -> datetime:
        from datetime import UTC

        return datetime.fromtimestamp(self.claims.expires_at, UTC)


def holder_of(keys: KeyRing, resident_id: str) -> str:
    """The code's holder id: a keyed hash of the resident id (80 bits, base32), stable per resident but
    not the id used in the ledger and exports, so scans cannot be joined with other data sets."""
    digest = hmac.new(keys.secret("greencode-holder"), resident_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode()


def rules(uow: UnitOfWork) -> tuple[int, int]:
    """(dynamic code minutes, card days) from the active policy."""
    from moralbank.policy import service as policy

    g = policy.active(uow).greencode
    return g.dynamic_minutes, g.card_days


def _masked_name(uow: UnitOfWork, resident_id: str, principal: Principal) -> str | None:
    from moralbank.residents import service as residents

    try:
        return domain.mask_name(
            residents.get(uow, resident_id=resident_id, principal=principal, purpose="green code").name
        )
    except NotFound:
        return None


def issue(
    uow: UnitOfWork,
    *,
    resident_id: str,
    principal: Principal = SYSTEM,
    card: bool = False,
    band: bool = False,
    name: bool = True,
) -> Issued:
    """Sign a green code for a resident's current tier: a phone code (valid for the policy's minutes)
    or a printable card (valid for the policy's days, recorded so it can be revoked)."""
    from moralbank.scoring import service as scoring

    score = scoring.current(uow, resident_id=resident_id)
    key = uow.keys.active_signing_key(PURPOSE)
    minutes, days = rules(uow)
    now = uow.clock.now()
    iat = int(now.timestamp())
    exp = iat + (days * 86400 if card else minutes * 60)
    card_id = secrets.token_hex(8).upper() if card else None
    claims = domain.Claims(
        issuer=uow.deps.settings.issuer,
        issued_at=iat,
        expires_at=exp,
        holder=holder_of(uow.keys, resident_id),
        tier=score.tier,
        form=domain.Form.CARD if card else domain.Form.PHONE,
        band=domain.score_band(score.total) if band else None,
        card_id=card_id,
        masked_name=_masked_name(uow, resident_id, principal) if name else None,
    )
    text = codec.encode(claims, key.private, bytes.fromhex(key.kid))
    if card:
        uow.db.add(
            GreenCard(
                card_id=card_id,
                resident_id=resident_id,
                tier=score.tier,
                kid=key.kid,
                issued_at=now,
                expires_at=now + timedelta(seconds=exp - iat),
                issued_by=principal.actor,
            )
        )
        uow.db.flush()
    return Issued(text, claims, key.kid)


def cards_of(uow: UnitOfWork, *, resident_id: str) -> list[GreenCard]:
    return list(
        uow.db.scalars(
            select(GreenCard).where(GreenCard.resident_id == resident_id).order_by(GreenCard.issued_at.desc())
        )
    )


def revoke_card(uow: UnitOfWork, *, card_id: str, principal: Principal, reason: str) -> GreenCard:
    if not reason.strip():
        raise InvalidInput("say why the card is revoked")
    c = uow.db.get(GreenCard, card_id)
    if c is None:
        raise NotFound(f"no card {card_id}")
    if c.revoked_at is None:
        c.revoked_at, c.revoked_by, c.revoked_reason = uow.clock.now(), principal.actor, reason.strip()[:200]
        uow.db.flush()
    return c


def _revoked_cards(uow: UnitOfWork) -> set[str]:
    """Revoked cards that have not expired yet (an expired card fails anyway)."""
    now = uow.clock.now()
    return set(
        uow.db.scalars(
            select(GreenCard.card_id).where(GreenCard.revoked_at.isnot(None), GreenCard.expires_at > now)
        )
    )


def trust_list(keys: KeyRing) -> dict:
    """The JWK Set of every green-code key still trusted (active and retired; revoked keys left out)."""
    return {
        "keys": [
            codec.jwk_of(k.public_bytes(), status=k.status)
            for k in keys.signing_keys(PURPOSE)
            if k.status != "revoked"
        ]
    }


def local_trust(keys: KeyRing) -> codec.TrustList:
    """The trust list from this installation's key ring (no database needed)."""
    ks = keys.signing_keys(PURPOSE)
    trust = codec.TrustList.from_public_keys([k.public_bytes() for k in ks if k.status != "revoked"])
    trust.revoked_kids = {bytes.fromhex(k.kid) for k in ks if k.status == "revoked"}
    return trust


def revocation_list(uow: UnitOfWork) -> str:
    """The signed revocation list (compact JWS): revoked unexpired cards and revoked keys."""
    key = uow.keys.active_signing_key(PURPOSE)
    revoked_keys = [k.kid for k in uow.keys.signing_keys(PURPOSE) if k.status == "revoked"]
    return codec.sign_revocations(
        issuer=uow.deps.settings.issuer,
        issued_at=int(uow.clock.now().timestamp()),
        cards=_revoked_cards(uow),
        kids=revoked_keys,
        private=key.private,
        kid=bytes.fromhex(key.kid),
    )


def verify(uow: UnitOfWork, *, text: str, at: datetime | None = None) -> domain.Verdict:
    """Server-side check: this installation's keys and its current card revocations."""
    trust = local_trust(uow.keys)
    trust.revoked_cards = _revoked_cards(uow)
    return codec.verify(text, trust, at=at or uow.clock.now())


TRUST_TTL = 5.0
"""Seconds the scanner API reuses its trust list and card revocations (a revocation reaches it within
this time; the offline verifiers get it with the next revocation list)."""


def cached_trust(container: object) -> tuple[codec.TrustList, dict[str, str]]:
    """The server's trust list with current card revocations, and tier names (zh) — refreshed every
    ``TRUST_TTL`` seconds so a scan costs no database round trip."""
    import time

    cache = container.cache  # type: ignore[attr-defined]
    entry = cache.get("greencode.trust")
    now = time.monotonic()
    if entry is None or now - entry[0] > TRUST_TTL:
        from moralbank.scoring import service as scoring

        with container.uow(write=False) as uow:  # type: ignore[attr-defined]
            trust = local_trust(uow.keys)
            trust.revoked_cards = _revoked_cards(uow)
            names = {t.code: t.name_zh for t in scoring.model(uow).tiers}
            names.update({f"en:{t.code}": t.name_en for t in scoring.model(uow).tiers})
        entry = cache["greencode.trust"] = (now, trust, names)
    return entry[1], entry[2]


def rotate_key(keys: KeyRing) -> str:
    """A new signing key; codes signed by the old one stay valid until they expire."""
    return keys.rotate_signing_key(PURPOSE).kid


def revoke_key(keys: KeyRing, kid: str) -> None:
    """Stop trusting a key (e.g. leaked): every code it signed fails from now on."""
    keys.revoke_signing_key(PURPOSE, kid)
