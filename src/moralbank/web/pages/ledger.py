"""Ledger pages: a resident's own entries with a receipt to download for each (/me/ledger), and a
public page that checks a receipt (/ledger/verify)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.ledger import service, verify
from moralbank.web.app import language_of, render
from moralbank.web.deps import get_uow, public, require_roles
from moralbank.web.i18n import error_text, translator

router = APIRouter(include_in_schema=False)

SOURCE_LABELS = {
    "evaluation": "评议",
    "department": "部门数据",
    "correction": "更正",
    "objection": "异议",
    "repair": "信用修复",
    "courtesy": "礼遇",
    "credit": "信贷",
    "adjustment": "调整",
}


@router.get("/me/ledger")
def my_ledger(
    request: Request,
    principal: Principal = Depends(require_roles(Role.RESIDENT)),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    entries = service.entries_of(uow, resident_id=principal.resident_id or "")
    size = service.tree_size(uow)
    return render(
        request, "ledger/me.html", {"entries": entries[::-1], "tree_size": size, "sources": SOURCE_LABELS}
    )


@router.get("/ledger/verify", dependencies=[Depends(public)])
def verify_page(request: Request) -> Response:
    return render(request, "ledger/verify.html", {})


@router.post("/ledger/verify", dependencies=[Depends(public)])
async def verify_upload(
    request: Request, file: UploadFile = File(...), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    result, error = None, None
    _ = translator(language_of(request))
    try:
        data = json.loads((await file.read(1_000_000)).decode("utf-8"))
    except ValueError:  # not UTF-8 or not JSON (UnicodeDecodeError is a ValueError): say what it is
        data, error = None, _("这不是凭证文件：请上传从“我的积分账本”下载的 .json 文件")
    if data is not None:
        try:
            result = verify.check_receipt(data, trusted_keys=[str(k) for k in service.trusted_keys(uow)])
        except verify.VerificationError as e:
            error = error_text(str(e), language_of(request))
    return render(
        request, "ledger/verify.html", {"result": result, "error": error}, status_code=200 if result else 422
    )
