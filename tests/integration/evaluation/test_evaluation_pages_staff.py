"""The staff pages of evaluation as QA met them on the demo city: the overdue page's frame, forms that
come back with what was typed when they are refused, actions offered only to whoever may take them, and
flashes that say what happens next."""

import re
from html import unescape
from urllib.parse import urlsplit

from .conftest import PNG

EVIDENCE = [("files", ("scene.png", PNG, "image/png"))]


def _deduction(world, **changes):
    return {
        "resident_id": world.ids["A"],
        "indicator": "PC04",
        "points": "4",
        "deed_date": "2026-11-24",
        "description": "在田间焚烧秸秆，经劝导不改",
        **changes,
    }


def _said(page: str) -> list[str]:
    """The texts of the page's status and alert boxes."""
    boxes = re.findall(r'<p class="card [^"]*" role="(?:status|alert)">(.*?)</p>', page, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]*>", " ", b)).split()) for b in boxes]


def _item_id(response) -> int:
    return int(urlsplit(response.headers["location"]).path.rsplit("/", 1)[1])


def _objection_card(page: str, objection_id: int) -> str:
    return page.split(f'data-objection="{objection_id}"', 1)[1].split("</div>", 1)[0]


def test_the_overdue_page_has_its_own_title_and_the_audit_card_in_the_body(client_for):
    township = client_for(username="township")
    assert township.get("/evaluation").headers["location"] == "/evaluation/overdue"
    page = township.get("/evaluation/overdue").text

    assert re.search(r"<title>(.*?)</title>", page, re.S).group(1) == "逾期事项 · 道德银行"
    header = page.split("<header", 1)[1].split("</header>", 1)[0]
    assert "card" not in header and "<table" not in header
    assert page.count('id="audit"') == 1
    assert page.index("<main>") < page.index('id="audit"') < page.index("</main>")


def test_a_refused_deduction_comes_back_with_what_was_typed_and_asks_for_the_file_again(world, client_for):
    officer = client_for(username="village1")
    r = officer.post("/evaluation/deduction", data=_deduction(world))  # no evidence: refused

    assert r.status_code == 422
    page = r.text
    assert 'role="alert"' in page
    assert re.search(rf'id="resident_id"[^>]*value="{world.ids["A"]}"', page)
    assert re.search(r'<option value="PC04"[^>]*selected', page)
    assert re.search(r'id="points"[^>]*value="4"', page)
    assert re.search(r'id="deed_date"[^>]*value="2026-11-24"', page)
    assert "在田间焚烧秸秆，经劝导不改</textarea>" in page
    assert "请重新选择证明材料" in page  # browsers never keep a chosen file

    # the page's own check is worded by the page (not as a service's refusal)
    r = officer.post("/evaluation/deduction", data=_deduction(world, points="x"), files=EVIDENCE)
    assert r.status_code == 422 and "在田间焚烧秸秆，经劝导不改</textarea>" in r.text
    assert 'role="alert">请填写扣分分值</p>' in r.text


def test_approving_points_out_of_range_keeps_the_points_typed(world, client_for):
    item_id = _item_id(
        client_for(username="grid1").post("/evaluation/deduction", data=_deduction(world), files=EVIDENCE)
    )
    officer = client_for(username="village1")

    r = officer.post(f"/evaluation/items/{item_id}/approve", data={"points": "9"})  # the range is 2–5

    assert r.status_code == 422
    assert 'role="alert"' in r.text
    assert re.search(r'id="points"[^>]*value="9"', r.text)
    assert "村（社区）评议中" in r.text  # nothing changed
    r = officer.post(f"/evaluation/items/{item_id}/approve", data={"points": "5"})
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)


def test_a_refused_objection_decision_keeps_the_reasons_typed(world, client_for):
    item_id = _item_id(
        client_for(username="village1").post("/evaluation/deduction", data=_deduction(world), files=EVIDENCE)
    )
    r = client_for(letter="A").post(
        f"/evaluation/items/{item_id}/object", data={"statement": "当天我不在村里，有车票为证"}
    )
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)
    township = client_for(username="township")
    objection_id = int(township.get("/evaluation/review").text.split('data-objection="', 1)[1].split('"')[0])

    r = township.post(f"/evaluation/objections/{objection_id}/decide", data={"upheld": "", "reason": "  "})

    assert r.status_code == 422 and 'role="alert"' in r.text
    assert 'value="  "' in _objection_card(r.text, objection_id)


def test_the_flash_after_a_deduction_says_what_happens_next(world, client_for):
    grid, officer = client_for(username="grid1"), client_for(username="village1")
    report = grid.post("/evaluation/deduction", data=_deduction(world), files=EVIDENCE)
    proposal = officer.post(
        "/evaluation/deduction", data=_deduction(world, description="再次焚烧秸秆"), files=EVIDENCE
    )

    # a grid worker's report goes to village review first: two officers still decide
    page = grid.get(report.headers["location"]).text
    assert "村（社区）评议中" in page
    assert _said(page) == ["已报告，等待村（社区）工作人员审核，并由第二名工作人员确认"]
    # an officer's proposal waits for a second officer
    page = officer.get(proposal.headers["location"]).text
    assert "待第二人确认" in page
    assert _said(page) == ["已提出，等待第二名工作人员确认"]


def test_words_in_the_address_never_reach_the_page(world, client_for):
    officer = client_for(username="village1")
    for path in ("/evaluation/review", "/evaluation/confirm", "/evaluation/deduction"):
        page = officer.get(f"{path}?msg=<b>x</b>&err=系统已过期，请致电 400-000-0000").text
        seen = unescape(re.sub(r"<[^>]*>", " ", page))  # the page's text, not its links
        assert _said(page) == [] and "400-000-0000" not in seen and "x" not in seen.split(), path


def test_what_an_action_did_is_said_once_in_the_language_of_the_page(world, client_for):
    officer = client_for(username="village1")
    r = officer.post("/evaluation/deduction", data=_deduction(world), files=EVIDENCE)
    assert r.status_code == 303 and "msg" not in r.headers["location"]
    # switched to English before the page is shown: said in English
    page = officer.get(r.headers["location"] + "?lang=en").text
    assert _said(page) == ["Proposed; waiting for a second officer to confirm"]
    assert _said(officer.get(r.headers["location"]).text) == []  # once


def test_officers_are_offered_only_the_decisions_they_may_take(world, client_for):
    first, second, township = (client_for(username=u) for u in ("village1", "village1b", "township"))
    item_id = _item_id(first.post("/evaluation/deduction", data=_deduction(world), files=EVIDENCE))

    # the proposer does not confirm their own deduction: no checkbox in the queue, no approve form
    row = first.get("/evaluation/review").text.split(f'data-item="{item_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'type="checkbox"' not in row and "另一名工作人员" in row
    page = first.get(f"/evaluation/items/{item_id}").text
    assert f'action="/evaluation/items/{item_id}/approve"' not in page and "另一名工作人员" in page
    row = second.get("/evaluation/review").text.split(f'data-item="{item_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'type="checkbox"' in row
    r = second.post(f"/evaluation/items/{item_id}/approve", data={"points": "4"})
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)

    r = client_for(letter="A").post(
        f"/evaluation/items/{item_id}/object", data={"statement": "当天我不在村里，有车票为证"}
    )
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)

    # both village officers made the decision objected to: they are told who decides instead
    for officer in (first, second):
        page = officer.get("/evaluation/review").text
        objection_id = int(page.split('data-objection="', 1)[1].split('"')[0])
        card = _objection_card(page, objection_id)
        assert 'name="upheld"' not in card
        assert "您参与了原决定" in card
    card = _objection_card(township.get("/evaluation/review").text, objection_id)
    assert 'name="upheld"' in card
    r = township.post(
        f"/evaluation/objections/{objection_id}/decide", data={"upheld": "yes", "reason": "车票属实"}
    )
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)
