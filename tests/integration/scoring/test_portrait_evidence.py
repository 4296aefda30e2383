"""The portrait's entries in human words: evidence without internal references, each rule's basis once,
and in English the names and reasons in English."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape

import pytest

from moralbank.evaluation import service as ev
from moralbank.evaluation.service import Upload
from moralbank.kernel.clock import CHINA
from tests.integration.evaluation.conftest import PNG, build_world
from tests.support import signed_in as client

INTERNAL = re.compile(r"evaluation:|confirm:|dispute:|approval:|file:|sha256|user:|resident:|record:")
CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # ideographs and full-width marks
PE05_BASIS = "第十三条第（二）项：银行贷款逾期未还的，每个月度账期扣10分。"


def _do(w, fn, **kw):  # noqa: ANN001, ANN003, ANN202
    with w.container.uow() as uow:
        out = fn(uow, **kw)
        uow.commit()
        return out


@pytest.fixture
def world(container):  # noqa: ANN001, ANN201
    """Resident A with a deed through grid review and village approval (a photo attached) and a loan
    arrears deduction (PE05) confirmed by a second officer, both on the ledger."""
    w = build_world(container)
    deed = _do(
        w,
        ev.submit,
        principal=w.resident("A"),
        indicator="FV01",
        deed_date=date(2026, 11, 24),
        description="照顾生病的邻居老人",
        uploads=[Upload("p.png", PNG)],
    )
    _do(w, ev.vote, principal=w.resident("B"), item_id=deed.id, confirm=True)
    _do(w, ev.vote, principal=w.worker1, item_id=deed.id, confirm=True)
    _do(w, ev.approve, principal=w.officer, item_id=deed.id, points=3)
    deduction = _do(
        w,
        ev.propose_deduction,
        principal=w.officer,
        resident_id=w.ids["A"],
        indicator="PE05",
        points=10,
        deed_date=date(2026, 11, 20),
        description="贷款逾期，银行催收记录",
        uploads=[Upload("bank.png", PNG)],
    )
    _do(w, ev.approve, principal=w.officer_b, item_id=deduction.id)
    container.clock.set(datetime(2026, 12, 2, 10, tzinfo=CHINA))  # the objection window has passed
    assert _do(w, ev.process_due) == [deduction.id]
    return w


def _rows(html: str) -> dict[str, str]:
    """Each entry row's text by indicator code."""
    rows = re.findall(r'<tr class="entry.*?</tr>', html, re.S)
    text = [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", r))) for r in rows]
    return {re.search(r"\b(FV01|PE05)\b", t).group(1): t for t in text}


def test_evidence_is_shown_in_words_with_links_the_resident_may_follow(world, container) -> None:  # noqa: ANN001
    c = client(container, resident_id=world.ids["A"])
    html = c.get("/me/portrait").text
    rows = _rows(html)
    for text in rows.values():
        assert not INTERNAL.search(text), text
    deed, deduction = rows["FV01"], rows["PE05"]
    assert "评议记录" in deed and "附件" in deed and "网格互评确认 ×2" in deed and "村（社区）审批" in deed
    assert "评议记录" in deduction and "附件" in deduction and "工作人员审核确认 ×2" in deduction
    links = re.findall(r'href="(/evaluation/[^"]+)"', html.split('id="entries"')[1])
    assert any(link.startswith("/evaluation/items/") for link in links)
    attachments = [link for link in links if link.startswith("/evaluation/files/")]
    assert len(attachments) == 2
    for link in attachments + [link for link in links if link.startswith("/evaluation/items/")]:
        assert c.get(link).status_code == 200  # the resident may open what the page links to

    en = _rows(c.get("/me/portrait?lang=en").text)
    assert "Attachment" in en["FV01"] and "Confirmed in grid peer review ×2" in en["FV01"]
    assert "Village (community) approval" in en["FV01"] and "Confirmed by an officer ×2" in en["PE05"]
    assert not INTERNAL.search(en["FV01"] + en["PE05"])


def test_a_deductions_basis_is_printed_once(world, container) -> None:  # noqa: ANN001
    rows = _rows(client(container, resident_id=world.ids["A"]).get("/me/portrait").text)
    assert rows["PE05"].count(PE05_BASIS) == 1
    assert "Art. 13(2)" not in rows["PE05"]


def test_in_english_names_and_reasons_are_english(world, container) -> None:  # noqa: ANN001
    html = client(container, resident_id=world.ids["A"]).get("/me/portrait?lang=en").text
    rows = _rows(html)
    assert "Caring for elders" in rows["FV01"] and "self-assessment, grid peer review" in rows["FV01"]
    assert "Bank loan arrears" in rows["PE05"] and rows["PE05"].count("Art. 13(2)") == 1
    page = unescape(re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1]))
    assert (
        re.findall(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]", page) == []
    )  # no Chinese, no full-width marks
