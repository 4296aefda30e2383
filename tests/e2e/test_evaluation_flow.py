"""End to end through the HTTP API: one deed from submission to a ledger entry, and one deduction
through an objection to a reversing entry."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from moralbank.kernel.clock import CHINA
from moralbank.ledger import service as ledger
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.evaluation.conftest import PNG, build_world, create_staff, session_token


@pytest.fixture
def setup(container):
    world = build_world(container)
    create_staff(container)
    app = create_app(container)

    def client(*, username=None, letter=None):
        c = TestClient(app)
        token = session_token(container, username=username, resident_id=world.ids[letter] if letter else None)
        c.cookies.set(SESSION_COOKIE, token)
        return c

    return world, client


def test_deed_from_submission_to_ledger(setup, container):
    world, client = setup
    a, b, grid, officer = (
        client(letter="A"),
        client(letter="B"),
        client(username="grid1"),
        client(username="village1"),
    )
    r = a.post(
        "/api/evaluation/deeds",
        data={
            "indicator": "FV01",
            "deed_date": "2026-11-24",
            "description": "陪护独居老人就医",
            "witnesses": "王阿姨\n李师傅",
        },
        files=[("files", ("photo.png", PNG, "image/png"))],
    )
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["state"] == "grid_review"
    assert [i["id"] for i in b.get("/api/evaluation/confirmations").json()] == [item["id"]]
    assert a.post(f"/api/evaluation/items/{item['id']}/votes", json={"confirm": True}).status_code == 403
    assert (
        b.post(f"/api/evaluation/items/{item['id']}/votes", json={"confirm": True}).json()["state"]
        == "grid_review"
    )
    assert (
        grid.post(f"/api/evaluation/items/{item['id']}/votes", json={"confirm": True}).json()["state"]
        == "village_review"
    )
    assert [i["id"] for i in officer.get("/api/evaluation/queue").json()] == [item["id"]]
    assert a.post(f"/api/evaluation/items/{item['id']}/approve", json={"points": 3}).status_code == 403
    r = officer.post(f"/api/evaluation/items/{item['id']}/approve", json={"points": 3})
    assert r.status_code == 200, r.text
    trail = r.json()
    assert trail["item"]["state"] == "posted"
    seq = trail["item"]["posted_seq"]
    with container.uow() as uow:
        entry = ledger.get(uow, seq=seq)
        assert (entry.resident_id, entry.points, entry.indicator) == (world.ids["A"], 3, "FV01")
        assert f"evaluation:{item['id']}" in entry.evidence
    # the resident follows it and sees every step in the inbox
    mine = a.get(f"/api/evaluation/items/{item['id']}").json()
    assert [e["action"] for e in mine["events"]] == [
        "submitted",
        "confirmed",
        "confirmed",
        "approved",
        "posted",
    ]
    assert a.get("/api/evaluation/inbox").json()[0]["subject"] == "积分已入账"
    sha = mine["files"][0]["sha256"]
    assert officer.get(f"/api/evaluation/files/{sha}").content == PNG
    assert client(letter="E").get(f"/api/evaluation/files/{sha}").status_code == 404


def test_deduction_through_objection_to_reversal(setup, container):
    world, client = setup
    a, officer, officer_b, township = (
        client(letter="A"),
        client(username="village1"),
        client(username="village1b"),
        client(username="township"),
    )
    r = officer.post(
        "/api/evaluation/deductions",
        data={
            "resident_id": world.ids["A"],
            "indicator": "PE04",
            "points": "20",
            "deed_date": "2026-11-20",
            "description": "经法院判决合同违约",
        },
        files=[("files", ("judgment.pdf", b"%PDF-1.7\n%test\n", "application/pdf"))],
    )
    assert r.status_code == 201, r.text
    item_id = r.json()["id"]
    assert officer.post(f"/api/evaluation/items/{item_id}/approve", json={}).status_code == 403
    r = officer_b.post(f"/api/evaluation/items/{item_id}/approve", json={})
    assert r.json()["item"]["state"] == "notice"
    assert "扣分告知" in [m["subject"] for m in a.get("/api/evaluation/inbox").json()]
    # the window passes (5 working days): the deduction takes effect
    container.clock.set(datetime(2026, 12, 2, 9, tzinfo=CHINA))
    a, officer, township = client(letter="A"), client(username="village1"), client(username="township")
    assert officer.get("/api/evaluation/queue").status_code == 200
    seq = a.get(f"/api/evaluation/items/{item_id}").json()["item"]["posted_seq"]
    assert seq
    # the resident objects to the entry; it is disputed at once and decided by another officer
    r = a.post("/api/evaluation/objections", json={"ledger_seq": seq, "statement": "判决已撤销，附再审裁定"})
    assert r.status_code == 201, r.text
    objection = r.json()
    assert objection["marked_at"] and objection["decide_due"] == "2026-12-09"
    assert [o["id"] for o in township.get("/api/evaluation/objections").json()] == [objection["id"]]
    r = township.post(
        f"/api/evaluation/objections/{objection['id']}/decision",
        json={"upheld": True, "reason": "再审已撤销原判决"},
    )
    assert r.status_code == 200, r.text
    reversal = r.json()["outcome_seq"]
    with container.uow() as uow:
        entries = ledger.entries_of(uow, resident_id=world.ids["A"])
        assert [(e.seq, e.points, e.reverses_seq, e.source) for e in entries] == [
            (seq, -20, None, "evaluation"),
            (reversal, 20, seq, "objection"),
        ]
    trail = a.get(f"/api/evaluation/items/{item_id}").json()
    assert trail["item"]["state"] == "reversed"
    assert trail["objections"][0]["state"] == "upheld"
    assert "异议成立" in [m["subject"] for m in a.get("/api/evaluation/inbox").json()]
