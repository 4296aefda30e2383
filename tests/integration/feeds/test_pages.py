"""The staff pages of the data interfaces as an administrator uses them: the quarantine keeps its
filters through every action, refuses empty fixes and reasonless discards, and both pages speak the
page's language — no internal codes in the text."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.feeds import domain
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE

from .conftest import City

HTML = {"accept": "text/html"}
FILTERS = "interface=blood_donation&status=pending"
CODES = re.compile(
    r"\b(pending|open|fixed|discarded|reprocessed|running|done|file|push|pull|requeue|"
    + "|".join(domain.REASONS)
    + r")\b"
)
REASON_CODES = re.compile(r"\b(" + "|".join(domain.REASONS) + r")\b")


@pytest.fixture
def admin(city: City, tmp_path: Path) -> TestClient:
    for name in ("blood_donation", "volunteer_hours"):
        import_file(
            city.container, interface=name, path=city.write(tmp_path / f"{name}.csv", name, 20, bad=9)
        )
    with city.container.uow() as uow:
        auth.create_user(
            uow, username="admin", display_name="市管理员", role=Role.CITY_ADMIN, password="a long password 1"
        )
        s = auth.user_session(uow, username="admin")
        uow.commit()
    client = TestClient(create_app(city.container), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, s.token)
    return client


def _row(city: City, reason: str) -> dict:
    with city.container.uow(write=False) as uow:
        return next(
            r for r in feeds.quarantine_list(uow, interface="blood_donation") if r["reason"] == reason
        )


def _text(html: str) -> str:
    """What a reader sees: no tags, no attribute values, no scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]*>", " ", html))


def _kept(location: str) -> dict[str, list[str]]:
    url = urlsplit(location)
    assert url.path == "/staff/feeds/quarantine"
    return parse_qs(url.query)


def test_every_action_keeps_the_filters(city: City, admin: TestClient) -> None:
    bad_date, wrong = _row(city, "bad_date"), _row(city, "wrong_type")
    values = {f"f_{k}": v or "" for k, v in bad_date["values"].items()}
    r = admin.post(
        f"/staff/feeds/quarantine/{bad_date['id']}/fix?{FILTERS}",
        data={**values, "f_donated_on": "2026-11-02"},
    )
    assert r.status_code == 303
    kept = _kept(r.headers["location"])
    assert kept["interface"] == ["blood_donation"] and kept["status"] == ["pending"]
    r = admin.post(f"/staff/feeds/quarantine/{wrong['id']}/discard?{FILTERS}", data={"reason": "测试数据"})
    assert _kept(r.headers["location"])["interface"] == ["blood_donation"]
    r = admin.post(f"/staff/feeds/quarantine/reprocess?{FILTERS}", data={"interface": "blood_donation"})
    kept = _kept(r.headers["location"])
    assert kept["interface"] == ["blood_donation"] and kept["status"] == ["pending"]
    page = admin.get(r.headers["location"], headers=HTML).text
    assert "入库 1" in _text(page)
    # only blood donation was reprocessed: the filter is what the button acts on
    with city.container.uow(write=False) as uow:
        assert {
            r["status"] for r in feeds.quarantine_list(uow, interface="volunteer_hours", status=None)
        } == {"open"}
    # the page's forms post back with the filters
    page = admin.get(f"/staff/feeds/quarantine?{FILTERS}&reason=bad_id_number", headers=HTML).text
    actions = re.findall(r'action="(/staff/feeds/quarantine/[^"]+)"', page)
    assert actions and all("interface=blood_donation" in unescape(a) for a in actions)
    assert all("reason=bad_id_number" in unescape(a) for a in actions)


def test_a_blank_fix_is_refused_naming_the_field(city: City, admin: TestClient) -> None:
    ragged = _row(city, "ragged_row")
    blank = {f"f_{k}": "" for k in feeds.get_interface("blood_donation").field_names}
    r = admin.post(f"/staff/feeds/quarantine/{ragged['id']}/fix?{FILTERS}", data=blank)
    assert r.status_code == 303 and _kept(r.headers["location"])["interface"] == ["blood_donation"]
    shown = admin.get(r.headers["location"], headers=HTML).text
    alert = _text(re.search(r'<p class="card error" role="alert">.*?</p>', shown, re.S).group(0))
    assert f"#{ragged['id']}" in alert and "献血日期" in alert and "已修正" not in alert
    assert _row(city, "ragged_row")["status"] == "open"
    en = admin.get(r.headers["location"] + "&lang=en", headers=HTML).text
    assert "Donated on" in _text(re.search(r'role="alert">.*?</p>', en, re.S).group(0))


def test_a_discard_needs_a_reason_and_a_confirmation(city: City, admin: TestClient) -> None:
    row = _row(city, "bad_date")
    page = admin.get(f"/staff/feeds/quarantine?{FILTERS}", headers=HTML).text
    form = re.search(
        rf'<form[^>]*action="/staff/feeds/quarantine/{row["id"]}/discard[^"]*"[^>]*>.*?</form>', page, re.S
    )
    assert (
        form
        and "confirm(" in form.group(0)
        and re.search(r"<input[^>]*name=\"reason\"[^>]*required", form.group(0))
    )
    r = admin.post(f"/staff/feeds/quarantine/{row['id']}/discard?{FILTERS}", data={"reason": " "})
    assert r.status_code == 303 and "err" in _kept(r.headers["location"])
    assert _row(city, "bad_date")["status"] == "open"
    admin.post(
        f"/staff/feeds/quarantine/{row['id']}/discard?{FILTERS}", data={"reason": "部门撤回了这条记录"}
    )
    gone = admin.get("/staff/feeds/quarantine?interface=blood_donation&status=discarded", headers=HTML).text
    assert "部门撤回了这条记录" in _text(gone)


def test_the_pages_speak_chinese_without_internal_codes(city: City, admin: TestClient) -> None:
    admin.post("/staff/feeds/quarantine/reprocess", data={})
    for url in ("/staff/feeds/quarantine?status=all", "/staff/feeds"):
        text = _text(admin.get(url, headers=HTML).text)
        assert CODES.findall(text) == [], url
    text = _text(admin.get("/staff/feeds/quarantine?status=all", headers=HTML).text)
    assert "日期无效" in text and "待处理" in text and "无偿献血" in text
    health = _text(admin.get("/staff/feeds", headers=HTML).text)
    assert "已完成" in health and "重新处理" in health and "无偿献血" in health


def test_the_pages_speak_english_with_the_english_interface_names(city: City, admin: TestClient) -> None:
    page = admin.get("/staff/feeds/quarantine?status=all&lang=en", headers=HTML).text
    options = re.search(r'<select name="interface">.*?</select>', page, re.S).group(0)
    assert "Blood donation" in options and "无偿献血" not in options
    text = _text(page)
    assert REASON_CODES.findall(text) == [] and "[open]" not in text
    assert "Blood donation" in text and "无偿献血" not in text and "Invalid date" in text
    health = _text(admin.get("/staff/feeds?lang=en", headers=HTML).text)
    assert "Blood donation" in health and "无偿献血" not in health and "Ningbo Blood Centre" in health
    assert "Done" in health and "File" in health
