"""Ledger pages: a resident's own entries with a receipt to download for each (/me/ledger), and a
public page that checks a receipt (/ledger/verify)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import NotFound
from moralbank.ledger import service, verify
from moralbank.ledger.domain import Entry
from moralbank.policy import service as policy_service
from moralbank.policy.domain import Policy
from moralbank.web.api.ledger import receipt as receipt_file
from moralbank.web.app import N_, language_of, render
from moralbank.web.deps import get_uow, public, require_roles
from moralbank.web.i18n import error_text, translator

router = APIRouter(include_in_schema=False)

RESIDENT = require_roles(Role.RESIDENT)

SOURCE_LABELS = {  # what the entry list says of each source; a label of its own, so it reads as one
    "evaluation": N_("来源：评议"),
    "department": N_("来源：部门数据"),
    "correction": N_("来源：更正"),
    "objection": N_("来源：异议"),
    "repair": N_("来源：信用修复"),
    "courtesy": N_("来源：礼遇"),
    "credit": N_("来源：信贷"),
    "adjustment": N_("来源：调整"),
}
SEVERITY_LABELS = {"minor": N_("轻微"), "general": N_("一般"), "serious": N_("严重")}


def indicator_names(uow: UnitOfWork, entries: Iterable[Entry], lang: str) -> dict[int, str]:
    """seq → the name of the entry's indicator in ``lang``: from the policy version the entry names,
    else the active policy; the code itself when neither knows it."""
    policies: dict[str | None, Policy] = {}

    def policy(version: str | None) -> Policy:
        """The policy of ``version``; the active one for None, "2026.1" or a version never applied."""
        if version not in policies:
            try:
                policies[version] = policy_service.get(uow, version=int(version or ""))
            except (ValueError, OverflowError, NotFound):
                policies[version] = policy_service.active(uow)
        return policies[version]

    names = {}
    for e in entries:
        known = policy(e.policy_version).indicators
        found = known.get(e.indicator) or policy(None).indicators.get(e.indicator)
        names[e.seq] = (found.name(lang) or found.name_zh) if found else e.indicator
    return names


@router.get("/me/ledger")
def my_ledger(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    entries = service.entries_of(uow, resident_id=principal.resident_id or "")
    reversed_by: dict[int, list[int]] = {}
    for e in entries:
        if e.reverses_seq is not None:
            reversed_by.setdefault(e.reverses_seq, []).append(e.seq)
    return render(
        request,
        "ledger/me.html",
        {
            "entries": entries[::-1],
            "tree_size": service.tree_size(uow),
            "names": indicator_names(uow, entries, language_of(request)),
            "reversed_by": reversed_by,
            "sources": SOURCE_LABELS,
            "severities": SEVERITY_LABELS,
        },
    )


@router.get("/me/ledger/receipts/{seq}")
def my_receipt(
    seq: int, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """The receipt file, as GET /api/ledger/receipts/{seq} gives it, from a page address: a resident
    whose session has ended is sent to sign in (the API answers 401, which a download link would
    swallow without a word)."""
    return receipt_file(seq, principal, uow)


def _trusted(uow: UnitOfWork) -> list[str]:
    return [str(k) for k in service.trusted_keys(uow)]


@router.get("/ledger/verify", dependencies=[Depends(public)])
def verify_page(request: Request, uow: UnitOfWork = Depends(get_uow)) -> Response:
    return render(request, "ledger/verify.html", {"keys": _trusted(uow), "short": verify.key_name_and_hash})


@router.post("/ledger/verify", dependencies=[Depends(public)])
async def verify_upload(
    request: Request, file: UploadFile = File(...), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    result, error = None, None
    _ = translator(language_of(request))
    keys = _trusted(uow)
    try:
        data = json.loads((await file.read(1_000_000)).decode("utf-8"))
    except ValueError:  # not UTF-8 or not JSON (UnicodeDecodeError is a ValueError): say what it is
        data, error = None, _("这不是凭证文件：请上传从“我的积分账本”下载的 .json 文件")
    if data is not None:
        try:
            result = verify.check_receipt(data, trusted_keys=keys)
        except verify.VerificationError as e:
            error = error_text(str(e), language_of(request))
    return render(
        request,
        "ledger/verify.html",
        {"result": result, "error": error, "keys": keys, "short": verify.key_name_and_hash},
        status_code=200 if result else 422,
    )
