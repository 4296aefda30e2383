"""The words of the feeds staff pages, in both languages: punctuation of the page's language, no
"1 rows", a button that says what it does, titles like the other pages', figures with their
thousands grouped, codes chosen from a list, and a length refusal that gives the limit."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import update

from moralbank.feeds.models import FeedHealthDay, FeedImport

from .conftest import City

HTML = {"accept": "text/html"}
FILTERS = "interface=blood_donation&status=pending"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", html)).split())


def _section(page: str, qid: int) -> str:
    return re.search(rf'<section[^>]*id="q{qid}".*?</section>', page, re.S).group(0)


def _title(page: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))


def _alert(page: str) -> str:
    return _text(re.search(r'role="alert">(.*?)</p>', page, re.S).group(1))


def test_a_discard_reason_a_reprocess_and_the_button_read_right_in_each_language(
    city: City, admin: TestClient
) -> None:
    row = city.quarantined("bad_date")
    admin.post(
        f"/staff/feeds/quarantine/{row['id']}/discard?{FILTERS}",
        data={"reason": "the department withdrew it"},
    )
    discarded = "/staff/feeds/quarantine?status=discarded"
    assert "Reason for discarding: the department withdrew it" in _text(
        _section(admin.get(discarded + "&lang=en", headers=HTML).text, row["id"])
    )
    assert "作废原因：the department withdrew it" in _text(
        _section(admin.get(discarded + "&lang=zh-CN", headers=HTML).text, row["id"])
    )
    fixed = city.quarantined("wrong_type")
    values = {f"f_{k}": v or "" for k, v in fixed["values"].items() if k not in fixed["masked"]}
    admin.post(f"/staff/feeds/quarantine/{fixed['id']}/fix?{FILTERS}", data={**values, "f_volume_ml": "300"})
    r = admin.post(f"/staff/feeds/quarantine/reprocess?{FILTERS}", data={"interface": "blood_donation"})
    page = admin.get(r.headers["location"] + "&lang=en", headers=HTML).text
    said = _text(re.search(r'role="status">(.*?)</p>', page, re.S).group(1))
    assert said.startswith("Rows reprocessed: ") and "Taken in: 1;" in said and " rows" not in said
    assert "open and fixed" in _text(
        re.search(r'<button[^>]*id="reprocess".*?</button>', page, re.S).group(0)
    )
    zh = admin.get(f"/staff/feeds/quarantine?{FILTERS}&lang=zh-CN", headers=HTML).text
    assert "未修正和已修正" in _text(re.search(r'<button[^>]*id="reprocess".*?</button>', zh, re.S).group(0))


def test_the_titles_end_with_the_name_of_the_site(admin: TestClient) -> None:
    for url, zh, en in (
        ("/staff/feeds", "数据接口运行状况 · 道德银行", "Data interface health · Moral Bank"),
        ("/staff/feeds/quarantine", "数据隔离区 · 道德银行", "Quarantine · Moral Bank"),
    ):
        assert _title(admin.get(url + "?lang=zh-CN", headers=HTML).text) == zh
        assert _title(admin.get(url + "?lang=en", headers=HTML).text) == en


def test_figures_have_their_thousands_grouped(city: City, admin: TestClient) -> None:
    with city.container.uow() as uow:  # a Yuyao year: 444,444 records of blood donation
        for table in (FeedHealthDay, FeedImport):
            uow.db.execute(
                update(table).values(received=table.received * 22_222, accepted=table.accepted * 22_222)
            )
        uow.commit()
    for lang in ("zh-CN", "en"):
        page = admin.get(f"/staff/feeds?lang={lang}", headers=HTML).text
        row = _text(re.search(r'<tr data-interface="blood_donation">.*?</tr>', page, re.S).group(0))
        assert "444,440" in row and "244,442" in row, row
        imports = _text(re.search(r'<table[^>]*id="imports".*?</table>', page, re.S).group(0))
        assert "444,440" in imports


def test_a_code_is_chosen_from_the_interfaces_list(city: City, admin: TestClient) -> None:
    row = city.quarantined("unknown_code")
    section = _section(admin.get(f"/staff/feeds/quarantine?{FILTERS}", headers=HTML).text, row["id"])
    select = re.search(r'<select name="f_kind"[^>]*>(.*?)</select>', section, re.S)
    assert select and 'name="f_kind" value' not in section
    options = re.findall(r'<option value="([^"]*)"( selected)?>', select.group(1))
    assert options == [("X_UNKNOWN", " selected"), ("whole_blood", ""), ("platelets", "")]
    values = {f"f_{k}": v or "" for k, v in row["values"].items() if k not in row["masked"]}
    refused = admin.post(f"/staff/feeds/quarantine/{row['id']}/fix?{FILTERS}", data=values, headers=HTML).text
    assert _alert(refused).endswith("献血类型：“X_UNKNOWN”不是本接口定义的代码，请从列表中选择")


def test_a_value_too_long_is_refused_with_the_limit(city: City, admin: TestClient) -> None:
    row = city.quarantined("bad_date")
    values = {f"f_{k}": v or "" for k, v in row["values"].items() if k not in row["masked"]}
    page = admin.get(f"/staff/feeds/quarantine?{FILTERS}", headers=HTML).text
    assert re.search(r'<input name="f_record_id" value="[^"]*" maxlength="128"', _section(page, row["id"]))
    typed = {**values, "f_record_id": "R" * 200, "f_donated_on": "2026-11-01"}
    url = f"/staff/feeds/quarantine/{row['id']}/fix?{FILTERS}"
    assert _alert(admin.post(url, data=typed, headers=HTML).text).endswith(
        "记录编号：内容过长：共 200 个字符，该字段最多 128 个"
    )
    assert _alert(admin.post(url + "&lang=en", data=typed, headers=HTML).text).endswith(
        "Record id: too long: 200 characters where the field takes at most 128"
    )
