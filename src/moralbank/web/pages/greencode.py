"""Green code pages: the resident's dynamic phone code (refreshed automatically so a screenshot soon
stops working), the printable card, and the scanner page a provider opens on a phone or PC."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.greencode import qr, service
from moralbank.kernel.clock import CHINA
from moralbank.web.api.greencode import reason_text
from moralbank.web.app import language_of, render
from moralbank.web.deps import get_uow, public, require_roles

router = APIRouter(include_in_schema=False)

RESIDENT = require_roles(Role.RESIDENT)


def _local(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _code_context(request: Request, uow: UnitOfWork, principal: Principal) -> dict:
    issued = service.issue(uow, resident_id=principal.resident_id or "", principal=principal)
    from moralbank.scoring import service as scoring

    tier = scoring.model(uow).tier(issued.claims.tier)
    return {
        "issued": issued,
        "svg": qr.svg(issued.text),
        "expires": _local(issued.claims.expires_at),
        "tier": tier,
        "refresh": request.app.state.container.settings.greencode_refresh_seconds,
    }


@router.get("/me/greencode")
def my_code(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    return render(request, "greencode/me.html", _code_context(request, uow, principal))


@router.get("/me/greencode/code")
def my_code_fragment(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """The code block alone: the page swaps it in every ``greencode_refresh_seconds``."""
    response = render(request, "greencode/_code.html", _code_context(request, uow, principal))
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/me/greencode/card")
def my_card(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """Issue a printable card (long validity, revocable) and show it for printing."""
    issued = service.issue(uow, resident_id=principal.resident_id or "", principal=principal, card=True)
    uow.commit()
    from moralbank.scoring import service as scoring

    return render(
        request,
        "greencode/card.html",
        {
            "issued": issued,
            "svg": qr.svg(issued.text),
            "expires": _local(issued.claims.expires_at),
            "tier": scoring.model(uow).tier(issued.claims.tier),
        },
    )


@router.get("/verify")
def scanner(request: Request, _: None = Depends(public)) -> Response:
    return render(request, "greencode/verify.html", {})


@router.post("/verify")
def verify_upload(
    request: Request, text: str = Form(""), image: UploadFile | None = File(None), _: None = Depends(public)
) -> Response:
    """No-JavaScript path: paste the text or upload a photo of the code; the server decodes and checks."""
    problem = None
    if image is not None and image.filename:
        data = image.file.read()
        try:
            found = qr.decode(data)
        except Exception:  # noqa: BLE001 - not an image we can read
            found = []
        text = found[0] if found else ""
        if not found:
            problem = "图片中未找到二维码"
    verdict = tier = None
    if text:
        from moralbank.scoring import service as scoring

        with request.app.state.container.uow(write=False) as uow:
            verdict = service.verify(uow, text=text)
            tier = scoring.model(uow).tier(verdict.claims.tier) if verdict.valid and verdict.claims else None
    reason = reason_text(verdict.failure, language_of(request)) if verdict and verdict.failure else None
    return render(
        request,
        "greencode/verify.html",
        {
            "verdict": verdict,
            "tier": tier,
            "reason": reason,
            "problem": problem,
            "expires": _local(verdict.claims.expires_at) if verdict and verdict.claims else None,
        },
    )
