"""Evaluation pages. Residents: submit a deed, follow it, object, refuse an automated decision, apply
for repair, read the inbox. Grid workers: pending confirmations, assisted entry. Village officers:
review queue with bulk actions, deductions, objections due, ring flags. Township/city: overdue, audit
and reopen."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from moralbank.auth import service as auth
from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import MoralbankError
from moralbank.evaluation import service as ev
from moralbank.feeds import service as feeds
from moralbank.kernel.clock import CHINA, local_date
from moralbank.notify import service as notify
from moralbank.policy import service as policy_service
from moralbank.policy.domain import Indicator, Policy
from moralbank.web import flash
from moralbank.web.api.evaluation import uploads_of
from moralbank.web.app import language_of, render, status_of
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.i18n import error_text, translator
from moralbank.web.labels import ITEM_STATES, ROLE_NAMES
from moralbank.web.routing import PrefixRouter

if TYPE_CHECKING:
    from moralbank.evaluation.models import EvaluationItem

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

STATE_LABELS = ITEM_STATES
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


# Punctuation between a label and its value, and between list items, in the page's language.
PUNCTUATION = {
    "zh-CN": {"colon": "：", "semicolon": "；", "list_sep": "、"},
    "en": {"colon": ": ", "semicolon": "; ", "list_sep": ", "},
}

# At most this many of a bulk review's failures travel to the page (the cookie holds about 4 KB).
FAILURES_SAID = 20


class _PolicyText:
    """Indicator names and published bases in the page's language (the policy gives both in Chinese
    and English), from the policy version an item was decided under, else from the active one."""

    def __init__(self, uow: UnitOfWork, lang: str) -> None:
        self._uow, self._lang = uow, lang
        self._policies: dict[str, Policy] = {}

    def _indicator(self, code: str, version: str | None) -> Indicator | None:
        key = version or ""
        if key not in self._policies:
            self._policies[key] = (
                policy_service.get(self._uow, version=int(version))
                if version
                else policy_service.active(self._uow)
            )
        return self._policies[key].indicators.get(code)

    def name(self, code: str, version: str | None = None) -> str:
        indicator = self._indicator(code, version)
        return indicator.name(self._lang) if indicator else code

    def basis(self, code: str, version: str | None = None) -> str:
        indicator = self._indicator(code, version)
        return indicator.basis(self._lang) if indicator else ""


def _interface_name(name: str, lang: str) -> str | None:
    """A department interface's name in the page's language (None for one the catalogue lacks)."""
    iface = feeds.catalogue().get(name)
    return (iface.name_en if lang == "en" else iface.name_zh) if iface else None


class _Who:
    """Who took a step of an item or voted on it, in the page's language — never the internal actor
    code (``user:3``, ``resident:R…``, ``system:evaluation``, ``feed:court_enforcement``).

    Staff are named with their role, to residents too, as the resident's access log already names them;
    the viewing resident is "you", another resident "a resident"; a department interface by its name.
    Accounts are read once per page, and only when a step was taken by one."""

    def __init__(self, uow: UnitOfWork, viewer: Principal | None, lang: str) -> None:
        self._uow, self._viewer, self._lang = uow, viewer, lang
        self._ = translator(lang)
        self._accounts: dict[str, tuple[str, str]] | None = None

    def _account(self, actor: str) -> tuple[str, str] | None:
        """(name, role) of a staff account or API token."""
        if self._accounts is None:
            self._accounts = {f"user:{u.id}": (u.display_name, u.role) for u in auth.list_users(self._uow)}
            self._accounts |= {f"token:{t.id}": (t.name, t.role) for t in auth.list_tokens(self._uow)}
        return self._accounts.get(actor)

    def __call__(self, actor: str) -> str:
        _ = self._
        kind, _sep, key = actor.partition(":")
        if kind == "resident":
            own = self._viewer is not None and key == self._viewer.resident_id
            return _("您本人") if own else _("居民")
        if kind == "system":
            return _("系统")
        if kind == "feed":
            return _interface_name(key, self._lang) or _(ROLE_NAMES["department_feed"])
        account = self._account(actor) if kind in ("user", "token") else None
        if account is None:  # an account since removed, or a step written without one
            return _("工作人员")
        name, role = account
        role_name = _(ROLE_NAMES.get(role, "工作人员"))
        return _("{name}（{role}）", name=name, role=role_name) if name else role_name


def _describe(_: Callable[..., str], lang: str, item: EvaluationItem, limit: int | None = None) -> str:
    """What an item is about: the resident's or officer's own words (the first ``limit`` characters);
    for a department record, the interface's name and the department's record id — not the internal
    source reference (``feeds:court_enforcement:COUR2012-00000035:v1``, see ``feeds.service.source_ref``)."""
    if item.origin != "record" or not item.interface:
        return item.description[:limit]
    record = item.source_ref or ""
    prefix = f"feeds:{item.interface}:"
    if record.startswith(prefix):
        record = re.sub(r":v\d+$", "", record.removeprefix(prefix))
    name = _interface_name(item.interface, lang) or _("部门数据")
    return f"{name} · {_('记录 {id}', id=record)}"


def _points_range(_: Callable[..., str], low: int, high: int) -> str:
    """A points range as the page's language writes it: 2–5 分, 2–5 points; a fixed value 5 分, 5 points."""
    if low != high:
        return _("{low}–{high} 分", low=low, high=high)
    return _("1 分") if low == 1 else _("{n} 分", n=low)


def _ctx(
    request: Request,
    uow: UnitOfWork,
    *,
    err: str | None = None,
    form_error: str | None = None,
    **values: object,
) -> dict:
    """What every evaluation page reads. ``err`` is a refusal from a service (in English; the page shows
    it through ``error_text``); ``form_error`` a message of the page's own, already in its language;
    neither given, what the action before did (``web.flash``, worded here in the page's language)."""
    lang = language_of(request)
    _ = translator(lang)
    text = _PolicyText(uow, lang)
    return {
        "states": STATE_LABELS,
        "origins": ORIGIN_LABELS,
        "olabels": OBJECTION_LABELS,
        "actions": ACTION_LABELS,
        "indicator_name": text.name,
        "indicator_basis": text.basis,
        "points_range": lambda low, high: _points_range(_, low, high),
        "who": _Who(uow, getattr(request.state, "principal", None), lang),
        "describe": partial(_describe, _, lang),
        **PUNCTUATION[lang],
        "today": local_date(uow.clock.now()),
        "local": lambda at: at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if at else "",
        "msg": None if err or form_error else _done(_, lang, flash.take(request)),
        "err": err,
        "form_error": form_error,
        "form": {},  # what was typed in a form the service refused
        **values,
    }


def _done(_: Callable[..., str], lang: str, said: flash.Flash | None) -> str | None:
    """What an action did, in the page's language: its message (a msgid) with its values; after a bulk
    review, also the items it could not do (values ``#<id>``: the refusal, in English)."""
    if said is None:
        return None
    try:
        text = _(said.code, **said.values)
    except (KeyError, IndexError, ValueError):  # values of another version of the message
        return None
    failed, p = said.values.get("failed"), PUNCTUATION[lang]
    if failed:
        failures = [f"{k} {error_text(str(v), lang)}" for k, v in said.values.items() if k.startswith("#")]
        failures += ["…"] if len(failures) < int(failed) else []
        text += p["semicolon"] + _("未能处理 {n} 件", n=failed) + p["colon"] + p["semicolon"].join(failures)
    return text


def _render(
    request: Request, uow: UnitOfWork, template: str, *, status_code: int = 200, **values: object
) -> Response:
    """Render a page, saying once what the action before did."""
    response = render(request, template, _ctx(request, uow, **values), status_code=status_code)
    flash.clear(request, response)
    return response


def _show(
    request: Request, uow: UnitOfWork, template: str, *, status_code: int = 200, **values: object
) -> Response:
    """Render a page and commit what reading it wrote (the access log; the policy on first use).

    Rendered before the commit: the page looks up indicator names (``_PolicyText``) as it renders."""
    response = _render(request, uow, template, status_code=status_code, **values)
    uow.commit()
    return response


def _run(
    request: Request,
    uow: UnitOfWork,
    again: Callable[..., Response],
    to: str,
    done: str,
    fn: Callable[..., object],
    **kw: object,
) -> Response:
    """Do one use case from a form: commit and go on to ``to`` to say ``done`` there (a msgid, worded
    by that page in its language: ``web.flash``); or, refused, show the form's page again with the
    error and what was typed (``again(err=…, status_code=…)``)."""
    try:
        fn(uow, **kw)
    except MoralbankError as e:
        uow.db.rollback()  # drop what the refused attempt wrote before the page is read again
        return again(err=str(e), status_code=status_of(e))
    uow.commit()
    return flash.redirect(request, to, done)


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
    *,
    err: str | None = None,
    form_error: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    indicators = [r for r in ev.rules(uow).indicators.values() if r.self_submit and not r.negative]
    return _render(
        request,
        uow,
        "evaluation/submit.html",
        status_code=status_code,
        err=err,
        form_error=form_error,
        indicators=indicators,
        form=form or {},
        assisted=principal.role == R.GRID_WORKER,
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
    _ = translator(language_of(request))
    try:
        day = date.fromisoformat(deed_date)
    except ValueError:
        return _submit_form(request, uow, principal, form_error=_("请填写日期"), form=form, status_code=422)
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
        return _submit_form(request, uow, principal, err=str(e), form=form, status_code=status_of(e))
    uow.commit()
    return flash.redirect(request, f"/evaluation/items/{row.id}", "已提交，等待评议")


def _item_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    item_id: int,
    *,
    err: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    trail = ev.trail(uow, principal=principal, item_id=item_id)
    open_objection = next((o for o in trail.objections if o.state == "open"), None)
    return _show(
        request,
        uow,
        "evaluation/item.html",
        status_code=status_code,
        err=err,
        form=form or {},
        t=trail,
        item=trail.item,
        open_objection=open_objection,
    )


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: int,
    principal: Principal = Depends(ANY_READER),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    return _item_page(request, uow, principal, item_id)


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
        partial(_item_page, request, uow, principal, item_id, form={"statement": statement}),
        f"/evaluation/items/{item_id}",
        "已申请人工复核，工作人员将重新审核此自动化决定"
        if kind == "human_review"
        else "异议已受理，记录已标注为“有异议”",
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
        partial(_item_page, request, uow, principal, item_id),
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
        partial(_item_page, request, uow, principal, item_id, form={"withdraw_reason": reason}),
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
        partial(_item_page, request, uow, principal, item_id, form={"commitment": commitment}),
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
    response = _render(request, uow, "evaluation/inbox.html", messages=messages)
    notify.mark_read(uow, resident_id=rid)  # shown, so read
    uow.commit()
    return response


# -- grid ------------------------------------------------------------------------------------------------


def _confirm_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    *,
    err: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    items = ev.pending_confirmations(uow, principal=principal)
    files = {i.id: ev.evidence_of(uow, principal=principal, item_id=i.id) for i in items}
    return _show(
        request,
        uow,
        "evaluation/confirm.html",
        status_code=status_code,
        err=err,
        form=form or {},
        items=items,
        files=files,
    )


@router.get("/confirm")
def confirm_page(
    request: Request, principal: Principal = Depends(SUBMITTERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    return _confirm_page(request, uow, principal)


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
        partial(_confirm_page, request, uow, principal, form={"item": item_id, "reason": reason}),
        "/evaluation/confirm",
        "已记录您的意见",
        ev.vote,
        principal=principal,
        item_id=item_id,
        confirm=confirm == "yes",
        reason=reason,
    )


# -- officers --------------------------------------------------------------------------------------------


def _review_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    *,
    err: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    objections = ev.objections_due(uow, principal=principal)
    return _show(  # the queue also posts deductions whose window has passed
        request,
        uow,
        "evaluation/review.html",
        status_code=status_code,
        err=err,
        form=form or {},
        items=ev.review_queue(uow, principal=principal),
        objections=objections,
        not_yours=ev.not_decidable_by(uow, principal=principal, objections=objections),
        rings=ev.ring_flags(uow, principal=principal),
    )


@router.get("/review")
def review_page(
    request: Request, principal: Principal = Depends(OFFICERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    return _review_page(request, uow, principal)


@router.post("/review/bulk")
def bulk_page(
    request: Request,
    item_ids: list[int] = Form(default=[]),
    decision: str = Form(""),
    reason: str = Form(""),
    principal: Principal = Depends(OFFICERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    try:
        result = ev.bulk_review(uow, principal=principal, item_ids=item_ids, decision=decision, reason=reason)
    except MoralbankError as e:
        uow.db.rollback()
        form = {"item_ids": item_ids, "bulk_reason": reason}
        return _review_page(request, uow, principal, err=str(e), form=form, status_code=status_of(e))
    uow.commit()
    failures = {f"#{k}": v for k, v in list(result.failed.items())[:FAILURES_SAID]}
    return flash.redirect(
        request,
        "/evaluation/review",
        "已处理 {done} 件",
        done=len(result.done),
        failed=len(result.failed),
        **failures,
    )


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
        partial(_item_page, request, uow, principal, item_id, form={"points": points}),
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
        partial(_item_page, request, uow, principal, item_id, form={"reject_reason": reason}),
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
        partial(_item_page, request, uow, principal, item_id, form={"reopen_reason": reason}),
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
        partial(_review_page, request, uow, principal, form={"objection": objection_id, "reason": reason}),
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
        partial(_review_page, request, uow, principal, form={"ring": flag_id, "note": note}),
        "/evaluation/review",
        "已处理",
        ev.review_ring,
        principal=principal,
        flag_id=flag_id,
        status=status,
        note=note,
    )


def _deduction_form(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    *,
    err: str | None = None,
    form_error: str | None = None,
    form: dict | None = None,
    status_code: int = 200,
) -> Response:
    indicators = [r for r in ev.rules(uow).indicators.values() if r.negative]
    return _render(
        request,
        uow,
        "evaluation/deduction.html",
        status_code=status_code,
        err=err,
        form_error=form_error,
        form=form or {},
        indicators=indicators,
        report=principal.role == R.GRID_WORKER,
    )


@router.get("/deduction")
def deduction_form(
    request: Request, principal: Principal = Depends(DEDUCTORS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    return _deduction_form(request, uow, principal)


@router.post("/deduction")
def deduction_submit(
    request: Request,
    resident_id: str = Form(""),
    indicator: str = Form(""),
    points: str = Form(""),
    deed_date: str = Form(""),
    description: str = Form(""),
    files: list[UploadFile] = File(default=[]),
    principal: Principal = Depends(DEDUCTORS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    form = {
        "resident_id": resident_id,
        "indicator": indicator,
        "points": points,
        "deed_date": deed_date,
        "description": description,
    }
    again = partial(_deduction_form, request, uow, principal, form=form)
    _ = translator(language_of(request))
    if not points.strip().lstrip("-").isdigit():
        return again(form_error=_("请填写扣分分值"), status_code=422)
    try:
        day = date.fromisoformat(deed_date)
    except ValueError:
        return again(form_error=_("请填写日期"), status_code=422)
    try:
        row = ev.propose_deduction(
            uow,
            principal=principal,
            resident_id=resident_id.strip(),
            indicator=indicator,
            points=abs(int(points)),
            deed_date=day,
            description=description,
            uploads=uploads_of(files),
        )
    except MoralbankError as e:
        uow.db.rollback()
        return again(err=str(e), status_code=status_of(e))
    uow.commit()
    if row.state == "confirm_review":  # an officer proposed it: their check counts as the first
        done = "已提出，等待第二名工作人员确认"
    else:  # a grid worker reported it: two officers still decide
        done = "已报告，等待村（社区）工作人员审核，并由第二名工作人员确认"
    return flash.redirect(request, f"/evaluation/items/{row.id}", done)


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
