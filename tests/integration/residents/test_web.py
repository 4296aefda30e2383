"""Residents and orgs over HTTP: scope, the access log, the resident's own page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.residents import service as residents
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.residents.conftest import number


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def people(city: Container) -> dict[str, str]:
    with city.uow() as uow:
        ids = {
            "mine": residents.enrol(
                uow,
                principal=SYSTEM,
                name="张光明",
                id_number=number(1980, 1),
                grid="330281001001-G01",
                consent_text_version="v1",
                phone="13900000001",
            ),
            "other": residents.enrol(
                uow,
                principal=SYSTEM,
                name="李东方",
                id_number=number(1981, 3),
                grid="330281001002-G01",
                consent_text_version="v1",
            ),
        }
        for username, role, unit in [
            ("village1", "village_officer", "330281001001"),
            ("admin", "city_admin", None),
        ]:
            auth.create_user(
                uow,
                username=username,
                display_name=username,
                role=role,
                password="a long test password",
                unit_code=unit,
            )
        uow.commit()
    return ids


def client_as(
    container: Container, *, username: str | None = None, resident_id: str | None = None
) -> TestClient:
    with container.uow() as uow:
        sign = (
            auth.user_session(uow, username=username)
            if username
            else auth.resident_session(uow, resident_id=resident_id or "")
        )
        uow.commit()
    client = TestClient(create_app(container))
    client.cookies.set(SESSION_COOKIE, sign.token)
    return client


def test_a_village_officer_sees_their_village_and_not_another(
    city: Container, people: dict[str, str]
) -> None:
    c = client_as(city, username="village1")
    listed = c.get("/api/residents").json()
    assert [r["id"] for r in listed] == [people["mine"]]
    assert c.get(f"/api/residents/{people['mine']}", params={"why": "home visit"}).json()["name"] == "张光明"
    assert c.get(f"/api/residents/{people['other']}").status_code == 404
    page = c.get("/residents", params={"name": "张"}, headers={"accept": "text/html"})
    assert "张光明" in page.text and "李东方" not in page.text
    assert "张光明" in c.get(f"/residents/{people['mine']}", headers={"accept": "text/html"}).text
    with city.uow() as uow:
        whys = {e.why for e in auth_log(uow, people["mine"])}
    assert {"home visit", "居民名单查询", "查看居民档案"} <= whys


def auth_log(uow, resident_id: str):  # noqa: ANN001, ANN201
    from moralbank.audit import service as audit

    return audit.list_for_resident(uow, resident_id=resident_id)


def test_the_org_tree_is_browsable_and_only_the_city_admin_changes_it(
    city: Container, people: dict[str, str]
) -> None:
    officer = client_as(city, username="village1")
    page = officer.get("/orgs", headers={"accept": "text/html"})  # starts at the officer's own unit
    assert "光明社区" in page.text and "一网格" in page.text and "二网格" in page.text
    assert "一网格" in officer.get("/orgs/330281001001/children").text
    # resident counts: the village and its first grid hold one resident each, the second grid none
    assert "居民 1 人" in page.text.split("下级单位")[0]
    grids = officer.get("/orgs/330281001001/children").text
    assert grids.index("一网格") < grids.index("居民 1 人") < grids.index("二网格") < grids.index("居民 0 人")
    admin_en = client_as(city, username="admin")
    assert "2 residents" in admin_en.get("/orgs", params={"code": "330281001", "lang": "en"}).text
    assert officer.get("/orgs", params={"code": "330281001002"}).status_code == 404  # another village
    assert officer.get("/orgs/330281001002/children").status_code == 404
    new = {"code": "330281001001-G03", "name_zh": "三网格", "level": "grid", "parent": "330281001001"}
    assert officer.post("/api/orgs", json=new).status_code == 403
    admin = client_as(city, username="admin")
    assert admin.post("/api/orgs", json=new).status_code == 201
    assert admin.post("/api/orgs/330281001001/move", json={"parent": "330281001001-G01"}).status_code == 422
    units = admin.get("/api/orgs", params={"under": "330281001001"}).json()
    assert "330281001001-G03" in {u["code"] for u in units}


def test_a_resident_manages_consent_downloads_data_corrects_and_withdraws(
    city: Container, people: dict[str, str]
) -> None:
    me = people["mine"]
    c = client_as(city, resident_id=me)
    page = c.get("/me")
    assert "张光明" in page.text and "330281********" in page.text
    r = c.post(
        "/me/consents",
        data={"kind": "purpose", "subject": "bank_credit", "granted": "true"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with city.uow() as uow:
        assert residents.has_consent(uow, resident_id=me, purpose="bank_credit")
    c.post("/me/consents", data={"kind": "purpose", "subject": "bank_credit", "granted": "false"})
    data = c.get("/me/export.json")
    assert "attachment" in data.headers["content-disposition"]
    body = data.json()
    assert body["profile"]["id_number"] == number(1980, 1)
    assert [x["granted"] for x in body["consents"]] == [True, False]
    assert c.get(f"/api/residents/{people['other']}").status_code == 404
    c.post("/me/corrections", data={"field": "name", "value": "张广明", "reason": "错字"})
    officer = client_as(city, username="village1")
    pending = officer.get("/api/residents/corrections").json()
    assert [p["requested_value"] for p in pending] == ["张广明"]
    officer.post(f"/api/residents/corrections/{pending[0]['id']}/decision", json={"accept": True})
    assert "张广明" in c.get("/me").text
    assert c.post("/me/withdraw", data={"confirm": "true"}, follow_redirects=False).status_code == 303
    with city.uow() as uow:
        assert residents.counts(uow).get("withdrawn") == 1


def test_pages_speak_english_when_asked(city: Container, people: dict[str, str]) -> None:
    c = client_as(city, resident_id=people["mine"])
    page = c.get("/me", params={"lang": "en"}).text
    assert "My consents" in page and "Download all my data" in page and "Leave the moral bank" in page
    assert "Share my score with partner banks" in page


def test_staff_find_a_resident_by_id_and_reach_the_portrait_from_the_profile(
    city: Container, people: dict[str, str]
) -> None:
    officer = client_as(city, username="village1")
    found = officer.get("/residents", params={"q": people["mine"].lower()}, headers={"accept": "text/html"})
    as_trails_write_it = officer.get("/residents", params={"q": f"resident:{people['mine']}"})
    assert str(as_trails_write_it.url).endswith(f"/residents/{people['mine']}")
    assert found.status_code == 200 and str(found.url).endswith(f"/residents/{people['mine']}")
    assert f'href="/residents/{people["mine"]}/portrait"' in found.text
    other = officer.get("/residents", params={"q": people["other"]}, headers={"accept": "text/html"})
    assert other.status_code == 404  # outside the officer's village, as when typed in the address bar


def test_the_language_switch_keeps_the_page_and_its_filters(city: Container, people: dict[str, str]) -> None:
    officer = client_as(city, username="village1")
    page = officer.get(
        "/residents", params={"grid": "330281001001-G01", "page": "1"}, headers={"accept": "text/html"}
    )
    assert 'href="/residents?grid=330281001001-G01&amp;page=1&amp;lang=en"' in page.text
    english = officer.get("/residents", params={"grid": "330281001001-G01", "lang": "en"})
    assert 'href="/residents?grid=330281001001-G01&amp;lang=zh-CN"' in english.text


def test_a_malformed_value_on_a_page_gets_a_page_not_json(city: Container, people: dict[str, str]) -> None:
    officer = client_as(city, username="village1")
    page = officer.get("/residents", params={"page": "abc"}, headers={"accept": "text/html"})
    assert page.status_code == 422 and page.headers["content-type"].startswith("text/html")
    assert "请求中的值不对：page" in page.text
    api = officer.get("/api/residents", params={"limit": "abc"})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "limit"]
    # a negative offset failed on PostgreSQL (500) and a negative limit meant "no limit" on SQLite
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": -1}):
        api = officer.get("/api/residents", params=bad)
        assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", *bad], bad


def test_a_resident_sees_who_read_their_data(city: Container, people: dict[str, str]) -> None:
    client_as(city, username="village1").get(f"/residents/{people['mine']}", headers={"accept": "text/html"})
    with city.uow() as uow:
        residents.phones_for_notice(uow, resident_ids=[people["mine"]])
        uow.commit()
    me = client_as(city, resident_id=people["mine"])
    page = me.get("/me/access-log", headers={"accept": "text/html"}).text
    rows = page.split("<tbody>")[1]
    assert "个人档案" in rows and "查看居民档案" in rows  # the officer's read of the profile
    assert "系统" in rows and "手机号码" in rows and "发送短信通知" in rows  # the SMS notice's phone read
    english = me.get("/me/access-log", params={"lang": "en"}).text
    assert (
        "Sending an SMS notice" in english and "Mobile number" in english and "Checking consents" in english
    )


def test_a_page_answering_a_form_switches_language_to_the_form_page(
    city: Container, people: dict[str, str]
) -> None:
    client = TestClient(create_app(city))
    page = client.post(
        "/login/resident/code",
        data={"phone": "123"},
        headers={"accept": "text/html", "referer": "http://testserver/login/resident?next=/me"},
    )
    assert 'href="/login/resident?next=%2Fme&amp;lang=en"' in page.text
    page = client.post(
        "/login/resident/code", data={"phone": "123"}, headers={"referer": "http://elsewhere.example/x"}
    )
    assert 'href="/?lang=en"' in page.text  # never back to another site


def test_an_unknown_address_gets_a_page_in_a_browser_and_json_elsewhere(
    city: Container, people: dict[str, str]
) -> None:
    client = TestClient(create_app(city))
    page = client.get("/no/such/page", headers={"accept": "text/html"})
    assert page.status_code == 404 and "没有这个页面。" in page.text
    assert (
        "There is no such page." in client.get("/no/such/page?lang=en", headers={"accept": "text/html"}).text
    )
    assert client.get("/api/no/such/thing").json() == {"detail": "Not Found"}


def test_the_consent_history_on_a_profile_is_in_words(city: Container, people: dict[str, str]) -> None:
    with city.uow() as uow:
        residents.grant_consent(
            uow, resident_id=people["mine"], principal=SYSTEM, text_version="v1", interface="bank_repayment"
        )
        uow.commit()
    officer = client_as(city, username="village1")
    page = officer.get(f"/residents/{people['mine']}", headers={"accept": "text/html"}).text
    history = page.split("授权记录")[1].split("</ul>")[0]
    assert "interface:" not in history and "bank_repayment" not in history
    assert "数据接口 · " in history


def test_a_refused_form_on_my_page_comes_back_with_what_was_typed(
    city: Container, people: dict[str, str]
) -> None:
    me = client_as(city, resident_id=people["mine"])
    page = me.post("/me/corrections", data={"field": "phone", "value": " ", "reason": "换了号码"})
    assert page.status_code == 422 and "换了号码" in page.text and 'value="phone" selected' in page.text
    assert "say what the correct value is" not in page.text  # in Chinese on a Chinese page
    page = me.post("/me/withdraw", data={"reason": "搬走了"})
    assert page.status_code == 422 and 'value="搬走了"' in page.text and "请勾选确认框以确认退出" in page.text
    with city.uow() as uow:  # nothing was stored and the resident is still enrolled
        assert residents.corrections(uow, principal=SYSTEM, resident_id=people["mine"]) == []


def test_asking_for_a_code_too_soon_does_not_also_say_one_was_sent(
    city: Container, people: dict[str, str]
) -> None:
    client = TestClient(create_app(city))
    first = client.post(
        "/login/resident/code", data={"phone": "13900000001"}, headers={"accept": "text/html"}
    )
    assert "如果该号码已登记，验证码已发送" in first.text
    again = client.post(
        "/login/resident/code", data={"phone": "13900000001"}, headers={"accept": "text/html"}
    )
    assert again.status_code == 429 and "发送太频繁" in again.text and "验证码已发送" not in again.text
