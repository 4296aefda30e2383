"""The green code's bytes: CWT claims (RFC 8392) in COSE_Sign1 (RFC 9052) with EdDSA, zlib, Base45
(RFC 9285), the ``MB1:`` prefix; the JWK Set trust list (RFC 7517/8037) and the signed revocation list.

No database and no network: everything a third-party verifier needs is in this module, the trust
list and the revocation list. Sig_structure is built with cbor2 directly (pycose 1.1 does not decode
with cbor2 6.x; the structure is four fields, RFC 9052 §4.4), see docs/greencode.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from moralbank.greencode.domain import PREFIX, Claims, Failure, Verdict, check_times

COSE_SIGN1_TAG = 18
CWT_TAG = 61
HDR_ALG = 1
HDR_KID = 4
ALG_EDDSA = -8

# -- Base45 (RFC 9285), table driven: this is on the hot path of every scan ----------------------------
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ENC2 = [B45[n % 45] + B45[(n // 45) % 45] + B45[n // 2025] for n in range(65536)]
_ENC1 = [B45[n % 45] + B45[n // 45] for n in range(256)]
# Decoding: one C-level pass maps characters to digit values (0xFF outside the alphabet); the triples
# are then evaluated all at once as lanes of one big integer (see b45decode).
_DIGITS = bytes(B45.index(chr(c)) if chr(c) in B45 else 0xFF for c in range(256))
_LANE_MASKS: dict[int, int] = {}


def _lane_mask(n: int) -> int:
    """``0x0000FF`` repeated ``n`` times: the low byte of each 3-byte lane."""
    mask = _LANE_MASKS.get(n)
    if mask is None:
        mask = int.from_bytes(b"\0\0\xff" * n, "big")
        if len(_LANE_MASKS) < 4096:
            _LANE_MASKS[n] = mask
    return mask


def b45encode(data: bytes) -> str:
    n = len(data) // 2
    out = "".join(map(_ENC2.__getitem__, struct.unpack(f">{n}H", data[: 2 * n])))
    return out + _ENC1[data[-1]] if len(data) % 2 else out


def b45decode(text: str) -> bytes:
    """Raises ValueError for characters outside the alphabet or an impossible length/value.

    The digits of the whole text, read as one big-endian integer, are ``n`` lanes of three bytes
    ``[c0, c1, c2]``; shifting and masking picks each position out of every lane at once, so
    ``c0 + 45·c1 + 2025·c2`` is three big-integer operations for all triples (each lane's value is at
    most 91,124 < 2²⁴, so no lane carries into the next). A lane whose value exceeds 65,535 has a
    non-zero top byte: invalid. Dropping every lane's top byte leaves the decoded bytes.
    """
    try:
        digits = text.encode("ascii").translate(_DIGITS)
    except UnicodeEncodeError:
        raise ValueError("invalid base45 text") from None
    n, rest = divmod(len(digits), 3)
    if rest == 1:
        raise ValueError("invalid base45 length")
    if 0xFF in digits:
        raise ValueError("invalid base45 text")
    out = b""
    if n:
        x = int.from_bytes(digits[: 3 * n], "big")
        mask = _lane_mask(n)
        lanes = bytearray(
            (((x >> 16) & mask) + 45 * ((x >> 8) & mask) + 2025 * (x & mask)).to_bytes(3 * n, "big")
        )
        if lanes[0::3] != bytes(n):
            raise ValueError("invalid base45 text")
        del lanes[0::3]
        out = bytes(lanes)
    if rest:
        v = digits[-2] + 45 * digits[-1]
        if v > 255:
            raise ValueError("invalid base45 text")
        out += bytes((v,))
    return out


# -- keys -------------------------------------------------------------------------------------------
def kid_of(public: bytes) -> bytes:
    """The key id: the first 8 bytes of SHA-256 of the raw 32-byte public key (the EU DCC model)."""
    return hashlib.sha256(public).digest()[:8]


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class TrustList:
    """Public keys a verifier trusts, by kid, plus what the revocation list says."""

    keys: dict[bytes, Ed25519PublicKey] = field(default_factory=dict)
    revoked_kids: set[bytes] = field(default_factory=set)
    revoked_cards: set[str] = field(default_factory=set)
    _raw: dict[bytes, bytes] = field(default_factory=dict, init=False, repr=False, compare=False)

    def raw_key(self, kid: bytes) -> bytes | None:
        """The 32 raw bytes of a trusted key (kept: verification hands them to libsodium)."""
        raw = self._raw.get(kid)
        if raw is None and (key := self.keys.get(kid)) is not None:
            raw = self._raw[kid] = key.public_bytes_raw()
        return raw

    @classmethod
    def from_public_keys(cls, public_keys: Iterable[bytes]) -> TrustList:
        return cls({kid_of(p): Ed25519PublicKey.from_public_bytes(p) for p in public_keys})

    @classmethod
    def from_jwks(cls, jwks: Mapping) -> TrustList:
        """Read a JWK Set; only OKP/Ed25519 keys are taken, and the ``kid`` must match the key."""
        keys: dict[bytes, Ed25519PublicKey] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                continue
            raw = _unb64u(jwk["x"])
            kid = kid_of(raw)
            if jwk.get("kid") not in (None, kid.hex()):
                raise ValueError(f"JWK kid {jwk.get('kid')} does not match its key ({kid.hex()})")
            keys[kid] = Ed25519PublicKey.from_public_bytes(raw)
        return cls(keys)


def jwk_of(public: bytes, *, status: str | None = None) -> dict[str, str]:
    """An OKP/Ed25519 JWK (RFC 8037) with ``kid`` (hex of the 8-byte key id), ``use`` and ``alg``."""
    jwk = {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64u(public),
        "kid": kid_of(public).hex(),
        "use": "sig",
        "alg": "EdDSA",
    }
    if status:
        jwk["status"] = status
    return jwk


# -- codes ------------------------------------------------------------------------------------------
def _bstr(data: bytes) -> bytes:
    """A CBOR byte string (major type 2) with its definite length (RFC 8949 §3)."""
    n = len(data)
    if n < 24:
        return bytes((0x40 | n,)) + data
    if n < 256:
        return bytes((0x58, n)) + data
    if n < 65536:
        return b"\x59" + n.to_bytes(2, "big") + data
    return b"\x5a" + n.to_bytes(4, "big") + data


_SIG1 = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"


def sig_structure(protected: bytes, payload: bytes, external_aad: bytes = b"") -> bytes:
    """RFC 9052 §4.4: ``["Signature1", body_protected, external_aad, payload]`` as CBOR.

    Written out byte for byte (it is on the path of every scan); equal to
    ``cbor2.dumps(["Signature1", protected, external_aad, payload])``, which the unit tests check.
    """
    return _SIG1 + _bstr(protected) + _bstr(external_aad) + _bstr(payload)


_PROTECTED: dict[bytes, bytes] = {}


def protected_header(kid: bytes) -> bytes:
    """The protected header bytes ``{1: -8, 4: kid}`` (cached per key)."""
    header = _PROTECTED.get(kid)
    if header is None:
        header = _PROTECTED[kid] = cbor2.dumps({HDR_ALG: ALG_EDDSA, HDR_KID: kid})
    return header


def encode(claims: Claims, private: Ed25519PrivateKey, kid: bytes) -> str:
    """Sign ``claims`` and return the code's text, ``MB1:`` + Base45(zlib(COSE_Sign1))."""
    protected = protected_header(kid)
    payload = cbor2.dumps(claims.as_map())
    signature = private.sign(sig_structure(protected, payload))
    # tag(18) array(4) [protected, {}, payload, signature]
    cose = b"\xd2\x84" + _bstr(protected) + b"\xa0" + _bstr(payload) + _bstr(signature)
    return PREFIX + b45encode(_deflate(cose))


def _deflate(data: bytes) -> bytes:
    """zlib (RFC 1950) at level 9 with a 512-byte window and the smallest hash table: a code is a few
    hundred bytes, so this compresses as well as the defaults, and setting up the default 32 KiB window
    and 128 KiB hash table cost more than signing (about 50 µs against 9 µs per code). Any zlib inflater
    reads it (the window size is in the header)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 9, 1)
    return z.compress(data) + z.flush()


_HEADERS: dict[bytes, dict] = {}


def _header(protected: bytes) -> dict:
    h = _HEADERS.get(protected)
    if h is None:
        h = cbor2.loads(protected) if protected else {}
        if not isinstance(h, dict):
            raise ValueError("protected header is not a map")
        if len(_HEADERS) < 1024:
            _HEADERS[protected] = h
    return h


@dataclass(frozen=True)
class Parsed:
    kid: bytes
    protected: bytes
    payload: bytes
    signature: bytes
    claims: Claims


def parse(text: str) -> Parsed | Failure:
    """Undo the encoding layers without checking anything cryptographic.

    Only text without the prefix is not a code; a text with the prefix that fails any layer (Base45,
    zlib, CBOR, COSE) is a damaged code — a character changed or the end cut off.
    """
    text = text.strip()
    if not text.startswith(PREFIX):
        return Failure.NOT_A_CODE
    try:
        obj = cbor2.loads(zlib.decompress(b45decode(text[len(PREFIX) :])))
        if isinstance(obj, cbor2.CBORTag) and obj.tag == CWT_TAG:
            obj = obj.value
        if isinstance(obj, cbor2.CBORTag):
            if obj.tag != COSE_SIGN1_TAG:
                return Failure.MALFORMED
            obj = obj.value
        protected_b, unprotected, payload, signature = obj
        if not (
            isinstance(protected_b, bytes) and isinstance(payload, bytes) and isinstance(signature, bytes)
        ):
            return Failure.MALFORMED
        protected = _header(protected_b)
        if protected.get(HDR_ALG) != ALG_EDDSA:
            return Failure.MALFORMED
        kid = protected.get(HDR_KID, unprotected.get(HDR_KID) if isinstance(unprotected, dict) else None)
        if not isinstance(kid, bytes):
            return Failure.MALFORMED
        claims = Claims.from_map(cbor2.loads(payload))
    except (ValueError, TypeError, AttributeError, OverflowError, zlib.error, cbor2.CBORDecodeError):
        return Failure.MALFORMED
    return Parsed(kid, protected_b, payload, signature, claims)


def ed25519_valid(public: bytes, signature: bytes, message: bytes) -> bool:
    """An Ed25519 (RFC 8032) signature check through libsodium (PyNaCl): the same answer as
    ``cryptography``'s ``Ed25519PublicKey.verify`` in half the time, which is most of a code's check."""
    if len(signature) != 64:
        return False
    try:
        crypto_sign_open(signature + message, public)
    except BadSignatureError:
        return False
    return True


def verify(text: str, trust: TrustList, *, at: datetime) -> Verdict:
    """Check a code offline: encoding, key, signature, times, card revocation — in that order."""
    parsed = parse(text)
    if isinstance(parsed, Failure):
        return Verdict(False, parsed)
    kid_hex = parsed.kid.hex()
    if parsed.kid in trust.revoked_kids:
        return Verdict(False, Failure.REVOKED_KEY, kid=kid_hex)
    key = trust.raw_key(parsed.kid)
    if key is None:
        return Verdict(False, Failure.UNKNOWN_KEY, kid=kid_hex)
    if not ed25519_valid(key, parsed.signature, sig_structure(parsed.protected, parsed.payload)):
        return Verdict(False, Failure.BAD_SIGNATURE, kid=kid_hex)
    claims = parsed.claims
    failure = check_times(claims, at)
    if failure is None and claims.card_id is not None and claims.card_id in trust.revoked_cards:
        failure = Failure.REVOKED_CARD
    return Verdict(failure is None, failure, claims, kid_hex)


# -- the signed revocation list: a compact JWS (RFC 7515) with alg EdDSA (RFC 8037) ----------------------
REVOCATION_TYP = "moralbank-revocations+json"


def sign_revocations(
    *,
    issuer: str,
    issued_at: int,
    cards: Iterable[str],
    kids: Iterable[str],
    private: Ed25519PrivateKey,
    kid: bytes,
) -> str:
    header = {"alg": "EdDSA", "kid": kid.hex(), "typ": REVOCATION_TYP}
    payload = {
        "iss": issuer,
        "iat": issued_at,
        "revoked_cards": sorted(set(cards)),
        "revoked_keys": sorted(set(kids)),
    }
    signing_input = (
        _b64u(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64u(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    return signing_input + "." + _b64u(private.sign(signing_input.encode()))


def read_revocations(jws: str, trust: TrustList) -> dict:
    """Verify a revocation list against the trust list and return its payload; ValueError otherwise."""
    try:
        h, p, s = jws.strip().split(".")
        header = json.loads(_unb64u(h))
        kid = bytes.fromhex(header["kid"])
    except (ValueError, KeyError) as e:
        raise ValueError("not a revocation list") from e
    if header.get("alg") != "EdDSA" or header.get("typ") != REVOCATION_TYP:
        raise ValueError("not a moralbank revocation list")
    key = trust.keys.get(kid)
    if key is None or kid in trust.revoked_kids:
        raise ValueError("revocation list signed by an unknown key")
    try:
        key.verify(_unb64u(s), f"{h}.{p}".encode())
    except InvalidSignature:
        raise ValueError("revocation list signature does not verify") from None
    return json.loads(_unb64u(p))


def apply_revocations(trust: TrustList, jws: str) -> TrustList:
    """The trust list with a verified revocation list applied (revoked keys drop out)."""
    payload = read_revocations(jws, trust)
    revoked_kids = {bytes.fromhex(k) for k in payload.get("revoked_keys", [])}
    return TrustList(
        {k: v for k, v in trust.keys.items() if k not in revoked_kids},
        trust.revoked_kids | revoked_kids,
        trust.revoked_cards | set(payload["revoked_cards"]),
    )
