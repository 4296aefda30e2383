"""In Chromium: a resident downloads a receipt from /me/ledger; after signing out in another tab the
same link brings them to the sign-in page instead of a download that fails without a word; a
visitor finds the receipt check from the home page and sees which key it checked against."""

from __future__ import annotations

import json
from datetime import date

import pytest

from moralbank.bootstrap import Container
from moralbank.ledger import service as ledger
from moralbank.ledger.domain import NewEntry
from moralbank.web.deps import SESSION_COOKIE
from tests.browser.conftest import enrolled_resident

pytestmark = pytest.mark.browser


def _resident_with_entries(c: Container) -> tuple[str, str]:
    rid, token = enrolled_resident(c)
    with c.uow() as uow:
        new = dict(resident_id=rid, indicator="SM01", aspect="SM", deed_date=date(2026, 11, 20))
        new |= dict(actor="user:1", policy_version="1")
        deed = NewEntry(**new, points=5, source="evaluation", reason="志愿服务")
        fix = NewEntry(**new, points=-5, source="correction", reason="更正：重复登记", reverses_seq=1)
        ledger.post(uow, [deed, fix])
        uow.commit()
    return rid, token


def test_a_receipt_link_after_the_session_ended_leads_to_sign_in(container, live_server, page) -> None:  # noqa: ANN001
    rid, token = _resident_with_entries(container)
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
    page.goto(f"{live_server}/me/ledger")
    assert "志愿服务" in page.text_content("#entry-1")
    assert "已被第 2 号记录冲回" in page.text_content("#entry-1")

    with page.expect_download() as info:
        page.click("#entry-1 a.receipt")
    receipt = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert receipt["entry"]["seq"] == 1 and receipt["entry"]["resident_id"] == rid
    assert page.url == f"{live_server}/me/ledger"  # the download left the page as it was

    other = page.context.new_page()  # another tab: sign out there
    other.goto(f"{live_server}/me/ledger")
    other.click("form[action='/logout'] button")
    other.wait_for_url(f"{live_server}/")
    other.close()

    page.click("#entry-2 a.receipt")
    page.wait_for_url("**/login/resident")
    assert page.locator("#phone").is_visible()


def test_a_visitor_checks_a_receipt_from_the_home_page(container, live_server, page) -> None:  # noqa: ANN001
    _, token = _resident_with_entries(container)
    with container.uow(write=False) as uow:
        key = str(ledger.trusted_keys(uow)[0])
        receipt = ledger.receipt(uow, seq=1)
    page.goto(f"{live_server}/?lang=en")
    page.click("text=Check a receipt")
    page.wait_for_url("**/ledger/verify")
    short = "+".join(key.split("+", 2)[:2])
    assert short in page.text_content("#keys")
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "r.json", "mimeType": "application/json", "buffer": json.dumps(receipt).encode()}],
    )
    page.click("main button[type=submit]")
    page.wait_for_selector("#result")
    assert f"Signed with the key {short}" in " ".join(page.text_content("#signed-by").split())
