"""Green code API: the trust list and revocation list (public), verification (public: shows only the
tier and masked name), and the signed-in resident's own dynamic code."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, ValidationError

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.greencode import codec, qr, service
from moralbank.greencode.domain import Failure
from moralbank.web.app import language_of
from moralbank.web.deps import declares, get_uow, public, require_roles
from moralbank.web.i18n import translator
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/api/greencode", tags=["greencode"])


REASONS: dict[Failure, str] = {
    Failure.NOT_A_CODE: "这不是道德银行的绿码",
    Failure.MALFORMED: "码已损坏，无法读取",
    Failure.UNKNOWN_KEY: "签发密钥不在信任列表中，可能是伪造的码",
    Failure.REVOKED_KEY: "签发密钥已作废，它签发的码一律无效",
    Failure.BAD_SIGNATURE: "签名不符：码被篡改过，或不是本行签发的",
    Failure.NOT_YET_VALID: "尚未生效：签发时间在未来，请检查设备时钟",
    Failure.EXPIRED: "已过期：手机绿码请刷新后重新出示",
    Failure.REVOKED_CARD: "这张纸质绿卡已挂失作废",
}
"""Why a code is not valid, in the words the scanner page shows (English in ``locale/en/greencode.po``)."""


def reason_text(failure: Failure, lang: str) -> str:
    """Why a code is not valid, for a person at a counter, in ``lang``."""
    return translator(lang)(REASONS[failure])


class VerifyIn(BaseModel):
    text: str = Field(max_length=4000)


@router.get("/trust-list")
def trust_list(request: Request, _: None = Depends(public)) -> dict:
    """JWK Set (RFC 7517; OKP/Ed25519 per RFC 8037) of the keys verifiers should trust."""
    return service.trust_list(request.app.state.container.keys)


@router.get("/revocations", response_class=PlainTextResponse)
def revocations(_: None = Depends(public), uow: UnitOfWork = Depends(get_uow)) -> str:
    """The signed revocation list (compact JWS, EdDSA): revoked cards and keys."""
    return service.revocation_list(uow)


@router.post(
    "/verify",
    response_model=dict,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VerifyIn.model_json_schema()}},
        }
    },
)
@declares(public)
async def verify(request: Request) -> Response:
    """Check a code. The answer names only the tier and the masked name (and why a code fails: ``reason``
    in the CLI's words, ``reason_text`` in the request's language).

    ``async``: pure computation (the trust list is cached), so it runs on the event loop without a
    thread hop; it touches the database only to refresh the cache every few seconds. Declared, so
    served by a plain Starlette route (``declares``): the body is read here, and the ``text`` field
    still checked by ``VerifyIn`` (422 if wrong)."""
    try:
        body = VerifyIn.model_validate_json(await request.body())
    except ValidationError as e:
        problems = [{**p, "loc": ("body", *p["loc"])} for p in e.errors(include_url=False)]
        raise RequestValidationError(problems) from None  # as FastAPI reports a bad body
    container = request.app.state.container
    trust, names = service.cached_trust(container)
    v = codec.verify(body.text, trust, at=container.clock.now())
    c = v.claims if v.valid else None
    lang = language_of(request)
    # A JSONResponse of plain values: FastAPI's encoding of a returned dict costs more than the codec.
    return JSONResponse(
        {
            "valid": v.valid,
            "reason": v.reason,
            "reason_text": reason_text(v.failure, lang) if v.failure else None,
            "tier": c.tier if c else None,
            "tier_name": names.get(("en:" if lang == "en" else "") + c.tier, c.tier) if c else None,
            "masked_name": c.masked_name if c else None,
            "expires_at": datetime.fromtimestamp(c.expires_at, UTC).isoformat() if c else None,
        }
    )


@router.get("/me")
def my_code(
    principal: Principal = Depends(require_roles(Role.RESIDENT)), uow: UnitOfWork = Depends(get_uow)
) -> dict:
    """A fresh dynamic code for the signed-in resident."""
    issued = service.issue(uow, resident_id=principal.resident_id or "", principal=principal)
    return {
        "text": issued.text,
        "tier": issued.claims.tier,
        "expires_at": issued.expires_at.isoformat(),
        "kid": issued.kid,
    }


@router.get("/me.png")
def my_code_png(
    principal: Principal = Depends(require_roles(Role.RESIDENT)), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    issued = service.issue(uow, resident_id=principal.resident_id or "", principal=principal)
    return Response(
        qr.png(issued.text, scale=6), media_type="image/png", headers={"Cache-Control": "no-store"}
    )
