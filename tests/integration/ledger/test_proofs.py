"""Inclusion proofs for every entry against every checkpoint, consistency between every pair of
checkpoints, and receipts, all checked by the pure verifier."""

from __future__ import annotations

import json

import pytest

from moralbank.errors import InvalidInput, NotFound, PermissionDenied
from moralbank.ledger import service, verify
from tests.integration.ledger.conftest import RESIDENTS

SIZES = (1, 6, 16, 37)


def test_every_entry_proves_against_every_checkpoint(ledger) -> None:
    with ledger.uow(write=False) as uow:
        keys = [k.verifier_key for k in service.keys(uow)]
        for size in SIZES:
            for seq in range(1, size + 1):
                data = service.inclusion_proof(uow, seq=seq, tree_size=size).to_json()
                assert set(data) == {"leaf_index", "tree_size", "leaf", "proof", "checkpoint", "verifier_key"}
                checked = verify.check_proof(json.loads(json.dumps(data)), trusted_keys=keys)
                assert checked.entry.seq == seq and checked.checkpoint.tree_size == size


def test_a_proof_against_the_wrong_root_or_leaf_fails(ledger) -> None:
    with ledger.uow(write=False) as uow:
        data = service.inclusion_proof(uow, seq=3).to_json()
        other = service.inclusion_proof(uow, seq=4).to_json()
    with pytest.raises(verify.VerificationError):
        verify.check_proof({**data, "leaf": other["leaf"]})
    with pytest.raises(verify.VerificationError):
        verify.check_proof({**data, "proof": other["proof"]})
    with pytest.raises(verify.VerificationError):
        verify.check_proof({**data, "checkpoint": data["checkpoint"].replace("\n37\n", "\n36\n")})


def test_consistency_between_every_pair_of_checkpoints(ledger) -> None:
    with ledger.uow(write=False) as uow:
        notes_ = {s: service.latest_checkpoint(uow, tree_size=s).note for s in SIZES}
        keys = [k.verifier_key for k in service.keys(uow)]
        for old in SIZES:
            for new in SIZES:
                if old <= new:
                    data = service.consistency_proof(uow, old_size=old, new_size=new).to_json()
                    verify.check_consistency(data, notes_[old], notes_[new], keys)
        with pytest.raises(InvalidInput):
            service.consistency_proof(uow, old_size=0, new_size=6)
        with pytest.raises(InvalidInput):
            service.consistency_proof(uow, old_size=6, new_size=99)


def test_a_checkpoint_on_demand_and_after_key_rotation(ledger) -> None:
    with ledger.uow() as uow:
        before = service.latest_checkpoint(uow)
        ledger.keys.rotate_signing_key("ledger")
        after = service.make_checkpoint(uow)
        uow.commit()
    assert after.tree_size == before.tree_size == 37 and after.root == before.root
    assert after.verifier_key != before.verifier_key
    with ledger.uow(write=False) as uow:
        keys = service.keys(uow)
        assert [k.status for k in keys] == ["retired", "active"]
        old = service.inclusion_proof(uow, seq=2, tree_size=16).to_json()
    assert old["verifier_key"] == before.verifier_key  # the key that signed that checkpoint
    verify.check_proof(old, trusted_keys=[k.verifier_key for k in keys])


def test_a_residents_receipt_checks_and_a_forged_one_does_not(ledger) -> None:
    with ledger.uow(write=False) as uow:
        mine = [e for e in service.entries_of(uow, resident_id=RESIDENTS[1])]
        receipt = service.receipt(uow, seq=mine[0].seq, resident_id=RESIDENTS[1])
        with pytest.raises(PermissionDenied):
            service.receipt(uow, seq=1, resident_id=RESIDENTS[1])
        with pytest.raises(NotFound):
            service.receipt(uow, seq=999)
    assert verify.check_receipt(receipt).entry == mine[0]
    forged = json.loads(json.dumps(receipt))
    forged["entry"]["points"] = 100
    with pytest.raises(verify.VerificationError, match="differs"):
        verify.check_receipt(forged)
