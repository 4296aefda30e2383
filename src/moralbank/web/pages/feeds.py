"""Staff pages of the data interfaces: health per interface, the quarantine (fix, discard, reprocess);
and the resident's own view of which department data is used about them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import NamedTuple
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, MoralbankError, NotFound
from moralbank.feeds import domain, service
from moralbank.kernel.clock import CHINA
from moralbank.web import flash
from moralbank.web.app import language_of, render, status_of
from moralbank.web.deps import get_uow, require_roles
from moralbank.web.i18n import error_text, translator

router = APIRouter(include_in_schema=False)
WATCHERS = require_roles(Role.CITY_ADMIN, Role.AUDITOR)
FIXERS = require_roles(Role.CITY_ADMIN)
RESIDENT = require_roles(Role.RESIDENT)


def _bars(
    series: list[dict], _: Callable[..., str], num: Callable[[float], str], width: int = 180, height: int = 40
) -> str:
    """Daily volumes as a tiny inline SVG: one slot per day of ``series``, oldest on the left, a day
    without arrivals an empty slot; accepted in green over received in grey; the first and last dates
    below; each day's figures as its tooltip."""
    top = max(s["received"] for s in series) or 1
    w = width / len(series)
    parts = [f'<line x1="0" y1="{height}" x2="{width}" y2="{height}" stroke="#d9dee2"/>']
    for i, s in enumerate(series):
        day = s["day"].isoformat()
        tip = _(
            "{day}：接收 {received}，入库 {accepted}",
            day=day,
            received=num(s["received"]),
            accepted=num(s["accepted"]),
        )
        bars = "".join(
            f'<rect x="{i * w:.1f}" y="{height - h:.1f}" width="{max(w - 1, 1):.1f}" height="{h:.1f}" '
            f'fill="{fill}"/>'
            for h, fill in (
                (height * s["received"] / top, "#c8ccd0"),
                (height * s["accepted"] / top, "#1b7f3b"),
            )
            if h
        )
        parts.append(f'<g data-day="{day}"><title>{escape(tip)}</title>{bars}</g>')
    first, last = series[0]["day"].isoformat(), series[-1]["day"].isoformat()
    for x, anchor, text in ((0, "start", first), (width, "end", last)):
        parts.append(
            f'<text x="{x}" y="{height + 11}" text-anchor="{anchor}" font-size="10" '
            f'fill="#5f6b73">{text}</text>'
        )
    label = _(
        "每日接收量，{first} 至 {last}：共接收 {received}，入库 {accepted}",
        first=first,
        last=last,
        received=num(sum(s["received"] for s in series)),
        accepted=num(sum(s["accepted"] for s in series)),
    )
    return (
        f'<svg class="volumes" viewBox="0 0 {width} {height + 14}" width="{width}" height="{height + 14}" '
        f'role="img" aria-label="{escape(label)}">{"".join(parts)}</svg>'
    )


def _words(_: Callable[..., str]) -> dict[str, dict[str, str]]:
    """What the pages say for the stable codes of the data interfaces, in the page's language."""
    return {
        "status": {
            "pending": _("待处理（未修正和已修正）"),
            "open": _("未修正"),
            "fixed": _("已修正，待重新处理"),
            "discarded": _("已作废"),
            "reprocessed": _("已重新处理入库"),
            "held": _("已重新处理，待居民授权后使用"),
            "duplicate": _("已重新处理，与已入库的记录相同"),
            "all": _("全部"),
        },
        "reason": {
            domain.BAD_ID_NUMBER: _("身份号码无效"),
            domain.BAD_USCC: _("统一社会信用代码无效"),
            domain.UNKNOWN_PERSON: _("不是本市居民"),
            domain.BAD_DATE: _("日期无效"),
            domain.UNKNOWN_CODE: _("代码不在接口定义中"),
            domain.WRONG_TYPE: _("数据类型不符"),
            domain.MISSING: _("必填项为空"),
            domain.RAGGED: _("列数与表头不符"),
            domain.BAD_ENCODING: _("字符编码无法识别"),
            domain.BAD_JSON: _("不是有效的 JSON"),
            domain.BAD_CSV: _("CSV 格式有误"),
            domain.OUT_OF_RANGE: _("数值超出允许范围"),
            domain.TOO_LONG: _("内容过长"),
        },
        "transport": {"file": _("文件"), "push": _("推送"), "pull": _("拉取"), "requeue": _("重新处理")},
        "import_status": {"running": _("进行中"), "done": _("已完成"), "failed": _("因错误中止")},
    }


def _detail_words(_: Callable[..., str]) -> dict[str, dict[str, str]]:
    """What the pages say for each kind of stored problem detail (``domain.read_detail``), with the
    words of its values: field types and Python's JSON messages."""
    return {
        "kind": {
            domain.RAGGED: _("本行有 {cells} 个单元格，而表头有 {columns} 列"),
            domain.BAD_ENCODING: _("含有不符合 {encoding} 编码的字节"),
            domain.BAD_JSON: _("JSON 有误：{error}"),
            "json_unnamed": _("JSON 有误，无法读取"),
            "json_object": _("每行须为一个 JSON 对象"),
            domain.WRONG_TYPE: _("“{value}”不是{type}"),
            domain.BAD_DATE: _("“{value}”不是有效日期"),
            domain.UNKNOWN_CODE: _("“{value}”不是本接口定义的代码"),
            domain.BAD_ID_NUMBER: _("“{value}”未通过公民身份号码（GB 11643）校验"),
            domain.BAD_USCC: _("“{value}”未通过统一社会信用代码（GB 32100）校验"),
            domain.MISSING: _("该字段必须填写"),
            domain.OUT_OF_RANGE: _("“{value}”超出允许范围（{low} 至 {high}）"),
            domain.TOO_LONG: _("“{value}”过长（最多 {limit} 个字符）"),
            "future_date": _("日期晚于今天：{date}"),
            domain.UNKNOWN_PERSON: _("本市居民中没有这个身份号码"),
        },
        "type": {"int": _("整数"), "decimal": _("数值"), "bool": _("是或否"), "": _("该字段类型的值")},
        "json": {
            "Expecting value": _("缺少值"),
            "Extra data": _("数据后还有多余的内容"),
            "Expecting property name enclosed in double quotes": _("属性名须用双引号括起"),
            "Unterminated string starting at": _("字符串没有结束"),
            "Expecting ',' delimiter": _("缺少逗号"),
            "Expecting ':' delimiter": _("缺少冒号"),
            "Invalid control character at": _("含有无效的控制字符"),
            "Invalid \\escape": _("含有无效的转义符"),
            "Invalid \\uXXXX escape": _("含有无效的 Unicode 转义"),
            "Illegal trailing comma before end of object": _("对象末尾多了逗号"),
            "Illegal trailing comma before end of array": _("数组末尾多了逗号"),
        },
    }


def _detail(words: dict[str, dict[str, str]], lang: str, detail: str) -> str:
    """A stored problem detail in the page's language (one this version cannot read: as the service
    wording of ``error_text``)."""
    read = domain.read_detail(detail)
    if read is None or read[0] not in words["kind"]:
        return error_text(detail, lang)
    kind, values = read
    if kind == domain.WRONG_TYPE:
        values["type"] = words["type"].get(values["type"], words["type"][""])
    elif kind == domain.BAD_ENCODING:
        values["encoding"] = values["encoding"].upper()  # as encodings are written: UTF-8, GB18030
    elif kind == domain.BAD_JSON:
        # Python's English message stays on an English page; on a Chinese one, without words, it is left out
        values["error"] = words["json"].get(values["error"], values["error"] if lang == "en" else "")
        kind = kind if values["error"] else "json_unnamed"
    return words["kind"][kind].format(**values)


def _name(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" and en else zh


def _interface_names(lang: str) -> dict[str, str]:
    return {i.name: _name(lang, i.name_zh, i.name_en) for i in service.list_interfaces()}


class _Field(NamedTuple):
    """A field of an interface as the fix form offers it."""

    name: str
    label: str  # in the page's language
    required: bool
    codes: tuple[str, ...]  # a code field's codes, offered as a list to choose from
    limit: int  # the most characters it takes


def _fields(lang: str, interface: str) -> list[_Field]:
    try:
        iface = service.get_interface(interface)
    except NotFound:  # a row of an interface the city has since removed
        return []
    return [
        _Field(
            f.name,
            _name(lang, f.label_zh, f.label_en) or f.name,
            f.required,
            f.codes if f.type == "code" else (),
            service.text_limit(iface, f.name),
        )
        for f in iface.fields
    ]


def _number(lang: str) -> Callable[[float], str]:
    """Figures as the page's language writes them, thousands grouped (1,234,567)."""
    locale = "en" if lang == "en" else "zh_CN"
    return lambda n: format_decimal(n, locale=locale)


def _local(at: datetime | None) -> str:
    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if at else ""


@router.get("/staff/feeds")
def health_page(
    request: Request, _: Principal = Depends(WATCHERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    lang = language_of(request)
    _, num = translator(lang), _number(lang)
    rows = service.health(uow)
    for r in rows:
        r["chart"] = _bars(service.health_series(uow, interface=r["interface"], days=30), _, num)
    return render(
        request,
        "feeds/health.html",
        {
            "rows": rows,
            "imports": service.recent_imports(uow, limit=20),
            "names": _interface_names(lang),
            "words": _words(_),
            "local": _local,
            "num": num,
        },
    )


FILTERS = ("interface", "reason", "status", "page")
PAGE_SIZE = 50


def _page_number(text: str, total: int) -> tuple[int, int]:
    """(the page asked for, the number of pages): a page past the last (rows left the filter since
    the link was made) is the last one; a page that is not a number is the first."""
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(int(text), 1), pages) if text.isascii() and text.isdigit() else 1, pages


@router.get("/staff/feeds/quarantine")
def quarantine_page(
    request: Request, principal: Principal = Depends(WATCHERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """Quarantined rows, filtered (``interface``, ``reason``, ``status``) and a page at a time
    (``page``); after an action, what it did (``web.flash``)."""
    response = _quarantine(request, uow, principal, said=flash.take(request))
    flash.clear(request, response)
    return response


@dataclass(frozen=True)
class _Refusal:
    """A refused action, for the page shown again in its place: the row it was on, why, and what the
    staff member had typed, by the form's names (the fix's ``f_<field>``, the discard's ``reason``)."""

    row: int | None
    error: MoralbankError
    typed: dict[str, str] = field(default_factory=dict)


def _quarantine(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    *,
    said: flash.Flash | None = None,
    refused: _Refusal | None = None,
) -> Response:
    """The quarantine page with the filters of the request's address; after a refused action, with
    the refusal and what was typed, so nothing entered is lost."""
    lang = language_of(request)
    _, num = translator(lang), _number(lang)
    query = request.query_params
    status = query.get("status") or "pending"
    shown = {
        "interface": query.get("interface") or None,
        "reason": query.get("reason") or None,
        "status": None if status == "all" else status,
    }
    total = service.quarantine_total(uow, **shown)
    number, pages = _page_number(query.get("page", ""), total)
    rows = service.quarantine_list(
        uow, principal=principal, **shown, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
    )
    details = _detail_words(_)
    staff = _staff_names(uow) if any(r["discard_reason"] for r in rows) else {}
    for r in rows:
        r["fields"] = _fields(lang, r["interface"])
        r["labels"] = {f.name: f.label for f in r["fields"]}
        r["detail"] = _detail(details, lang, r["detail"])
        r["discarded_by"] = staff.get(r["resolved_by"] or "") or _("工作人员")
    err_row = refused.row if refused else None
    problems = refused.error.problems if refused and isinstance(refused.error, InvalidInput) else []
    bad_fields = [p.field for p in problems if p.field]
    # what a refused action names: the fields of its row, in the page's language
    row = next((r for r in rows if r["id"] == err_row), None)
    labels = {**(row["labels"] if row else {}), "reason": _("作废原因")}
    # each refused field with what is wrong with it, when the refusal said so field by field
    err_problems = (
        [(labels.get(p.field, p.field), error_text(p.reason, lang)) for p in problems]
        if bad_fields and len(bad_fields) == len(problems)
        else []
    )
    response = render(
        request,
        "feeds/quarantine.html",
        {
            "rows": rows,
            "names": _interface_names(lang),
            "words": _words(_),
            "interface": shown["interface"] or "",
            "reason": shown["reason"] or "",
            "status": status,
            "total": total,
            "first": (number - 1) * PAGE_SIZE + 1,
            "page": number,
            "pages": pages,
            "pager": _pager(request, number, pages),
            "back": _filters(request),
            "msg": _done(_, num, said),
            "err": str(refused.error) if refused else None,
            "err_row": err_row,
            "typed": refused.typed if refused else {},
            "bad_fields": bad_fields,
            "bad_labels": [labels.get(f, f) for f in bad_fields],
            "err_problems": err_problems,
            "can_fix": principal.role == Role.CITY_ADMIN,
            "num": num,
        },
        status_code=status_of(refused.error) if refused else 200,
    )
    uow.commit()  # the access log of the rows read
    return response


def _done(_: Callable[..., str], num: Callable[[float], str], said: flash.Flash | None) -> str | None:
    """What an action did (``said``), in the page's language; nothing for a code this page does not
    know."""
    words = {
        "fixed": _("#{id} 已修正，待重新处理"),
        "discarded": _("#{id} 已作废"),
        "reprocessed": _(
            "重新处理 {n} 行：入库 {accepted}，仍隔离 {quarantined}，待授权 {held}，重复 {duplicates}"
        ),
    }
    if said is None or said.code not in words:
        return None
    try:
        return words[said.code].format(
            **{k: num(v) if isinstance(v, int) and k != "id" else v for k, v in said.values.items()}
        )
    except (KeyError, IndexError, ValueError):  # values of another version of the message
        return None


def _staff_names(uow: UnitOfWork) -> dict[str, str]:
    """Staff members' display names by the actor code the quarantine keeps (``user:42``)."""
    from moralbank.auth import service as auth

    return {f"user:{u.id}": u.display_name for u in auth.list_users(uow)}


def _filters(request: Request) -> str:
    """The quarantine page's filters, as a query string the actions carry and return to."""
    return urlencode([(k, request.query_params[k]) for k in FILTERS if request.query_params.get(k)])


def _pager(request: Request, number: int, pages: int) -> dict[str, str]:
    """Links to the first, previous, next and last pages, with the page's other filters."""
    others = [(k, request.query_params[k]) for k in FILTERS if k != "page" and request.query_params.get(k)]

    def link(n: int) -> str:
        return "/staff/feeds/quarantine?" + urlencode([*others, ("page", n)])

    return {
        **({"first": link(1), "previous": link(number - 1)} if number > 1 else {}),
        **({"next": link(number + 1), "last": link(pages)} if number < pages else {}),
    }


def _back(request: Request, code: str, **values: int) -> Response:
    """Back to the quarantine page, with the filters it was left with, to say what the action did."""
    query = _filters(request)
    return flash.redirect(request, f"/staff/feeds/quarantine{'?' if query else ''}{query}", code, **values)


def _refused(request: Request, uow: UnitOfWork, principal: Principal, refusal: _Refusal) -> Response:
    """The page again, in place of the refused action, with the refusal and what was typed."""
    uow.db.rollback()  # drop what the refused attempt wrote before the page is read again
    return _quarantine(request, uow, principal, refused=refusal)


@router.post("/staff/feeds/quarantine/{qid}/fix")
async def fix(
    qid: int, request: Request, principal: Principal = Depends(FIXERS), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    form = await request.form()
    typed = {k: str(v) for k, v in form.items() if k.startswith("f_")}
    values = {k[2:]: v for k, v in typed.items()}
    try:
        service.quarantine_fix(uow, quarantine_id=qid, values=values, actor=principal.actor)
        uow.commit()
    except MoralbankError as e:
        return _refused(request, uow, principal, _Refusal(qid, e, typed))
    return _back(request, "fixed", id=qid)


@router.post("/staff/feeds/quarantine/{qid}/discard")
def discard(
    qid: int,
    request: Request,
    reason: str = Form(""),
    principal: Principal = Depends(FIXERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    try:
        service.quarantine_discard(uow, quarantine_id=qid, actor=principal.actor, reason=reason)
        uow.commit()
    except MoralbankError as e:
        return _refused(request, uow, principal, _Refusal(qid, e, {"reason": reason}))
    return _back(request, "discarded", id=qid)


@router.post("/staff/feeds/quarantine/reprocess")
def reprocess(
    request: Request,
    interface: str = Form(""),
    principal: Principal = Depends(FIXERS),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    """Reprocess the pending rows of one interface (the one the page is filtered on), or of all."""
    try:
        counts = service.quarantine_reprocess(uow, actor=principal.actor, interface=interface or None)
        uow.commit()
    except MoralbankError as e:
        return _refused(request, uow, principal, _Refusal(None, e))
    return _back(
        request,
        "reprocessed",
        n=counts.received,
        accepted=counts.accepted,
        quarantined=counts.quarantined,
        held=counts.held_for_consent,
        duplicates=counts.duplicates,
    )


@router.get("/me/data-interfaces")
def my_interfaces(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    """Which department data is used about me, which is held because I have not (or no longer)
    consented — the resident's view of their consents to data interfaces."""
    lines = service.consent_lines(uow, resident_id=str(principal.resident_id))
    return render(request, "feeds/my_interfaces.html", {"lines": lines})
