"""The quarantine's forms as a staff member uses them: a refused fix comes back with everything typed,
and what an action did is said on the page it returns to — not carried in the address."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE

from .conftest import City

HTML = {"accept": "text/html"}
FILTERS = "interface=blood_donation&status=pending"


def _inputs(page: str, qid: int) -> dict[str, str]:
    """The values the row's fix form shows, by field."""
    section = re.search(rf'<section[^>]*id="q{qid}".*?</section>', page, re.S).group(0)
    form = re.search(r'<form[^>]*class="fix".*?</form>', section, re.S).group(0)
    return {
        name: unescape(value) for name, value in re.findall(r'<input name="f_(\w+)" value="([^"]*)"', form)
    }


def test_a_refused_fix_keeps_every_value_typed(city: City, admin: TestClient) -> None:
    row = city.quarantined("bad_date")
    typed = {f"f_{k}": v or "" for k, v in row["values"].items() if k not in row["masked"]}
    typed |= {"f_donated_on": "2099-01-01", "f_volume_ml": "450", "f_record_id": "BD-typed-again"}
    r = admin.post(f"/staff/feeds/quarantine/{row['id']}/fix?{FILTERS}", data=typed, headers=HTML)
    assert r.status_code == 422
    shown = _inputs(r.text, row["id"])
    assert shown["donated_on"] == "2099-01-01" and shown["volume_ml"] == "450"
    assert shown["record_id"] == "BD-typed-again"
    assert "日期晚于今天：2099-01-01" in unescape(r.text)
    # nothing was stored; the next visit shows the row as it is
    stored = _inputs(admin.get(f"/staff/feeds/quarantine?{FILTERS}", headers=HTML).text, row["id"])
    assert stored["donated_on"] == row["values"]["donated_on"] and stored["record_id"] != "BD-typed-again"


def _said(page: str) -> list[str]:
    """The texts of the page's status and alert boxes."""
    boxes = re.findall(r'<p class="card [^"]*" role="(?:status|alert)">(.*?)</p>', page, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]*>", " ", b)).split()) for b in boxes]


def test_words_in_the_address_never_reach_the_page(admin: TestClient) -> None:
    page = admin.get(
        "/staff/feeds/quarantine?err=系统已过期，请致电 400-000-0000&msg=<b>hi</b>&row=1&bad=x&why=y",
        headers=HTML,
    ).text
    seen = unescape(re.sub(r"<[^>]*>", " ", page))
    assert _said(page) == [] and "400-000-0000" not in seen and "hi" not in seen.split()


def test_what_an_action_did_is_said_once_in_the_language_of_the_page(city: City, admin: TestClient) -> None:
    row = city.quarantined("bad_date")
    r = admin.post(f"/staff/feeds/quarantine/{row['id']}/discard?{FILTERS}", data={"reason": "部门撤回"})
    assert r.status_code == 303 and "msg" not in r.headers["location"] and "作废" not in r.headers["location"]
    # switched to English before the page is shown: said in English
    en = admin.get(r.headers["location"] + "&lang=en", headers=HTML).text
    assert _said(en) == [f"#{row['id']} discarded"]
    assert _said(admin.get(r.headers["location"], headers=HTML).text) == []  # once
    r = admin.post(f"/staff/feeds/quarantine/reprocess?{FILTERS}", data={"interface": "blood_donation"})
    (said,) = _said(admin.get(r.headers["location"] + "&lang=zh-CN", headers=HTML).text)
    assert said.startswith("重新处理 ")


def test_a_message_not_signed_for_this_session_or_too_old_is_not_shown(city: City, admin: TestClient) -> None:
    from moralbank.web import flash

    row = city.quarantined("bad_date")
    r = admin.post(f"/staff/feeds/quarantine/{row['id']}/discard?{FILTERS}", data={"reason": "部门撤回"})
    cookie, session = admin.cookies.get(flash.COOKIE), admin.cookies.get(SESSION_COOKIE)
    body, _, signature = cookie.partition(".")

    def said_to(session: str, cookie: str) -> list[str]:
        sent = f"{SESSION_COOKIE}={session}; {flash.COOKIE}={cookie}".encode()  # as a browser sends it
        page = TestClient(create_app(city.container)).get(
            r.headers["location"], headers={**HTML, "cookie": sent}
        )
        return _said(page.text)

    assert said_to(session, cookie) == [f"#{row['id']} 已作废"]  # as set
    for forged in (f"{body}.{'0' * 64}", f"{body[:-4]}AAAA.{signature}", "x", f"{body}.签名"):
        assert said_to(session, forged) == [], forged
    with city.container.uow() as uow:  # another staff member's browser
        auth.create_user(
            uow, username="li", display_name="李", role=Role.CITY_ADMIN, password="a long password 2"
        )
        other = auth.user_session(uow, username="li").token
        uow.commit()
    assert said_to(other, cookie) == []
    city.container.clock.advance(seconds=flash.MAX_AGE + 1)
    assert said_to(session, cookie) == []  # too old
