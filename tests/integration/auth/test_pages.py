"""Sign-in pages over HTTP: cookie attributes, redirects, errors, sign-out, the access-log page."""

from __future__ import annotations

from fastapi.testclient import TestClient

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import Principal, Role
from moralbank.bootstrap import Container
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE, iter_routes
from tests.integration.auth.conftest import PASSWORD, add_village_officer

HTML = {"accept": "text/html"}


def _users(c: Container) -> None:
    add_village_officer(c)
    with c.uow() as uow:
        auth.create_user(uow, username="audit", display_name="审计李", role=Role.AUDITOR, password=PASSWORD)
        uow.commit()


def test_staff_sign_in_sets_a_safe_cookie_and_redirects(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    assert client.get("/login", headers=HTML).status_code == 200
    r = client.post("/login", data={"username": "wang", "password": PASSWORD, "next": "/residents?q=x"})
    assert r.status_code == 303 and r.headers["location"] == "/residents?q=x"
    cookie = r.headers["set-cookie"]
    assert (
        f"{SESSION_COOKIE}=" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax")
    )
    me = client.get("/api/auth/me").json()
    assert me["role"] == "village_officer" and me["unit_code"] == "330281001001"
    # the home page sends a village officer to the resident search
    assert client.get("/", headers=HTML).headers["location"] == "/residents"


def test_next_cannot_send_the_user_off_site(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        r = client.post("/login", data={"username": "wang", "password": PASSWORD, "next": evil})
        assert r.headers["location"] == "/"


def test_wrong_password_shows_the_form_again(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    r = client.post("/login", data={"username": "wang", "password": "nope nope nope"}, headers=HTML)
    assert r.status_code == 401 and "用户名或密码错误" in r.text
    r = client.post("/login?lang=en", data={"username": "wang", "password": "nope nope nope"}, headers=HTML)
    assert "Wrong username or password" in r.text
    for _ in range(3):
        client.post("/login", data={"username": "wang", "password": "nope nope nope"})
    r = client.post("/login", data={"username": "wang", "password": PASSWORD}, headers=HTML)
    assert r.status_code == 429  # five failures were committed even though each request failed


def test_pages_redirect_to_sign_in_and_api_says_401(tree: Container) -> None:
    client = TestClient(create_app(tree), follow_redirects=False)
    r = client.get("/audit/access-log", headers=HTML)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/audit/access-log")
    assert client.get("/api/auth/me").status_code == 401
    assert client.get("/api/auth/me", headers={"authorization": "Bearer nonsense"}).status_code == 401


def test_sign_out_ends_the_session_server_side(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    client.post("/login", data={"username": "wang", "password": PASSWORD})
    token = client.cookies[SESSION_COOKIE]
    assert client.post("/logout").status_code == 303
    replay = TestClient(create_app(tree), cookies={SESSION_COOKIE: token})
    assert replay.get("/api/auth/me").status_code == 401


def test_bearer_token_works_for_the_api(tree: Container) -> None:
    with tree.uow() as uow:
        plain, _ = auth.create_token(uow, name="农商银行", role=Role.BANK_STAFF, scopes={"credit:read"})
        uow.commit()
    client = TestClient(create_app(tree))
    me = client.get("/api/auth/me", headers={"authorization": f"Bearer {plain}"}).json()
    assert me["role"] == "bank_staff" and me["scopes"] == ["credit:read"]


def test_access_log_page_lists_reads_for_auditors_only(tree: Container) -> None:
    _users(tree)
    officer = Principal(kind="user", id="1", role=Role.VILLAGE_OFFICER, display_name="王村干部")
    with tree.uow() as uow:
        audit.log_read(
            uow,
            principal=officer,
            resident_id="RAAAAAAAAAAAA",
            what="resident.profile",
            why="走访核实",
            route="GET /residents/RAAAAAAAAAAAA",
        )
        uow.commit()
    client = TestClient(create_app(tree), follow_redirects=False)
    client.post("/login", data={"username": "audit", "password": PASSWORD})
    page = client.get("/audit/access-log?resident_id=RAAAAAAAAAAAA", headers=HTML)
    assert page.status_code == 200 and "走访核实" in page.text and "王村干部" in page.text
    rows = client.get("/api/audit/access-log").json()
    assert [r["why"] for r in rows] == ["走访核实"]
    officer_client = TestClient(create_app(tree), follow_redirects=False)
    officer_client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert officer_client.get("/audit/access-log", headers=HTML).status_code == 403
    assert officer_client.get("/api/audit/access-log").status_code == 403


def test_public_pages_still_show_who_is_signed_in_and_residents_go_to_their_sign_in(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    # a resident's page (/me…) sends a visitor to /login?next=/me…, and that to the phone sign-in
    assert client.get("/login?next=/me/consents", headers=HTML).headers["location"] == "/login/resident"
    client.post("/login", data={"username": "wang", "password": PASSWORD})
    assert "王村干部" in client.get("/login", headers=HTML).text  # a public page, header shows the user


def test_signing_in_again_ends_the_browsers_previous_session(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    client.post("/login", data={"username": "wang", "password": PASSWORD})
    first = client.cookies[SESSION_COOKIE]
    client.post("/login", data={"username": "audit", "password": PASSWORD})
    assert client.get("/api/auth/me").json()["role"] == "auditor"
    replay = TestClient(create_app(tree), cookies={SESSION_COOKIE: first})
    assert replay.get("/api/auth/me").status_code == 401


def test_home_offers_both_sign_ins_to_a_visitor_and_sends_roles_to_their_start(tree: Container) -> None:
    _users(tree)
    client = TestClient(create_app(tree), follow_redirects=False)
    home = client.get("/", headers=HTML)
    assert home.status_code == 200 and 'href="/login/resident"' in home.text and 'href="/login"' in home.text
    assert "Resident sign-in" in client.get("/?lang=en", headers=HTML).text
    client.post("/login", data={"username": "audit", "password": PASSWORD})
    assert client.get("/", headers=HTML).headers["location"] == "/audit/access-log"
    with tree.uow() as uow:
        auth.create_user(
            uow,
            username="bank",
            display_name="农商银行",
            role=Role.BANK_STAFF,
            unit_code="330281",
            password=PASSWORD,
        )
        uow.commit()
    bank = TestClient(create_app(tree), follow_redirects=False)
    bank.post("/login", data={"username": "bank", "password": PASSWORD})
    page = bank.get("/", headers=HTML)
    assert page.status_code == 200 and 'href="/verify"' in page.text  # what their scopes allow
    assert 'href="/credit"' not in page.text or any(
        getattr(r, "path", None) == "/credit" for r in iter_routes(bank.app)
    )  # no link to a missing page


def test_openapi_documents_both_ways_to_authenticate(tree: Container) -> None:
    schema = TestClient(create_app(tree)).get("/openapi.json").json()
    assert {"HTTPBearer", "APIKeyCookie"} <= set(schema["components"]["securitySchemes"])
    assert {"HTTPBearer": []} in schema["paths"]["/api/auth/me"]["get"]["security"]
