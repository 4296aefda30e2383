"""The ledger API and pages: public checkpoints and consistency, proofs for the entry's resident and
staff only, a resident downloading a receipt that then checks offline and on the verify page."""

from __future__ import annotations

import json

import pytest

from moralbank.ledger import service, verify
from tests.integration.evaluation.conftest import build_world, create_staff
from tests.integration.ledger.conftest import deed
from tests.support import signed_in as client


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    world = build_world(container)
    create_staff(container)
    a, b = world.ids["A"], world.ids["B"]
    with container.uow() as uow:
        service.post(uow, [deed(i, resident=a if i % 2 else b) for i in range(1, 9)])
        uow.commit()
    return world, a, b


def test_checkpoint_consistency_and_keys_are_public(container, town) -> None:  # noqa: ANN001
    c = client(container)
    cp = c.get("/api/ledger/checkpoint").json()
    assert cp["tree_size"] == 8 and set(cp) == {"tree_size", "root", "checkpoint", "verifier_key"}
    cons = c.get("/api/ledger/consistency", params={"old": 8, "new": 8}).json()
    assert cons["old_root"] == cons["new_root"] == cp["root"]
    assert c.get("/api/ledger/consistency", params={"old": 0, "new": 8}).status_code == 422
    assert c.get("/api/ledger/keys").json()["trusted"] == [cp["verifier_key"]]
    assert c.get("/api/ledger/proof/1").status_code == 401
    huge = 10**20  # beyond a 64-bit integer: names nothing, and must not reach the driver
    assert c.get("/api/ledger/checkpoint", params={"size": huge}).status_code == 404
    assert c.get("/api/ledger/consistency", params={"old": 1, "new": huge}).status_code == 422
    staff = client(container, username="grid1")
    assert staff.get(f"/api/ledger/proof/{huge}").status_code == 404
    assert staff.get("/api/ledger/proof/1", params={"size": huge}).status_code == 404


def test_a_resident_gets_proofs_and_receipts_only_for_their_own_entries(container, town) -> None:  # noqa: ANN001
    _, a, b = town
    c = client(container, resident_id=a)
    data = c.get("/api/ledger/proof/1").json()
    assert verify.check_proof(data).entry.resident_id == a
    assert c.get("/api/ledger/proof/2").status_code == 404  # b's entry looks missing
    r = c.get("/api/ledger/receipts/3")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    receipt = r.json()
    assert verify.check_receipt(receipt).entry.seq == 3
    assert c.get("/api/ledger/receipts/4").status_code == 404
    ok = client(container).post("/api/ledger/verify-receipt", json=receipt).json()
    assert ok == {"ok": True, "seq": 3, "tree_size": 8, "signed_by": [data["verifier_key"]]}
    receipt["entry"]["points"] += 1
    assert client(container).post("/api/ledger/verify-receipt", json=receipt).json()["ok"] is False


def test_staff_see_any_proof(container, town) -> None:  # noqa: ANN001
    c = client(container, username="grid1")
    assert c.get("/api/ledger/proof/2").status_code == 200


def test_the_residents_ledger_page_links_a_receipt_per_entry(container, town) -> None:  # noqa: ANN001
    _, a, _ = town
    c = client(container, resident_id=a)
    html = c.get("/me/ledger").text
    assert "我的积分账本" in html
    assert [f"/me/ledger/receipts/{s}" in html for s in (1, 3, 5, 7)] == [True] * 4
    assert "/me/ledger/receipts/2" not in html
    assert "Download receipt" in c.get("/me/ledger?lang=en").text
    receipt = c.get("/api/ledger/receipts/5").content
    page = client(container).post("/ledger/verify", files={"file": ("r.json", receipt, "application/json")})
    assert page.status_code == 200 and "凭证有效" in page.text
    bad = json.loads(receipt)
    bad["leaf_index"] = 0
    page = client(container).post(
        "/ledger/verify", files={"file": ("r.json", json.dumps(bad).encode(), "application/json")}
    )
    assert page.status_code == 422 and "凭证无效" in page.text


def test_a_file_that_is_not_a_receipt_gets_a_plain_answer(container, town) -> None:  # noqa: ANN001
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    page = client(container).post("/ledger/verify", files={"file": ("photo.png", png, "image/png")})
    assert page.status_code == 422 and "这不是凭证文件" in page.text and "codec" not in page.text
    page = client(container).post("/ledger/verify?lang=en", files={"file": ("photo.png", png, "image/png")})
    assert "This is not a receipt" in page.text and "凭证" not in page.text.split("<main>")[1]
