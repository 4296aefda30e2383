from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature

from moralbank.kernel.keys import KeyError_, KeyRing


def test_keys_are_generated_once_and_survive_a_restart(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path / "keys")
    blob = ring.encrypt("330281199001011234")
    digest = ring.keyed_hash("330281199001011234")
    again = KeyRing(tmp_path / "keys")
    assert again.decrypt(blob) == "330281199001011234"
    assert again.keyed_hash("330281199001011234") == digest
    assert b"330281199001011234" not in blob
    assert (tmp_path / "keys" / "secret-lookup.key").stat().st_mode & 0o077 == 0


def test_rotated_data_key_still_decrypts_old_values(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path)
    old = ring.encrypt("a")
    new_kid = ring.rotate_data_key()
    new = ring.encrypt("b")
    assert ring.data_key_id(new) == new_kid != ring.data_key_id(old)
    assert (ring.decrypt(old), ring.decrypt(new)) == ("a", "b")


def test_signing_key_rotation_and_revocation(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path)
    first = ring.active_signing_key("ledger")
    sig = first.private.sign(b"m")
    second = ring.rotate_signing_key("ledger")
    assert ring.active_signing_key("ledger").kid == second.kid
    statuses = {k.kid: k.status for k in KeyRing(tmp_path).signing_keys("ledger")}
    assert statuses == {first.kid: "retired", second.kid: "active"}
    first.public.verify(sig, b"m")
    with pytest.raises(InvalidSignature):
        second.public.verify(sig, b"m")
    ring.revoke_signing_key("ledger", second.kid)
    with pytest.raises(KeyError_):
        KeyRing(tmp_path).active_signing_key("ledger")
