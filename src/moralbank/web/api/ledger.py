"""Ledger API: checkpoints, consistency proofs and published keys for anyone; inclusion proofs and
receipts for signed-in users (a resident only for their own entries). The JSON is the published
contract of docs/ledger.md."""

from __future__ import annotations

import json

from fastapi import Body, Depends, Query
from fastapi.responses import Response

from moralbank.auth.domain import STAFF, Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import NotFound
from moralbank.ledger import service, verify
from moralbank.web.deps import get_uow, public, require_roles
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/ledger", tags=["ledger"])

SIGNED_IN = require_roles(*STAFF, Role.RESIDENT)  # partners get no proofs by seq


def _may_see(principal: Principal, entry_resident: str) -> None:
    """Residents see their own entries (others look missing); staff see all."""
    if principal.role == Role.RESIDENT and principal.resident_id != entry_resident:
        raise NotFound("no such ledger entry")


@router.get("/checkpoint", dependencies=[Depends(public)])
def checkpoint(
    size: int | None = Query(None, description="Tree size (default: the latest)."),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """The latest signed checkpoint (or the one of ``size``): tree_size, root, checkpoint, verifier_key."""
    return service.latest_checkpoint(uow, tree_size=size).to_json()


@router.get("/consistency", dependencies=[Depends(public)])
def consistency(
    old: int = Query(..., description="Older tree size (> 0)."),
    new: int = Query(..., description="Newer tree size."),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """Consistency proof between two tree sizes: old_size, new_size, old_root, new_root, proof."""
    return service.consistency_proof(uow, old_size=old, new_size=new).to_json()


@router.get("/keys", dependencies=[Depends(public)])
def keys(uow: UnitOfWork = Depends(get_uow)) -> dict:
    """The checkpoint verifier keys (signed-note form) to trust, and every key's status."""
    return {
        "trusted": [str(k) for k in service.trusted_keys(uow)],
        "keys": [k.__dict__ for k in service.keys(uow)],
    }


@router.get("/proof/{seq}")
def proof(
    seq: int,
    size: int | None = Query(None, description="Checkpoint tree size (default: latest)."),
    principal: Principal = Depends(SIGNED_IN),
    uow: UnitOfWork = Depends(get_uow),
) -> dict:
    """Inclusion proof of entry ``seq``: leaf_index, tree_size, leaf, proof, checkpoint, verifier_key."""
    _may_see(principal, service.get(uow, seq=seq).resident_id)
    return service.inclusion_proof(uow, seq=seq, tree_size=size).to_json()


@router.get("/receipts/{seq}")
def receipt(
    seq: int, principal: Principal = Depends(require_roles(Role.RESIDENT)), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """Download the receipt of one of the signed-in resident's own entries (a JSON file)."""
    _may_see(principal, service.get(uow, seq=seq).resident_id)
    data = service.receipt(uow, seq=seq, resident_id=principal.resident_id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n",
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="moralbank-receipt-{seq}.json"'},
    )


@router.post("/verify-receipt", dependencies=[Depends(public)])
def verify_receipt(
    receipt: dict = Body(..., description="A receipt as downloaded."), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    """Check a receipt against this ledger's published keys: {ok, seq, tree_size} or {ok: false, error}."""
    try:
        v = verify.check_receipt(receipt, trusted_keys=[str(k) for k in service.trusted_keys(uow)])
    except verify.VerificationError as e:
        return {"ok": False, "error": str(e)}
    return {"ok": True, "seq": v.entry.seq, "tree_size": v.checkpoint.tree_size, "signed_by": v.signed_by}
