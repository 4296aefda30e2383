"""The ledger pages as a resident and a visitor read them: /me/ledger names each rule, says what a
deduction is and how long it is shown, links a reversed entry and its reversal, groups large numbers,
reads in one language; a receipt is downloaded from a page address that sends a signed-out resident
to sign in, and holds no plaintext personal data; /ledger/verify says which keys it checked against;
the home page links it."""

from __future__ import annotations

import base64
import html
import json
import re
from datetime import date

import pytest

from moralbank.auth.domain import SYSTEM
from moralbank.ledger import service
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make
from tests.integration.evaluation.conftest import G1, build_world
from tests.integration.ledger.conftest import deed, name_and_hash
from tests.support import signed_in as client

FILLER = 1200  # other residents' entries, so the ledger's size needs a thousands separator


@pytest.fixture
def resident(container):  # noqa: ANN001, ANN201
    """Resident A with a volunteer deed (later reversed by a correction) and a serious deduction, in a
    ledger of 1,203 entries. Returns (resident id, seq of the deed, of the deduction, of the correction)."""
    world = build_world(container)
    a, b = world.ids["A"], world.ids["B"]
    with container.uow() as uow:
        service.post(uow, [deed(i, resident=b) for i in range(FILLER)])
        [good, bad] = service.post(
            uow,
            [
                deed(1, resident=a, indicator="SM01", aspect="SM", points=5, policy_version="1"),
                deed(
                    2,
                    resident=a,
                    indicator="PC05",
                    aspect="PC",
                    points=-10,
                    source="department",
                    severity="serious",
                    expires_on=date(2029, 1, 31),
                    policy_version="2026.1",  # not a version applied here: named from the active policy
                ),
            ],
        )
        [fix] = service.post(
            uow,
            [
                deed(
                    3,
                    resident=a,
                    indicator="SM01",
                    aspect="SM",
                    points=-5,
                    source="correction",
                    reverses_seq=good.seq,
                    reason="更正：重复登记",
                )
            ],
        )
        uow.commit()
    return a, good.seq, bad.seq, fix.seq


def entries_card(page: str) -> str:
    return html.unescape(page.split('id="entries"', 1)[1].split("</ul>", 1)[0])


def item(card: str, seq: int) -> str:
    return re.search(rf'<li id="entry-{seq}"[^>]*>(.*?)</li>', card, re.S).group(0)


def text(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def test_the_ledger_page_names_rules_deductions_and_reversals(container, resident) -> None:  # noqa: ANN001
    a, good, bad, fix = resident
    c = client(container, resident_id=a)
    page = c.get("/me/ledger").text
    assert "账本当前共 1,203 条记录" in page
    card = entries_card(page)
    assert "志愿服务" in text(item(card, good)) and "SM01" in text(item(card, good))
    deduction = text(item(card, bad))
    assert "拒不履行生效判决" in deduction
    assert "严重程度：严重" in deduction and "最后展示日：2029-01-31" in deduction
    assert "来源：部门数据" in deduction
    # the reversed entry is marked and links its reversal, which links back
    reversed_ = item(card, good)
    assert 'data-reversed="1"' in reversed_ and "<s" in reversed_
    assert f'href="#entry-{fix}"' in reversed_ and f"已被第 {fix} 号记录冲回" in text(reversed_)
    reversal = item(card, fix)
    assert f'href="#entry-{good}"' in reversal and f"冲回第 {good} 号记录" in text(reversal)
    assert "data-reversed" not in item(card, bad) and "data-reversed" not in reversal


def test_the_english_ledger_page_reads_in_english_only(container, resident) -> None:  # noqa: ANN001
    a, good, bad, fix = resident
    page = client(container, resident_id=a).get("/me/ledger?lang=en").text
    assert "The ledger now holds 1,203 entries" in page
    card = entries_card(page)
    assert "Volunteer service" in text(item(card, good)) and "志愿服务" not in card
    deduction = text(item(card, bad))
    assert "Refusing to comply with a court judgment" in deduction
    assert "Severity: serious" in deduction and "Last day shown: 2029-01-31" in deduction
    assert "Source: department record" in deduction
    assert "Source: evaluation" in text(item(card, good)) and "Source: correction" in text(item(card, fix))
    assert f"Reverses entry {good}" in text(item(card, fix)) and f"Reversed by entry {fix}" in card
    markup = re.sub(r"<span class=\"small\">[^<]*</span>", "", card)  # reasons stay as recorded
    assert not re.search(r"[（）：，、]", markup), markup


def test_a_receipt_comes_from_a_page_address_that_sends_a_signed_out_resident_to_sign_in(
    container, resident
) -> None:  # noqa: ANN001
    a, good, bad, _ = resident
    c = client(container, resident_id=a)
    assert f'href="/me/ledger/receipts/{bad}"' in c.get("/me/ledger").text
    page = c.get(f"/me/ledger/receipts/{bad}")
    api = c.get(f"/api/ledger/receipts/{bad}")
    assert page.status_code == 200 and page.content == api.content
    assert page.headers["content-disposition"] == f'attachment; filename="moralbank-receipt-{bad}.json"'
    assert c.get("/me/ledger/receipts/1", headers={"accept": "text/html"}).status_code == 404  # B's

    gone = client(container)  # the session ended (signed out in another tab)
    r = gone.get(f"/me/ledger/receipts/{bad}", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/login?next=/me/ledger/receipts/{bad}"
    r = gone.get(f"/me/ledger/receipts/{bad}", headers={"accept": "text/html"})
    assert r.url.path == "/login/resident" and r.status_code == 200


def test_a_receipt_holds_no_plaintext_personal_data(container) -> None:  # noqa: ANN001
    build_world(container)
    name, id_number, phone = "欧阳明月", make("330281", date(1975, 6, 7), 31), "13912345678"
    with container.uow() as uow:
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name=name,
            id_number=id_number,
            phone=phone,
            grid=G1,
            consent_text_version="v1",
        )
        [e] = service.post(uow, [deed(1, resident=rid, indicator="SM01", aspect="SM", points=3)])
        uow.commit()
    c = client(container, resident_id=rid)
    for address in (
        f"/api/ledger/receipts/{e.seq}",
        f"/me/ledger/receipts/{e.seq}",
        f"/api/ledger/proof/{e.seq}",
    ):
        body = c.get(address).content
        data = json.loads(body)
        assert set(data) - {"format", "entry"} == {
            "leaf_index",
            "tree_size",
            "leaf",
            "proof",
            "checkpoint",
            "verifier_key",
        }
        said = body.decode() + base64.b64decode(data["leaf"]).decode()
        assert rid in said
        for secret in (name, id_number, id_number[-6:], phone, phone[-4:], "欧阳"):
            assert secret not in said, (address, secret)


def test_the_verify_page_names_the_keys_it_checks_against(container, resident) -> None:  # noqa: ANN001
    a, good, *_ = resident
    with container.uow(write=False) as uow:
        [key] = [str(k) for k in service.trusted_keys(uow)]
    short = name_and_hash(key)
    assert short.count("+") == 1 and short.startswith("moralbank.yuyao.example/ledger+")
    visitor = client(container)
    assert f"<code>{short}</code>" in visitor.get("/ledger/verify").text
    receipt = client(container, resident_id=a).get(f"/me/ledger/receipts/{good}").content
    page = visitor.post("/ledger/verify", files={"file": ("r.json", receipt, "application/json")})
    assert page.status_code == 200
    assert f"签名所用的密钥：<code>{short}</code>（本站公布的验证密钥）" in page.text
    en = visitor.post("/ledger/verify?lang=en", files={"file": ("r.json", receipt, "application/json")})
    assert f"Signed with the key <code>{short}</code> (a verifier key this site publishes)" in en.text


def test_the_home_page_links_the_receipt_check_for_visitors(container) -> None:  # noqa: ANN001
    visitor = client(container)
    for lang, label in (("zh-CN", "核验凭证"), ("en", "Check a receipt")):
        page = visitor.get(f"/?lang={lang}").text
        assert f'<a href="/ledger/verify">{label}</a>' in page, lang
