"""Green code over HTTP: the public trust list, revocation list and verification; the phone page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from moralbank.greencode import codec, qr, service
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.scoring.world import build_town, session_token


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)
    return t


def test_verify_api_shows_only_tier_and_masked_name(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        issued = service.issue(uow, resident_id=town.ids["zhang"])
    c = TestClient(create_app(container))
    v = c.post("/api/greencode/verify", json={"text": issued.text}).json()
    assert v["valid"] and v["tier"] == "green" and v["masked_name"] == "张*明" and v["tier_name"] == "绿码"
    assert set(v) == {"valid", "reason", "reason_text", "tier", "tier_name", "masked_name", "expires_at"}
    bad = c.post("/api/greencode/verify", json={"text": issued.text[:-3] + "AAA"}).json()
    assert not bad["valid"] and bad["tier"] is None and bad["masked_name"] is None


def test_verify_api_refuses_a_malformed_request_and_documents_its_body(container) -> None:  # noqa: ANN001
    c = TestClient(create_app(container))
    for body in (b"{}", b'{"text": 5}', b"not json", b'{"text": "' + b"A" * 4001 + b'"}'):
        r = c.post("/api/greencode/verify", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, body[:20]
        assert r.json()["detail"][0]["loc"][0] == "body"
    schema = c.get("/openapi.json").json()["paths"]["/api/greencode/verify"]["post"]["requestBody"]
    assert schema["content"]["application/json"]["schema"]["required"] == ["text"]


def test_public_trust_list_and_revocations_verify_offline(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        card = service.issue(uow, resident_id=town.ids["zhang"], card=True)
        uow.commit()
    c = TestClient(create_app(container))
    trust = codec.TrustList.from_jwks(c.get("/api/greencode/trust-list").json())
    trust = codec.apply_revocations(trust, c.get("/api/greencode/revocations").text)
    assert codec.verify(card.text, trust, at=container.clock.now()).valid


def test_scanner_page_upload_path_decodes_on_the_server(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        issued = service.issue(uow, resident_id=town.ids["zhang"])
    c = TestClient(create_app(container))
    assert "jsQR.js" in c.get("/verify").text
    r = c.post("/verify", files={"image": ("code.png", qr.png(issued.text), "image/png")})
    assert 'data-valid="1"' in r.text and "张*明" in r.text
    container.clock.advance(minutes=10)
    r = c.post("/verify", data={"text": issued.text})
    assert 'data-valid="0"' in r.text and "已过期" in r.text


def test_phone_page_polls_for_a_fresh_code(town, container) -> None:  # noqa: ANN001
    container.settings.greencode_refresh_seconds = 7
    c = TestClient(create_app(container))
    c.cookies.set(SESSION_COOKIE, session_token(container, resident_id=town.ids["zhang"]))
    html = c.get("/me/greencode").text
    assert 'hx-get="/me/greencode/code"' in html and 'hx-trigger="every 7s"' in html and "<svg" in html
    first = c.get("/me/greencode/code")
    container.clock.advance(seconds=30)
    second = c.get("/me/greencode/code")
    assert first.headers["cache-control"] == "no-store"
    assert first.text != second.text


def test_the_hot_routes_are_served_in_front_of_the_framework(container) -> None:  # noqa: ANN001
    from moralbank.web.routing import DeclaredRoute

    app = create_app(container)
    front = [(r.path, sorted(r.methods)) for r in app.router.routes if isinstance(r, DeclaredRoute)]
    assert front == [("/api/greencode/verify", ["POST"]), ("/api/scoring/me", ["GET", "HEAD"])]
    assert all(isinstance(r, DeclaredRoute) for r in app.router.routes[: len(front)])
