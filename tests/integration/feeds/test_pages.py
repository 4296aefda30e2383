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

from moralbank.auth.domain import SYSTEM
from moralbank.feeds import domain
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file

from .conftest import READING_BROKE_OFF, City, break_off_reading

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
    return city.admin_client()


def _text(html: str) -> str:
    """What a reader sees: no tags, no attribute values, no scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]*>", " ", html))


def _kept(location: str) -> dict[str, list[str]]:
    url = urlsplit(location)
    assert url.path == "/staff/feeds/quarantine"
    return parse_qs(url.query)


def test_every_action_keeps_the_filters(city: City, admin: TestClient) -> None:
    bad_date, wrong = city.quarantined("bad_date"), city.quarantined("wrong_type")
    values = {f"f_{k}": v or "" for k, v in bad_date["values"].items() if k not in bad_date["masked"]}
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
            r["status"]
            for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="volunteer_hours", status=None)
        } == {"open"}
    # the page's forms post back with the filters
    page = admin.get(f"/staff/feeds/quarantine?{FILTERS}&reason=bad_id_number", headers=HTML).text
    actions = re.findall(r'action="(/staff/feeds/quarantine/[^"]+)"', page)
    assert actions and all("interface=blood_donation" in unescape(a) for a in actions)
    assert all("reason=bad_id_number" in unescape(a) for a in actions)


def test_a_blank_fix_is_refused_naming_the_field(city: City, admin: TestClient) -> None:
    ragged = city.quarantined("ragged_row")
    blank = {f"f_{k}": "" for k in feeds.get_interface("blood_donation").field_names}
    r = admin.post(f"/staff/feeds/quarantine/{ragged['id']}/fix?{FILTERS}", data=blank, headers=HTML)
    assert r.status_code == 422  # the page again, in place of the refused fix, with the filters
    assert re.search(r'<select name="interface">.*?value="blood_donation" selected', r.text, re.S)
    alert = _text(re.search(r'<p class="card error" role="alert">.*?</p>', r.text, re.S).group(0))
    assert f"#{ragged['id']}" in alert and "献血日期" in alert and "已修正" not in alert
    assert city.quarantined("ragged_row")["status"] == "open"
    en = admin.post(
        f"/staff/feeds/quarantine/{ragged['id']}/fix?{FILTERS}&lang=en", data=blank, headers=HTML
    ).text
    assert "Donated on" in _text(re.search(r'role="alert">.*?</p>', en, re.S).group(0))


def test_a_discard_needs_a_reason_and_a_confirmation(city: City, admin: TestClient) -> None:
    row = city.quarantined("bad_date")
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
    assert r.status_code == 422 and 'role="alert"' in r.text
    assert city.quarantined("bad_date")["status"] == "open"
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


CJK = re.compile(r"[\u4e00-\u9fff]")


def _section(page: str, qid: int) -> str:
    return _text(re.search(rf'<section[^>]*id="q{qid}".*?</section>', page, re.S).group(0))


def _details(page: str) -> list[str]:
    """The problem detail of each row: what follows the reason's words."""
    rows = re.findall(
        r'<section class="card quarantine-row".*?<p><strong>.*?</strong> — (.*?) · <span', page, re.S
    )
    return [" ".join(unescape(d).split()) for d in rows]


def test_a_reprocessed_row_says_it_is_held_for_consent(city: City, admin: TestClient, tmp_path: Path) -> None:
    p = city.write(tmp_path / "nine.csv", "blood_donation", 12, bad=9, seed=7, people=[city.id_numbers[9]])
    import_file(city.container, interface="blood_donation", path=p)
    with city.container.uow(write=False) as uow:
        row = next(
            r
            for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
            if r["reason"] == "bad_date" and r["file"] == "nine.csv"
        )
    values = {f"f_{k}": v or "" for k, v in row["values"].items() if k not in row["masked"]}
    admin.post(
        f"/staff/feeds/quarantine/{row['id']}/fix?{FILTERS}", data={**values, "f_donated_on": "2026-11-01"}
    )
    r = admin.post(f"/staff/feeds/quarantine/reprocess?{FILTERS}", data={"interface": "blood_donation"})
    assert "待授权 1" in _text(admin.get(r.headers["location"], headers=HTML).text)
    zh = _section(admin.get("/staff/feeds/quarantine?status=all", headers=HTML).text, row["id"])
    assert "待居民授权" in zh and "已重新处理入库" not in zh
    en = _section(admin.get("/staff/feeds/quarantine?status=all&lang=en", headers=HTML).text, row["id"])
    assert "held until the resident consents" in en and "taken in" not in en


def test_a_refused_fix_names_every_field_by_the_interfaces_label(city: City, admin: TestClient) -> None:
    row = city.quarantined("bad_date")
    values = {f"f_{k}": v or "" for k, v in row["values"].items() if k not in row["masked"]}
    url = f"/staff/feeds/quarantine/{row['id']}/fix?{FILTERS}"
    typed = {**values, "f_donated_on": "", "f_kind": ""}
    r = admin.post(url, data=typed, headers=HTML)
    alert = " ".join(_text(re.search(r'role="alert">.*?</p>', r.text, re.S).group(0)).split())
    assert "献血日期：必填，不能为空；献血类型：必填，不能为空" in alert
    assert (
        "donated_on" not in alert
        and "kind" not in alert
        and "字段" not in alert.replace("需要更正的字段", "")
    )
    en = admin.post(url + "&lang=en", data=typed, headers=HTML).text
    alert = " ".join(_text(re.search(r'role="alert">.*?</p>', en, re.S).group(0)).split())
    assert "Donated on: required, cannot be empty; Kind: required, cannot be empty" in alert
    assert not CJK.search(alert)


def test_problem_details_read_in_the_page_language(city: City, admin: TestClient, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b'{"record_id": "J-1",\n["J-2"]\n{"record_id": "J-3", "x": "\xff"}\n')
    import_file(city.container, interface="blood_donation", path=broken)
    zh = _details(admin.get("/staff/feeds/quarantine?status=all", headers=HTML).text)
    assert {"本行有 6 个单元格，而表头有 5 列", "“十二”不是整数", "每行须为一个 JSON 对象"} <= set(zh)
    assert any(d.startswith("含有不符合") for d in zh) and any(d.startswith("JSON 有误") for d in zh)
    words = [re.sub(r"“[^”]*”|JSON|UTF-8|GB \d+", "", d) for d in zh]  # without the quoted values and names
    assert [w for w in words if re.search(r"[A-Za-z]{2,}", w)] == []
    en = _details(admin.get("/staff/feeds/quarantine?status=all&lang=en", headers=HTML).text)
    assert {
        "6 cells where the header has 5",
        "“十二” is not a whole number",
        "a line is one JSON object",
    } <= set(en)
    assert [d for d in en if CJK.search(re.sub(r"“[^”]*”", "", d))] == []


def test_a_discard_says_who_discarded_in_words(city: City, admin: TestClient) -> None:
    by_admin, by_someone = city.quarantined("bad_date"), city.quarantined("wrong_type")
    admin.post(f"/staff/feeds/quarantine/{by_admin['id']}/discard?{FILTERS}", data={"reason": "部门撤回"})
    with city.container.uow() as uow:
        feeds.quarantine_discard(uow, quarantine_id=by_someone["id"], actor="cli:ops", reason="测试数据")
        uow.commit()
    page = admin.get("/staff/feeds/quarantine?status=discarded", headers=HTML).text
    assert "作废原因：部门撤回 — 市管理员" in _section(page, by_admin["id"])
    assert "作废原因：测试数据 — 工作人员" in _section(page, by_someone["id"])
    assert "user:" not in _text(page) and "cli:ops" not in _text(page)


def test_values_out_of_range_too_long_and_stopped_imports_read_in_words(
    city: City, admin: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = city.id_numbers[0]
    rows = tmp_path / "vh.jsonl"
    rows.write_text(
        f'{{"record_id": "V-1", "id_number": "{person}", "served_on": "2026-11-01", "hours": "-4"}}\n'
        f'{{"record_id": "{"V" * 200}", "id_number": "{person}", "served_on": "2026-11-01", "hours": "2"}}\n',
        encoding="utf-8",
    )
    import_file(city.container, interface="volunteer_hours", path=rows)
    stopped = tmp_path / "stopped.csv"
    stopped.write_text(
        f"record_id,id_number,served_on,hours,activity\nV-8,{person},2026-11-01,2,\n"
        f"V-9,{person},2026-11-01,2,\n"
    )
    break_off_reading(monkeypatch)
    with pytest.raises(OSError, match=READING_BROKE_OFF):
        import_file(city.container, interface="volunteer_hours", path=stopped)
    with city.container.uow(write=False) as uow:
        reasons = [
            r["reason"] for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="volunteer_hours")
        ]
    assert {domain.OUT_OF_RANGE, domain.TOO_LONG} <= set(reasons), reasons
    page = admin.get("/staff/feeds/quarantine?interface=volunteer_hours&status=all", headers=HTML).text
    zh = _details(page)
    assert "“-4”超出允许范围（0 至 1,000,000,000,000,000）" in zh
    assert any(d.endswith("过长（最多 128 个字符）") for d in zh)
    assert {"数值超出允许范围", "内容过长"} <= set(re.findall(r"<strong>(.*?)</strong>", page))
    assert REASON_CODES.search(_text(page)) is None
    en = _details(
        admin.get("/staff/feeds/quarantine?interface=volunteer_hours&status=all&lang=en", headers=HTML).text
    )
    assert "“-4” is out of range (0 to 1,000,000,000,000,000)" in en
    overview = _text(admin.get("/staff/feeds?lang=zh-CN", headers=HTML).text)
    assert "因错误中止" in overview and "failed" not in overview
    assert f"OSError: {READING_BROKE_OFF}" in overview  # why it stopped, as the reader said
