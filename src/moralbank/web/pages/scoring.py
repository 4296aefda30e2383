"""The moral portrait: the resident's own (/me/portrait) and staff's view within their subtree
(/residents/{id}/portrait, access-logged). Charts are inline SVG drawn on the server."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import MoralbankError
from moralbank.scoring import service
from moralbank.scoring.domain import Status
from moralbank.web import svgcharts
from moralbank.web.app import language_of, render
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.i18n import translator

router = APIRouter(include_in_schema=False)

RESIDENT = require_roles(Role.RESIDENT)
STAFF = require_roles(
    Role.GRID_WORKER,
    Role.VILLAGE_OFFICER,
    Role.TOWNSHIP_OFFICER,
    Role.CITY_ADMIN,
    Role.AUDITOR,
    resident="resident_id",
    purpose="moral portrait",
)

STATUS_LABELS = {
    Status.COUNTED: "计入",
    Status.FUTURE: "尚未生效",
    Status.OUT_OF_WINDOW: "已超出计分期",
    Status.EXPIRED: "展示期已满",
    Status.REVERSED: "已冲回（更正、异议成立或信用修复）",
    Status.REVERSAL: "冲回记录",
    Status.ZERO: "不计分",
    Status.OTHER_ASPECT: "不属于四个方面",
}
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


def portrait_context(request: Request, p: service.Portrait, *, own: bool) -> dict:
    lang = language_of(request)
    _ = translator(lang)
    m = p.model
    en = lang == "en"
    score = p.score
    tier = m.tier(score.tier)
    names = [a.name_en if en else a.name_zh for a in m.aspects]
    maxima = [a.max_points or max(1, max(score.aspects)) for a in m.aspects]
    radar = svgcharts.radar(
        names, list(score.aspects), maxima, color=tier.color if tier else "#1b7f3b", title=_("四个方面")
    )
    points = list(p.history)
    if not points or points[-1] != (score.as_of, score.total):
        points.append((score.as_of, score.total))
    thresholds = [
        (t.min_score, t.name_en if en else t.name_zh) for t in m.ranked_tiers() if t.min_score > m.min
    ]
    line = svgcharts.line(points, low=m.min, high=m.max, thresholds=thresholds, title=_("积分变化"))
    next_tier = m.next_tier(score.total)
    return {
        "p": p,
        "m": m,
        "score": score,
        "tier": tier,
        "radar": radar,
        "line": line,
        "own": own,
        "next_tier": next_tier,
        "status_labels": STATUS_LABELS,
        "source_labels": SOURCE_LABELS,
        "aspect_names": dict(zip(m.aspect_codes, names, strict=True)),
        "tier_name": (tier.name_en if en else tier.name_zh) if tier else score.tier,
        "record": p.record,
        "msg": request.query_params.get("msg"),
        "err": request.query_params.get("err"),
    }


@router.get("/me/portrait")
def my_portrait(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    p = service.portrait(
        uow, resident_id=principal.resident_id or "", principal=principal, lang=language_of(request)
    )
    return render(request, "scoring/portrait.html", portrait_context(request, p, own=True))


@router.get("/residents/{resident_id}/portrait")
def staff_portrait(
    request: Request,
    resident_id: str,
    principal: Principal = Depends(STAFF),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    p = service.portrait(uow, resident_id=resident_id, principal=principal, lang=language_of(request))
    uow.commit()  # the access log entry
    return render(request, "scoring/portrait.html", portrait_context(request, p, own=False))


@router.post("/me/portrait/entries/{seq}/object")
def object_to_entry(
    request: Request,
    seq: int,
    statement: str = Form(""),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    """Object to a ledger entry shown on the portrait (the evaluation capability's objection path)."""
    from urllib.parse import quote

    from moralbank.evaluation import service as evaluation

    _ = translator(language_of(request))
    try:
        evaluation.object_to(uow, principal=principal, statement=statement, ledger_seq=seq)
        uow.commit()
    except MoralbankError as e:
        return RedirectResponse(f"/me/portrait?err={quote(str(e))}#entries", status_code=303)
    return RedirectResponse(
        f"/me/portrait?msg={quote(_('异议已受理，记录已标注为“有异议”'))}#entries", status_code=303
    )
