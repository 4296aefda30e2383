"""What the web layer keeps between requests (the principal behind a session or token, a resident's
rendered portrait) is reused only while the facts it was made from are unchanged: every change shows
on the very next request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.db.raw import utc
from moralbank.orgs import service as orgs
from moralbank.scoring import service
from moralbank.web.api.scoring import portrait_json
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.scoring.world import V1, build_town, create_user, session_token
from tests.support import signed_in


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    t.post("li", "FV03", 3, days_ago=5)
    with container.uow() as uow:
        service.recompute(uow, full=True)
        uow.commit()
    return t


def test_sign_out_disabling_and_expiry_end_a_known_session_at_once(town, container, clock) -> None:  # noqa: ANN001
    create_user(container, "v1", Role.VILLAGE_OFFICER, V1)
    for end in ("sign_out", "disable", "expire"):
        token = session_token(container, username="v1")
        c = TestClient(create_app(container), cookies={SESSION_COOKIE: token})
        assert c.get("/api/auth/me").status_code == 200
        assert c.get("/api/auth/me").status_code == 200  # now from the memo
        with container.uow() as uow:
            if end == "sign_out":
                auth.sign_out(uow, token=token)
            elif end == "disable":
                auth.disable(uow, username="v1")
            uow.commit()
        if end == "expire":
            clock.advance(days=30)
        assert c.get("/api/auth/me").status_code == 401, end
        if end == "disable":
            with container.uow() as uow:
                auth.enable(uow, username="v1")
                uow.commit()


def test_a_moved_unit_moves_the_scope_of_its_signed_in_staff(town, container) -> None:  # noqa: ANN001
    create_user(container, "v1", Role.VILLAGE_OFFICER, V1)
    c = signed_in(container, username="v1")
    url = f"/api/scoring/residents/{town.ids['li']}/portrait"
    assert c.get(url).status_code == 200
    with container.uow() as uow:
        orgs.create(uow, code="330281002", name_zh="二街道", level="township", parent="330281", actor="test")
        orgs.move(uow, code=V1, parent="330281002", actor="test")
        uow.commit()
    # The officer's unit path changed with the move; a stale principal would be out of scope (404).
    assert c.get(url).status_code == 200


def test_a_revoked_api_token_is_refused_at_once(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        plain, view = auth.create_token(uow, name="农商银行", role=Role.BANK_STAFF, scopes={"credit:read"})
        uow.commit()
    c = TestClient(create_app(container), headers={"authorization": f"Bearer {plain}"})
    assert c.get("/api/auth/me").json()["role"] == "bank_staff"
    assert c.get("/api/auth/me").status_code == 200
    with container.uow() as uow:
        auth.revoke_token(uow, token_id=view.id)
        uow.commit()
    assert c.get("/api/auth/me").status_code == 401


def test_the_kept_portrait_follows_new_entries_runs_days_and_language(town, container, clock) -> None:  # noqa: ANN001
    li = town.ids["li"]
    c = signed_in(container, resident_id=li)

    def fresh(lang: str = "zh-CN") -> dict:
        with container.uow(write=False) as uow:
            p = service.portrait(uow, resident_id=li, principal=town.resident("li"), lang=lang)
            return portrait_json(p)

    first = c.get("/api/scoring/me").json()
    assert first == fresh() and c.get("/api/scoring/me").json() == first
    town.post("li", "SM01", 5, days_ago=1)
    second = c.get("/api/scoring/me").json()
    assert len(second["entries"]) == len(first["entries"]) + 1 and second == fresh()
    with container.uow() as uow:
        service.recompute(uow)
        uow.commit()
    third = c.get("/api/scoring/me").json()
    assert third["record"]["run_id"] != second["record"]["run_id"] and third == fresh()
    clock.advance(days=1)
    fourth = c.get("/api/scoring/me").json()
    assert fourth["as_of"] != third["as_of"] and fourth == fresh()
    en = c.get("/api/scoring/me?lang=en").json()
    assert en == fresh("en") and en["reasons"] != fourth["reasons"]
    assert c.get("/api/scoring/me").json() == fourth


def test_driver_datetimes_read_as_aware_utc() -> None:
    at = datetime(2026, 11, 25, 20, 0, 1, 5, tzinfo=UTC)
    assert utc("2026-11-25 20:00:01.000005") == at
    assert utc(at.replace(tzinfo=None)) == at and utc(at) == at and utc(None) is None


def test_every_staff_read_of_a_kept_portrait_is_logged_before_the_answer(town, container) -> None:  # noqa: ANN001
    from moralbank.audit import service as audit

    create_user(container, "v1", Role.VILLAGE_OFFICER, V1)
    c = signed_in(container, username="v1")
    li = town.ids["li"]
    for n in range(3):
        assert c.get(f"/api/scoring/residents/{li}/portrait").json()["resident_id"] == li
        with container.uow() as uow:
            seen = len(audit.list_for_resident(uow, resident_id=li))
        assert seen == n + 1  # committed before the response was sent
    with container.uow() as uow:
        log = audit.list_for_resident(uow, resident_id=li)
    assert {(e.what, e.route, e.actor_name) for e in log} == {
        ("scoring.portrait", f"GET /api/scoring/residents/{li}/portrait", "v1")
    }
    assert c.get(f"/api/scoring/residents/{town.ids['zhao']}/portrait").status_code == 404  # other village
