"""Portrait pages and API: the resident's own, staff within their subtree (logged), charts, reasons."""

from __future__ import annotations

import re
from html import unescape

import pytest

from moralbank.auth.domain import Role
from moralbank.scoring import service
from tests.integration.scoring.world import G1, V2, build_town, create_user
from tests.support import signed_in as client


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    t.post("li", "FV03", 3, days_ago=5)
    t.post("li", "PE04", -20, days_ago=4, severity="general", source="department", reason="合同违约判决")
    with container.uow() as uow:
        service.recompute(uow, full=True)
        uow.commit()
    return t


def test_resident_portrait_has_both_charts_entries_and_reasons(town, container) -> None:  # noqa: ANN001
    c = client(container, resident_id=town.ids["li"])
    r = c.get("/me/portrait")
    assert r.status_code == 200
    html = r.text
    assert 'class="chart radar"' in html and 'class="chart line"' in html
    assert "合同违约" in html and "未达到更高等级的主要原因" in html
    assert html.count('class="entry') == 2
    assert "第十三条" in html  # the published basis of the rule
    assert "/me/portrait/entries/" in html  # objection form on counted entries
    assert "这些善行可以提高积分" in html
    en = c.get("/me/portrait?lang=en").text
    assert "Contract default" in en and "Principal reasons" in en
    # every source label is a capitalised word, as "Department record" is (was "evaluation")
    assert 'reason">evaluation' not in en and 'reason">Evaluation' in en


def test_top_tier_resident_gets_no_reasons(town, container) -> None:  # noqa: ANN001
    html = client(container, resident_id=town.ids["zhang"]).get("/me/portrait").text
    assert 'data-tier="green"' in html and "未达到更高等级的主要原因" not in html


def test_staff_see_portraits_in_their_subtree_only_and_each_view_is_logged(town, container) -> None:  # noqa: ANN001
    from moralbank.audit import service as audit

    create_user(container, "grid1", Role.GRID_WORKER, G1)
    create_user(container, "village2", Role.VILLAGE_OFFICER, V2)
    grid1 = client(container, username="grid1")
    assert grid1.get(f"/residents/{town.ids['li']}/portrait").status_code == 200
    assert grid1.get(f"/api/scoring/residents/{town.ids['li']}/portrait").json()["total"] == 43
    assert (
        client(container, username="village2")
        .get(f"/api/scoring/residents/{town.ids['li']}/portrait")
        .status_code
        == 404
    )
    with container.uow() as uow:
        log = audit.list_for_resident(uow, resident_id=town.ids["li"])
    assert len([e for e in log if e.what == "scoring.portrait"]) == 2


def test_percentiles_are_aggregates_and_hidden_for_small_groups(town, container) -> None:  # noqa: ANN001
    p = client(container, resident_id=town.ids["zhang"]).get("/api/scoring/me").json()
    assert p["percentiles"] == {"grid": None, "village": None, "city": None}  # fewer than 10 residents
    from moralbank.scoring.domain import percentile

    assert percentile({60: 5, 80: 5}, 80) == 75.0


def test_tier_drop_notifies_with_reasons_and_objection_link(town, container) -> None:  # noqa: ANN001
    from moralbank.notify import service as notify

    town.post("zhang", "PC04", -3, days_ago=1, severity="minor", reason="焚烧秸秆")
    with container.uow() as uow:
        run = service.recompute(uow)
        uow.commit()
    assert run.dropped == [town.ids["zhang"]]
    with container.uow() as uow:
        [msg] = notify.inbox(uow, resident_id=town.ids["zhang"])
        assert "乱扔垃圾或违规焚烧秸秆" in msg.body and "/me/portrait#entries" in msg.body
        assert msg.body.count("\n1. ") == 1


def test_resident_objects_to_an_entry_from_the_portrait(town, container) -> None:  # noqa: ANN001
    c = client(container, resident_id=town.ids["li"])
    p = c.get("/api/scoring/me").json()
    seq = next(e["seq"] for e in p["entries"] if e["points"] < 0)
    r = c.post(f"/me/portrait/entries/{seq}/object", data={"statement": "判决已撤销"}, follow_redirects=False)
    assert r.status_code == 303 and "msg" not in r.headers["location"]
    # switched to English before the page is shown: said in English, once
    said = '<div class="card pos">Objection received; the record is marked as disputed</div>'
    assert said in c.get("/me/portrait?lang=en").text
    assert 'class="card pos"' not in c.get("/me/portrait").text
    # objecting again is refused: said as an alert, in the page's language
    r = c.post(f"/me/portrait/entries/{seq}/object", data={"statement": "再次异议"}, follow_redirects=False)
    assert r.status_code == 303 and "err" not in r.headers["location"]
    alert = c.get("/me/portrait?lang=en").text.split('<div class="card error">', 1)[1].split("</div>", 1)[0]
    assert alert and alert.isascii()


def test_words_in_the_address_never_reach_the_portrait(town, container) -> None:  # noqa: ANN001
    c = client(container, resident_id=town.ids["li"])
    html = c.get("/me/portrait?msg=<b>x</b>&err=系统已过期，请致电 400-000-0000").text
    assert 'class="card pos"' not in html and 'class="card error"' not in html
    seen = unescape(re.sub(r"<[^>]*>", " ", html))  # the page's text, not its links
    assert "400-000-0000" not in seen and "x" not in seen.split()
