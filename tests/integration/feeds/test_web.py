"""Over HTTP: the signed push endpoint, the staff quarantine and health pages, the resident's view."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.kernel.signatures import sign_body
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE

from .conftest import City

HTML = {"accept": "text/html"}


def _token(city: City, scopes: set[str]) -> str:
    with city.container.uow() as uow:
        plain, _ = auth.create_token(uow, name="blood centre", role=Role.DEPARTMENT_FEED, scopes=scopes)
        uow.commit()
    return plain


def _body(city: City, n: int, start: int = 0) -> bytes:
    return b"\n".join(
        json.dumps(
            {
                "record_id": f"P-{i}",
                "id_number": city.id_numbers[i % 8],
                "donated_on": "2026-11-01",
                "kind": "whole_blood",
                "volume_ml": 300,
            }
        ).encode()
        for i in range(start, start + n)
    )


def _secret(city: City) -> bytes:
    with city.container.uow(write=False) as uow:
        return feeds.push_secret(uow, "blood_donation")


def test_a_signed_push_goes_in_once_whatever_is_retried(city: City) -> None:
    client = TestClient(create_app(city.container))
    token = _token(city, {"feeds:push:blood_donation"})
    body = _body(city, 6)
    headers = {
        "authorization": f"Bearer {token}",
        "idempotency-key": "batch-0001",
        "x-moralbank-signature": sign_body(_secret(city), body),
    }
    r = client.post("/api/feeds/blood_donation/records", content=body, headers=headers)
    assert r.status_code == 200, r.text
    first = r.json()
    assert (first["received"], first["accepted"], first["replayed"]) == (6, 6, False)
    again = client.post("/api/feeds/blood_donation/records", content=body, headers=headers).json()
    assert again["replayed"] is True and again["accepted"] == 6 and again["import_id"] == first["import_id"]
    # a new key but the same records: nothing is taken twice
    headers2 = {**headers, "idempotency-key": "batch-0002"}
    third = client.post("/api/feeds/blood_donation/records", content=body, headers=headers2).json()
    assert (third["accepted"], third["duplicates"]) == (0, 6)
    # the same key with another body is refused
    other = _body(city, 2, start=50)
    r = client.post(
        "/api/feeds/blood_donation/records",
        content=other,
        headers={**headers, "x-moralbank-signature": sign_body(_secret(city), other)},
    )
    assert r.status_code == 409


def test_push_refuses_bad_signatures_missing_keys_and_wrong_scopes(city: City) -> None:
    client = TestClient(create_app(city.container))
    body = _body(city, 2)
    good = sign_body(_secret(city), body)
    token = _token(city, {"feeds:push:blood_donation"})
    base = {"authorization": f"Bearer {token}", "idempotency-key": "k1"}
    assert (
        client.post(
            "/api/feeds/blood_donation/records",
            content=body,
            headers={**base, "x-moralbank-signature": "sha256=" + "0" * 64},
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/api/feeds/blood_donation/records",
            content=body + b" ",
            headers={**base, "x-moralbank-signature": good},
        ).status_code
        == 401
    )
    assert (
        client.post(
            "/api/feeds/blood_donation/records",
            content=body,
            headers={"authorization": base["authorization"], "x-moralbank-signature": good},
        ).status_code
        == 422
    )
    other = _token(city, {"feeds:push:volunteer_hours"})
    assert (
        client.post(
            "/api/feeds/blood_donation/records",
            content=body,
            headers={**base, "authorization": f"Bearer {other}", "x-moralbank-signature": good},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/feeds/blood_donation/records",
            content=body,
            headers={"idempotency-key": "k1", "x-moralbank-signature": good},
        ).status_code
        == 401
    )
    with city.container.uow(write=False) as uow:
        assert feeds.recent_imports(uow) == []


def _staff(city: City, role: Role = Role.CITY_ADMIN) -> TestClient:
    with city.container.uow() as uow:
        auth.create_user(
            uow, username="admin", display_name="市管理员", role=role, password="a long password 1"
        )
        s = auth.user_session(uow, username="admin")
        uow.commit()
    client = TestClient(create_app(city.container), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, s.token)
    return client


def test_staff_fix_a_quarantined_row_on_the_page_and_reprocess(city: City, tmp_path: Path) -> None:
    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9),
    )
    client = _staff(city)
    page = client.get("/staff/feeds/quarantine?interface=blood_donation", headers=HTML)
    assert page.status_code == 200 and "bad_date" in page.text and "b.csv" in page.text
    with city.container.uow(write=False) as uow:
        row = next(r for r in feeds.quarantine_list(uow, principal=SYSTEM) if r["reason"] == "bad_date")
    form = {
        f"f_{k}": (v or "")
        for k, v in row["values"].items()
        if k in feeds.get_interface("blood_donation").field_names and k not in row["masked"]
    }
    form["f_donated_on"] = "2026-11-02"
    assert client.post(f"/staff/feeds/quarantine/{row['id']}/fix", data=form).status_code == 303
    r = client.post("/staff/feeds/quarantine/reprocess", data={"interface": "blood_donation"})
    assert r.status_code == 303
    shown = client.get(r.headers["location"], headers=HTML).text
    assert "入库 1" in shown, shown[shown.find("flash") :][:300]
    health = client.get("/staff/feeds", headers=HTML)
    assert (
        health.status_code == 200
        and 'data-interface="blood_donation"' in health.text
        and "<svg" in health.text
    )
    assert client.get("/api/feeds/health").json()[0]["interface"]


def test_an_auditor_sees_but_cannot_fix(city: City, tmp_path: Path) -> None:
    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 10, bad=3),
    )
    client = _staff(city, Role.AUDITOR)
    assert client.get("/staff/feeds/quarantine", headers=HTML).status_code == 200
    with city.container.uow(write=False) as uow:
        qid = feeds.quarantine_list(uow, principal=SYSTEM)[0]["id"]
    assert client.post(f"/staff/feeds/quarantine/{qid}/discard", data={"reason": "x"}).status_code == 403


def test_a_resident_sees_which_department_data_is_used_and_what_is_held(city: City, tmp_path: Path) -> None:
    import_file(
        city.container,
        interface="volunteer_hours",
        path=city.write(tmp_path / "v.csv", "volunteer_hours", 6, people=[city.id_numbers[9]]),
    )
    with city.container.uow() as uow:
        s = auth.resident_session(uow, resident_id=city.resident_ids[9])
        uow.commit()
    client = TestClient(create_app(city.container), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, s.token)
    page = client.get("/me/data-interfaces", headers=HTML)
    assert page.status_code == 200
    assert "未授权或已撤回授权" in page.text and "暂存未使用 6 条" in page.text
