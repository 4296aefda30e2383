"""Evaluation pages. Residents: submit a deed, follow it, object, refuse an automated decision, apply
for repair, read the inbox. Grid workers: pending confirmations, assisted entry. Village officers:
review queue with bulk actions, deductions, objections due, ring flags. Township/city: overdue, audit
and reopen."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import MoralbankError
from moralbank.evaluation import service as ev
from moralbank.kernel.clock import CHINA, local_date
from moralbank.notify import service as notify
from moralbank.web.api.evaluation import uploads_of
from moralbank.web.app import language_of, render
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.i18n import translator
from moralbank.web.routing import PrefixRouter

router = PrefixRouter(prefix="/evaluation", include_in_schema=False)

R = Role
RESIDENT = require_roles(R.RESIDENT)
SUBMITTERS = require_roles(R.RESIDENT, R.GRID_WORKER)
GRID = require_roles(R.GRID_WORKER)
OFFICERS = require_roles(R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN)
OVERSIGHT = require_roles(R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN, R.AUDITOR)
ANY_READER = require_roles(
    R.RESIDENT, R.GRID_WORKER, R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN, R.AUDITOR
)
AUDIT_WRITE = require_roles(R.TOWNSHIP_OFFICER, R.CITY_ADMIN)
DEDUCTORS = require_roles(R.GRID_WORKER, R.VILLAGE_OFFICER, R.TOWNSHIP_OFFICER, R.CITY_ADMIN)

STATE_LABELS = {
    "grid_review": "网格互评中",
    "village_review": "村（社区）评议中",
    "confirm_review": "待第二人确认",
    "notice": "告知期（可提出异议）",
    "disputed": "有异议，待决定",
    "approved": "已通过",
    "posted": "已入账",
    "rejected": "未通过",
    "withdrawn": "已撤回",
    "reversed": "已冲回",
}
ACTION_LABELS = {
    "submitted": "本人提交",
    "assisted_entry": "网格员代录",
    "confirmed": "确认属实",
    "disputed": "提出异议（互评）",
    "approved": "评议通过",
    "rejected": "驳回",
    "posted": "积分入账",
    "withdrawn": "撤回",
    "reopened": "上级复核重新打开",
    "record_proposed": "部门数据评价",
    "record_withdrawn": "部门更正记录",
    "deduction_proposed": "提出扣分",
    "deduction_checked": "第一人审核",
    "deduction_confirmed": "第二人确认",
    "objection_opened": "提出异议",
    "human_review_opened": "申请人工复核",
    "objection_marked": "标注“有异议”",
    "marked_disputed": "标注“有异议”",
    "objection_upheld": "异议成立",
    "objection_rejected": "异议不成立",
    "repair_applied": "申请信用修复",
    "repair_upheld": "修复完成",
    "repair_rejected": "修复未通过",
    "refused": "拒绝自动化决定",
}
ORIGIN_LABELS = {"self": "本人自评", "assisted": "网格员代录", "record": "部门数据", "officer": "工作人员"}
OBJECTION_LABELS = {
    "objection": "异议",
    "human_review": "人工复核",
    "refusal": "拒绝自动化决定",
    "repair": "信用修复",
    "open": "处理中",
    "upheld": "成立",
    "rejected": "不成立",
}


def _ctx(request: Request, uow: UnitOfWork, **values: object) -> dict:
    return {
        "states": STATE_LABELS,
        "origins": ORIGIN_LABELS,
        "olabels": OBJECTION_LABELS,
        "actions": ACTION_LABELS,
        "rules": ev.rules(uow),
        "today": local_date(uow.clock.now()),
        "local": lambda at: at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if at else "",
        "msg": request.query_params.get("msg"),
        "err": request.query_params.get("err"),
        **values,
    }


def _show(request: Request, uow: UnitOfWork, template: str, **values: object) -> Response:
    """Render a page and commit what reading it wrote (the access log; the policy on first use)."""
    context = _ctx(request, uow, **values)
    uow.commit()
    return render(request, template, context)


def _back(to: str, *, msg: str | None = None, err: str | None = None) -> RedirectResponse:
    sep = "&" if "?" in to else "?"
    if msg:
        to += f"{sep}msg={quote(msg)}"
    elif err:
        to += f"{sep}err={quote(err)}"
    return RedirectResponse(to, status_code=303)


def _run(request: Request, uow: UnitOfWork, to: str, done: str, fn, **kw) -> RedirectResponse:  # noqa: ANN001
    """Do one use case from a form: commit and go back with a message, or go back with the error."""
    _ = translator(language_of(request))
    try:
        fn(uow, **kw)
    except MoralbankError as e:
        return _back(to, err=str(e))
    uow.commit()
    return _back(to, msg=_(done))


# -- residents -------------------------------------------------------------------------------------------


@router.get("")
def start(principal: Principal = Depends(ANY_READER)) -> Response:
    target = {
        R.RESIDENT: "/evaluation/me",
        R.GRID_WORKER: "/evaluation/confirm",
        R.VILLAGE_OFFICER: "/evaluation/review",
    }.get(principal.role, "/evaluation/overdue")
    return RedirectResponse(target, status_code=303)


@router.get("/me")
def my_page(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    rid = principal.resident_id or ""
    return _show(
        request,
        uow,
        "evaluation/me.html",
        items=ev.items_of(uow, principal=principal, resident_id=rid),
        objections=ev.objections_of(uow, principal=principal, resident_id=rid),
        unread=notify.unread_count(uow, resident_id=rid),
    )


def _submit_form(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    error: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    indicators = [r for r in ev.rules(uow).indicators.values() if r.self_submit and not r.negative]
    return render(
        request,
        "evaluation/submit.html",
        _ctx(
            request,
            uow,
            indicators=indicators,
            error=error,
            form=form or {},
            assisted=principal.role == R.GRID_WORKER,
        ),
        status_code=status_code,
    )


@router.get("/submit")
def submit_form(
    request: Request, principal: Principal = Depends(SUBMITTERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    return _submit_form(request, uow, principal)


@router.post("/submit")
def submit(
    request: Request,
    indicator: str = Form(""),
    deed_date: str = Form(""),
    description: str = Form(""),
    witnesses: str = Form(""),
    resident_id: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(SUBMITTERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    form = {
        "indicator": indicator,
        "deed_date": deed_date,
        "description": description,
        "witnesses": witnesses,
        "resident_id": resident_id,
    }
    try:
        day = date.fromisoformat(deed_date)
    except ValueError:
        _ = translator(language_of(request))
        return _submit_form(request, uow, principal, _("请填写日期"), form, 422)
    try:
        row = ev.submit(
            uow,
            principal=principal,
            indicator=indicator,
            deed_date=day,
            description=description,
            resident_id=resident_id.strip() or None,
            uploads=uploads_of(files),
            witnesses=[w for w in witnesses.splitlines() if w.strip()],
        )
    except MoralbankError as e:
        uow.db.rollback()
        return _submit_form(request, uow, principal, str(e), form, 422)
    uow.commit()
    _ = translator(language_of(request))
    return _back(f"/evaluation/items/{row.id}", msg=_("已提交，等待评议"))


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: int,
    principal: Principal = Depends(ANY_READER),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    trail = ev.trail(uow, principal=principal, item_id=item_id)
    open_objection = next((o for o in trail.objections if o.state == "open"), None)
    return _show(
        request, uow, "evaluation/item.html", t=trail, item=trail.item, open_objection=open_objection
    )


@router.post("/items/{item_id}/object")
def object_page(
    request: Request,
    item_id: int,
    statement: str = Form(""),
    kind: str = Form("objection"),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        f"/evaluation/items/{item_id}",
        "异议已受理，记录已标注为“有异议”",
        ev.object_to,
        principal=principal,
        item_id=item_id,
        statement=statement,
        kind=kind,
    )


@router.post("/items/{item_id}/refuse")
def refuse_page(
    request: Request,
    item_id: int,
    statement: str = Form(""),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        f"/evaluation/items/{item_id}",
        "已拒绝该自动化决定",
        ev.refuse_automated,
        principal=principal,
        item_id=item_id,
        statement=statement,
    )


@router.post("/items/{item_id}/withdraw")
def withdraw_page(
    request: Request,
    item_id: int,
    reason: str = Form(""),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        f"/evaluation/items/{item_id}",
        "已撤回",
        ev.withdraw,
        principal=principal,
        item_id=item_id,
        reason=reason,
    )


@router.post("/items/{item_id}/repair")
def repair_page(
    request: Request,
    item_id: int,
    commitment: str = Form(""),
    principal: Principal = Depends(RESIDENT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    row = ev.get(uow, principal=principal, item_id=item_id)
    return _run(
        request,
        uow,
        f"/evaluation/items/{item_id}",
        "信用修复申请已受理",
        ev.apply_repair,
        principal=principal,
        ledger_seq=row.posted_seq or 0,
        commitment=commitment,
    )


@router.get("/inbox")
def inbox_page(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    rid = principal.resident_id or ""
    messages = notify.inbox(uow, resident_id=rid)
    response = render(request, "evaluation/inbox.html", _ctx(request, uow, messages=messages))
    notify.mark_read(uow, resident_id=rid)  # shown, so read
    uow.commit()
    return response


# -- grid ------------------------------------------------------------------------------------------------


@router.get("/confirm")
def confirm_page(
    request: Request, principal: Principal = Depends(SUBMITTERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    items = ev.pending_confirmations(uow, principal=principal)
    files = {i.id: ev.evidence_of(uow, principal=principal, item_id=i.id) for i in items}
    return _show(request, uow, "evaluation/confirm.html", items=items, files=files)


@router.post("/items/{item_id}/vote")
def vote_page(
    request: Request,
    item_id: int,
    confirm: str = Form(""),
    reason: str = Form(""),
    principal: Principal = Depends(SUBMITTERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        "/evaluation/confirm",
        "已记录您的意见",
        ev.vote,
        principal=principal,
        item_id=item_id,
        confirm=confirm == "yes",
        reason=reason,
    )


# -- officers --------------------------------------------------------------------------------------------


@router.get("/review")
def review_page(
    request: Request, principal: Principal = Depends(OFFICERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    return _show(  # the queue also posts deductions whose window has passed
        request,
        uow,
        "evaluation/review.html",
        items=ev.review_queue(uow, principal=principal),
        objections=ev.objections_due(uow, principal=principal),
        rings=ev.ring_flags(uow, principal=principal),
    )


@router.post("/review/bulk")
def bulk_page(
    request: Request,
    item_ids: list[int] = Form(default=[]),
    decision: str = Form(""),
    reason: str = Form(""),
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    _ = translator(language_of(request))
    try:
        result = ev.bulk_review(uow, principal=principal, item_ids=item_ids, decision=decision, reason=reason)
    except MoralbankError as e:
        return _back("/evaluation/review", err=str(e))
    uow.commit()
    text = _("已处理 {done} 件", done=len(result.done))
    if result.failed:
        text += (
            "；"
            + _("未能处理 {n} 件", n=len(result.failed))
            + "："
            + "；".join(f"#{k} {v}" for k, v in result.failed.items())
        )
    return _back("/evaluation/review", msg=text)


@router.post("/items/{item_id}/approve")
def approve_page(
    request: Request,
    item_id: int,
    points: str = Form(""),
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        "/evaluation/review",
        "已通过",
        ev.approve,
        principal=principal,
        item_id=item_id,
        points=int(points) if points.strip().lstrip("-").isdigit() else None,
    )


@router.post("/items/{item_id}/reject")
def reject_page(
    request: Request,
    item_id: int,
    reason: str = Form(""),
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        "/evaluation/review",
        "已驳回",
        ev.reject,
        principal=principal,
        item_id=item_id,
        reason=reason,
    )


@router.post("/items/{item_id}/reopen")
def reopen_page(
    request: Request,
    item_id: int,
    reason: str = Form(""),
    principal: Principal = Depends(AUDIT_WRITE),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        f"/evaluation/items/{item_id}",
        "已重新打开",
        ev.reopen,
        principal=principal,
        item_id=item_id,
        reason=reason,
    )


@router.post("/objections/{objection_id}/decide")
def decide_page(
    request: Request,
    objection_id: int,
    upheld: str = Form(""),
    reason: str = Form(""),
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        "/evaluation/review",
        "已作出决定",
        ev.decide_objection,
        principal=principal,
        objection_id=objection_id,
        upheld=upheld == "yes",
        reason=reason,
    )


@router.post("/rings/{flag_id}")
def ring_page(
    request: Request,
    flag_id: int,
    status: str = Form(""),
    note: str = Form(""),
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _run(
        request,
        uow,
        "/evaluation/review",
        "已处理",
        ev.review_ring,
        principal=principal,
        flag_id=flag_id,
        status=status,
        note=note,
    )


@router.get("/deduction")
def deduction_form(
    request: Request, principal: Principal = Depends(DEDUCTORS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    indicators = [r for r in ev.rules(uow).indicators.values() if r.negative]
    return render(request, "evaluation/deduction.html", _ctx(request, uow, indicators=indicators))


@router.post("/deduction")
def deduction_submit(
    request: Request,
    resident_id: str = Form(""),
    indicator: str = Form(""),
    points: str = Form("0"),
    deed_date: str = Form(""),
    description: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(DEDUCTORS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    try:
        row = ev.propose_deduction(
            uow,
            principal=principal,
            resident_id=resident_id.strip(),
            indicator=indicator,
            points=abs(int(points or 0)),
            deed_date=date.fromisoformat(deed_date),
            description=description,
            uploads=uploads_of(files),
        )
    except (MoralbankError, ValueError) as e:
        return _back("/evaluation/deduction", err=str(e))
    uow.commit()
    _ = translator(language_of(request))
    return _back(f"/evaluation/items/{row.id}", msg=_("已提出，等待第二名工作人员确认"))


@router.get("/overdue")
def overdue_page(
    request: Request,
    state: str = "rejected",
    principal: Principal = Depends(OVERSIGHT),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    """The overdue list for the level above, and an audit list of items in one state."""
    state = state if state in STATE_LABELS else "rejected"
    return _show(
        request,
        uow,
        "evaluation/overdue.html",
        o=ev.overdue(uow, principal=principal),
        state=state,
        audit=ev.audit_list(uow, principal=principal, state=state),
    )


@router.get("/files/{sha256}")
def file_page(
    sha256: str, principal: Principal = Depends(ANY_READER), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    meta, data = ev.evidence(uow, principal=principal, sha256=sha256)
    uow.commit()  # the access log entry
    return Response(data, media_type=meta.media_type, headers={"X-Content-Type-Options": "nosniff"})
