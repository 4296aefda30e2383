"""The moral portrait: the resident's own (/me/portrait) and staff's view within their subtree
(/residents/{id}/portrait, access-logged). Charts are inline SVG drawn on the server."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from moralbank.auth.domain import Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import MoralbankError
from moralbank.ledger.domain import Entry
from moralbank.scoring import service
from moralbank.scoring.domain import ScoreModel, Status
from moralbank.web import flash, svgcharts
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

# What each kind of evidence reference is, in words a resident understands (the references themselves —
# item numbers, account ids, file hashes — are internal and never shown on the page).
EVIDENCE_LABELS = {
    "evaluation": "评议记录",
    "file": "附件",
    "record": "部门数据记录",
    "feeds": "部门数据记录",
    "confirm": "网格互评确认",
    "dispute": "网格互评提出异议",
    "witness": "证人证明",
    "photo": "照片",
    "document": "证明文件",
    "objection": "异议决定",
    "ledger": "被冲回的记录",
}
APPROVAL_LABELS = ("村（社区）审批", "工作人员审核确认")  # a deed's approval, a deduction's
OTHER_EVIDENCE = "其他证明材料"
# The kinds of source reference that say more than the evidence does (others are the poster's own keys).
SOURCE_KINDS = frozenset({"evaluation", "objection", "record", "feeds"})
# What an action on the portrait did, by its code (``web.flash``): a msgid, or a refusal.
OBJECTED = "异议已受理，记录已标注为“有异议”"
REFUSED = "refused"


@dataclass
class Evidence:
    """One item of the evidence column: a label (Chinese source text, translated by the template), what
    it links to, a number telling it from its siblings, and how many references it stands for."""

    label: str
    href: str | None = None
    number: str = ""
    count: int = 1


def evidence_of(entry: Entry) -> list[Evidence]:
    """The entry's evidence and source references in words, references of one kind counted once.

    Links go only where the viewer may follow them: the evaluation item behind the entry and the files
    attached to it (a resident reads their own items, staff those of their subtree), and the entry a
    reversal reverses, on the same page."""
    refs = list(entry.evidence)
    if entry.source_ref and entry.source_ref.partition(":")[0] in SOURCE_KINDS:
        refs.append(entry.source_ref)
    refs = list(dict.fromkeys(refs))  # the source is often among the evidence too
    from_item = any(r.startswith("evaluation:") for r in refs)
    files = [r for r in refs if r.startswith("file:")]
    out: dict[tuple[str, str | None, str], Evidence] = {}
    for ref in refs:
        kind, _sep, rest = ref.partition(":")
        label = APPROVAL_LABELS[entry.points < 0] if kind == "approval" else EVIDENCE_LABELS.get(kind)
        href, number = None, ""
        if kind == "evaluation":
            href = f"/evaluation/items/{rest}"
        elif kind == "file":
            href = f"/evaluation/files/{rest.removeprefix('sha256:')}" if from_item else None
            number = str(files.index(ref) + 1) if len(files) > 1 else ""
        elif kind == "ledger" and rest.isdigit():
            href, number = f"#entry-{rest}", f"#{rest}"
        key = (label or OTHER_EVIDENCE, href, number)
        if key in out:
            out[key].count += 1
        else:
            out[key] = Evidence(*key)
    return list(out.values())


def reason_text(entry: Entry, m: ScoreModel, lang: str) -> str:
    """The entry's recorded reason as the portrait shows it, without what the row already says.

    Reasons written by the evaluation path repeat the rule: ``name（how it was assessed）`` or, for a
    deduction, ``name：published basis``. The name is in the rule column and the basis on its own line,
    so only the rest is shown (nothing for a basis), in the page's language where it is a known phrase;
    free text stays as recorded."""
    _ = translator(lang)
    reason = entry.reason or ""
    name_zh, _name_en = m.names.get(entry.indicator, ("", ""))
    basis_zh, _basis_en = m.bases.get(entry.indicator, ("", ""))
    if name_zh and reason.startswith(name_zh):
        rest = reason[len(name_zh) :]
        if rest in ("", f"：{basis_zh}"):
            return ""
        if rest.startswith("（") and rest.endswith("）"):
            return _(rest[1:-1])
    if lang == "zh-CN" or _(reason) != reason:  # as recorded, or a phrase the catalog knows
        return _(reason)
    head, colon, tail = reason.partition("：")  # "更正：重复登记" and the like
    return f"{_(head)}: {_(tail)}" if colon else reason


def portrait_context(
    request: Request, p: service.Portrait, *, own: bool, said: flash.Flash | None = None
) -> dict:
    """What the portrait page reads; ``said``, what the resident's action before did (``web.flash``)."""
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
    thresholds = [
        (t.min_score, t.name_en if en else t.name_zh) for t in m.ranked_tiers() if t.min_score > m.min
    ]
    line = svgcharts.line(
        p.timeline, low=m.min, high=m.max, end=score.as_of, thresholds=thresholds, title=_("积分变化")
    )
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
        "evidence_of": evidence_of,
        "reason_text": lambda entry: reason_text(entry, m, lang),
        "colon": ": " if en else "：",
        "aspect_names": dict(zip(m.aspect_codes, names, strict=True)),
        "tier_name": (tier.name_en if en else tier.name_zh) if tier else score.tier,
        "record": p.record,
        "msg": _(OBJECTED) if said and said.code == OBJECTED else None,
        "err": said.values.get("error") if said and said.code == REFUSED else None,
    }


@router.get("/me/portrait")
def my_portrait(
    request: Request, principal: Principal = Depends(RESIDENT), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    p = service.portrait(
        uow, resident_id=principal.resident_id or "", principal=principal, lang=language_of(request)
    )
    said = flash.take(request)
    response = render(request, "scoring/portrait.html", portrait_context(request, p, own=True, said=said))
    flash.clear(request, response)
    return response


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
    """Object to a ledger entry shown on the portrait (the evaluation capability's objection path);
    the portrait then says whether it was accepted, in its own language."""
    from moralbank.evaluation import service as evaluation

    try:
        evaluation.object_to(uow, principal=principal, statement=statement, ledger_seq=seq)
        uow.commit()
    except MoralbankError as e:
        return flash.redirect(request, "/me/portrait#entries", REFUSED, error=str(e))
    return flash.redirect(request, "/me/portrait#entries", OBJECTED)
