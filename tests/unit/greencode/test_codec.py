"""The green code's format and offline checks, with no database."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from moralbank.greencode import codec, qr
from moralbank.greencode.domain import PREFIX, Claims, Failure, Form, mask_name, score_band

T = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def keypair() -> tuple[Ed25519PrivateKey, bytes]:
    k = Ed25519PrivateKey.generate()
    return k, k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def claims(**kw: object) -> Claims:
    base = dict(
        issuer="CN-330281",
        issued_at=int(T.timestamp()),
        expires_at=int(T.timestamp()) + 300,
        holder="ABCDEFGHIJKLMNOP",
        tier="green",
        form=Form.PHONE,
        masked_name="张*明",
    )
    base.update(kw)
    return Claims(**base)  # type: ignore[arg-type]


@pytest.fixture
def signed() -> tuple[str, codec.TrustList, bytes]:
    k, pub = keypair()
    return codec.encode(claims(), k, codec.kid_of(pub)), codec.TrustList.from_public_keys([pub]), pub


def test_valid_code_shows_tier_and_masked_name(signed) -> None:  # noqa: ANN001
    text, trust, _ = signed
    v = codec.verify(text, trust, at=T + timedelta(minutes=1))
    assert v.valid and v.claims.tier == "green" and v.claims.masked_name == "张*明"


def test_layers_are_the_eu_dcc_ones(signed) -> None:  # noqa: ANN001
    text, _, pub = signed
    assert text.startswith(PREFIX)
    raw = zlib.decompress(base45.b45decode(text[len(PREFIX) :]))
    obj = cbor2.loads(raw)
    assert obj.tag == 18
    protected, unprotected, payload, signature = obj.value
    assert cbor2.loads(protected) == {1: -8, 4: codec.kid_of(pub)}
    assert len(codec.kid_of(pub)) == 8 and len(signature) == 64
    m = cbor2.loads(payload)
    assert m[1] == "CN-330281" and m[4] - m[6] == 300


def test_tampered_payload_fails(signed) -> None:  # noqa: ANN001
    text, trust, _ = signed
    obj = cbor2.loads(zlib.decompress(base45.b45decode(text[len(PREFIX) :])))
    protected, unprotected, payload, sig = obj.value
    m = cbor2.loads(payload)
    m[-65538] = "green" if m[-65538] != "green" else "gold"
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(m), sig]))
    forged_text = PREFIX + base45.b45encode(zlib.compress(forged)).decode()
    assert codec.verify(forged_text, trust, at=T).failure is Failure.BAD_SIGNATURE


def test_expired_code_fails_exactly_at_expiry(signed) -> None:  # noqa: ANN001
    text, trust, _ = signed
    assert codec.verify(text, trust, at=T + timedelta(seconds=299)).valid
    assert codec.verify(text, trust, at=T + timedelta(seconds=300)).failure is Failure.EXPIRED


def test_unknown_key_fails(signed) -> None:  # noqa: ANN001
    text, _, _ = signed
    _, other = keypair()
    assert codec.verify(text, codec.TrustList.from_public_keys([other]), at=T).failure is Failure.UNKNOWN_KEY


def test_revoked_card_fails_and_signed_list_is_checked() -> None:
    k, pub = keypair()
    kid = codec.kid_of(pub)
    text = codec.encode(
        claims(form=Form.CARD, card_id="C0FFEE", expires_at=int(T.timestamp()) + 86400), k, kid
    )
    trust = codec.TrustList.from_public_keys([pub])
    assert codec.verify(text, trust, at=T).valid
    jws = codec.sign_revocations(
        issuer="CN-330281", issued_at=0, cards=["C0FFEE"], kids=[], private=k, kid=kid
    )
    assert codec.verify(text, codec.apply_revocations(trust, jws), at=T).failure is Failure.REVOKED_CARD
    forged = jws.rsplit(".", 1)[0] + "." + jws.rsplit(".", 1)[1][::-1]
    with pytest.raises(ValueError):
        codec.apply_revocations(trust, forged)


def test_revoked_key_fails_even_for_codes_it_signed_before() -> None:
    old, old_pub = keypair()
    new, new_pub = keypair()
    text = codec.encode(claims(), old, codec.kid_of(old_pub))
    trust = codec.TrustList.from_public_keys([old_pub, new_pub])
    jws = codec.sign_revocations(
        issuer="x",
        issued_at=0,
        cards=[],
        kids=[codec.kid_of(old_pub).hex()],
        private=new,
        kid=codec.kid_of(new_pub),
    )
    assert codec.verify(text, codec.apply_revocations(trust, jws), at=T).failure is Failure.REVOKED_KEY


@pytest.mark.parametrize("text", ["", "HC1:6BF", "https://example.com/menu", "mb1:6BF", " MB2:6BF"])
def test_text_without_the_prefix_is_not_a_code(text: str, signed) -> None:  # noqa: ANN001
    _, trust, _ = signed
    assert codec.verify(text, trust, at=T).failure is Failure.NOT_A_CODE


@pytest.mark.parametrize("text", ["MB1:", "MB1:abc", "MB1:" + "A" * 40, "MB1:6BF", "MB1:中文"])
def test_text_with_the_prefix_that_does_not_decode_is_damaged(text: str, signed) -> None:  # noqa: ANN001
    _, trust, _ = signed
    assert codec.verify(text, trust, at=T).failure is Failure.MALFORMED


def test_a_real_code_with_one_character_changed_is_damaged(signed) -> None:  # noqa: ANN001
    """Damaged, unless the change falls in bits the format ignores (the padding after zlib's last
    block): then the code still says exactly what was signed, and is valid."""
    text, trust, _ = signed
    original = codec.verify(text, trust, at=T)
    for i in range(len(PREFIX), len(text)):
        for other in {"0", "Z", ":"} - {text[i]}:
            v = codec.verify(text[:i] + other + text[i + 1 :], trust, at=T)
            assert v.failure is Failure.MALFORMED or v == original, (i, other, v.failure)


def test_a_real_code_cut_off_anywhere_is_damaged(signed) -> None:  # noqa: ANN001
    text, trust, _ = signed
    for end in range(len(PREFIX), len(text)):
        assert codec.verify(text[:end], trust, at=T).failure is Failure.MALFORMED, end


@given(st.text(max_size=200))
def test_anything_behind_the_prefix_is_damaged_or_worse_never_not_a_code(rest: str) -> None:
    k, pub = keypair()
    v = codec.verify(PREFIX + rest, codec.TrustList.from_public_keys([pub]), at=T)
    assert not v.valid and v.failure is not Failure.NOT_A_CODE


def test_jwks_round_trip(signed) -> None:  # noqa: ANN001
    text, _, pub = signed
    jwks = {"keys": [codec.jwk_of(pub)]}
    assert jwks["keys"][0]["kty"] == "OKP" and jwks["keys"][0]["crv"] == "Ed25519"
    assert codec.verify(text, codec.TrustList.from_jwks(jwks), at=T).valid


def test_rendered_qr_decodes_with_zxing_and_verifies(signed) -> None:  # noqa: ANN001
    text, trust, _ = signed
    [decoded] = qr.decode(qr.png(text))
    assert decoded == text
    assert codec.verify(decoded, trust, at=T).valid
    code = qr.make(text)
    assert code.mode == "alphanumeric" and code.error == "Q"
    assert qr.svg(text).startswith("<svg")


@given(st.binary(max_size=80))
def test_base45_matches_rfc9285_reference(data: bytes) -> None:
    assert codec.b45encode(data) == base45.b45encode(data).decode()
    assert codec.b45decode(codec.b45encode(data)) == data


@given(st.text(alphabet=codec.B45 + "abz~é", max_size=40))
def test_base45_decode_accepts_and_rejects_what_the_reference_does(text: str) -> None:
    try:
        expected: bytes | None = base45.b45decode(text)
    except ValueError:
        expected = None
    try:
        got: bytes | None = codec.b45decode(text)
    except ValueError:
        got = None
    assert got == expected


def test_base45_decode_rejects_out_of_range_triples_anywhere() -> None:
    good = codec.b45encode(b"\xff\xff" * 5)  # ":V0" per pair: 65535, the largest valid triple
    assert codec.b45decode(good) == b"\xff\xff" * 5
    for i in range(0, len(good), 3):
        with pytest.raises(ValueError):
            codec.b45decode(good[:i] + "GGW" + good[i + 3 :])  # 65536
        with pytest.raises(ValueError):
            codec.b45decode(good[:i] + ":::" + good[i + 3 :])  # 91124, the largest three digits give
    with pytest.raises(ValueError):
        codec.b45decode(good + "::")  # 2,024 > 255 in the final pair


def test_base45_rfc_vectors() -> None:
    assert codec.b45encode(b"AB") == "BB8"
    assert codec.b45encode(b"Hello!!") == "%69 VD92EX0"
    assert codec.b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(ValueError):
        codec.b45decode("GGW")  # 65536+: out of range


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三明", "张*明"), ("张三", "张*"), ("欧阳小明", "欧**明"), ("", None), (None, None)],
)
def test_masked_name(name: str | None, masked: str | None) -> None:
    assert mask_name(name) == masked


def test_score_band() -> None:
    assert score_band(83) == "80-89" and score_band(100) == "100-109"


@given(st.binary(max_size=300), st.binary(max_size=70000))
def test_sig_structure_bytes_equal_cbor2_encoding(protected: bytes, payload: bytes) -> None:
    assert codec.sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])


_SIGNER = Ed25519PrivateKey.generate()
_OTHER = Ed25519PrivateKey.generate()


@given(
    message=st.binary(max_size=300),
    flip=st.integers(min_value=0, max_value=8 * 64 - 1),
    tamper=st.sampled_from(["none", "signature", "message", "key", "short"]),
)
def test_libsodium_check_agrees_with_cryptography(message: bytes, flip: int, tamper: str) -> None:
    signature = _SIGNER.sign(message)
    public = _SIGNER.public_key()
    if tamper == "signature":
        signature = bytearray(signature)
        signature[flip // 8] ^= 1 << (flip % 8)
        signature = bytes(signature)
    elif tamper == "message":
        message = message + b"\x00"
    elif tamper == "key":
        public = _OTHER.public_key()
    elif tamper == "short":
        signature = signature[:63]
    try:
        public.verify(signature, message)
        expected = True
    except Exception:  # noqa: BLE001 - InvalidSignature, or a malformed signature
        expected = False
    assert codec.ed25519_valid(public.public_bytes_raw(), signature, message) is expected
    assert expected is (tamper == "none")
