"""The policy API and the public catalogue page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.policy import service
from moralbank.web.app import create_app

PASSWORD = "a long test password"
HTML = {"accept": "text/html"}


def _signed_in(c: Container, role: Role, unit: str | None) -> TestClient:
    with c.uow() as uow:
        orgs.create(uow, code="330281", name_zh="余姚市", level="city", parent=None, actor="test")
        if unit and unit != "330281":
            orgs.create(uow, code=unit, name_zh="梨洲街道", level="township", parent="330281", actor="test")
        auth.create_user(
            uow, username="u1", display_name="政策管理员", role=role, unit_code=unit, password=PASSWORD
        )
        uow.commit()
    client = TestClient(create_app(c), follow_redirects=False)
    r = client.post("/login", data={"username": "u1", "password": PASSWORD})
    assert r.status_code == 303, r.text
    return client


def test_the_catalogue_is_public(container: Container) -> None:
    client = TestClient(create_app(container))
    body = client.get("/api/policy").json()
    assert body["version"]["version"] == 1 and body["version"]["active"]
    policy = body["policy"]
    assert len(policy["indicators"]) == 20
    assert {i["code"]: i["points"] for i in policy["indicators"]}["SM05"] == -100
    assert [t["code"] for t in policy["score"]["tiers"]][0] == "green"
    assert client.get("/api/policy/indicators").json()[0]["basis_zh"]
    assert [v["version"] for v in client.get("/api/policy/versions").json()] == [1]
    assert client.get("/api/policy/versions/1").json()["policy"]["sha256"] == body["policy"]["sha256"]
    assert client.get("/api/policy/versions/1/source").text == service.default_text()
    assert client.get("/api/policy/versions/5").status_code == 404


def test_city_admin_checks_and_applies_and_everyone_sees_the_diff(container: Container) -> None:
    client = _signed_in(container, Role.CITY_ADMIN, "330281")
    assert client.get("/api/policy").json()["version"]["version"] == 1  # the default, installed on first use
    text = service.default_text().replace("name_zh: 美丽庭院", "name_zh: 整洁庭院")
    donation = text.replace("category: honour", "category: donation")
    r = client.post("/api/policy/check", json={"text": donation})
    assert r.status_code == 200
    problems = r.json()["problems"]
    assert not r.json()["valid"] and problems[0]["field"].endswith(".category") and problems[0]["line"]

    r = client.post("/api/policy", json={"text": text, "note": "庭院 renamed"})
    assert r.status_code == 200, r.text
    assert r.json()["version"]["version"] == 2 and "政策管理员" in r.json()["version"]["author"]
    bad = client.post("/api/policy", json={"text": text.replace("serious: 36}", "serious: 99}")})
    assert bad.status_code == 422 and bad.json()["problems"][0]["line"]

    public = TestClient(create_app(container))
    changes = public.get("/api/policy/diff", params={"old": 1, "new": 2}).json()
    assert changes == [
        {
            "kind": "changed",
            "what": "indicator",
            "code": "FV02",
            "fields": [{"field": "name_zh", "old": "美丽庭院", "new": "整洁庭院"}],
        }
    ]
    assert public.post("/api/policy", json={"text": text}).status_code == 401


def test_only_the_city_admin_applies(container: Container) -> None:
    client = _signed_in(container, Role.TOWNSHIP_OFFICER, "330281001")
    r = client.post("/api/policy", json={"text": service.default_text()})
    assert r.status_code == 403


def test_catalogue_page_in_chinese_and_english(container: Container) -> None:
    client = TestClient(create_app(container))
    zh = client.get("/policy", headers=HTML)
    assert zh.status_code == 200
    assert "积分指标公示目录" in zh.text and "志愿服务" in zh.text and "社会公德" in zh.text
    assert "《余姚市道德积分管理办法》第八条" in zh.text
    en = client.get("/policy?lang=en", headers=HTML)
    assert "Published indicator catalogue" in en.text and "Volunteer service" in en.text
    assert "Measures Art. 8(1)" in en.text and "Your rights" in en.text
    assert "积分指标公示目录" not in en.text
    assert client.get("/policy?version=3", headers=HTML).status_code == 404
