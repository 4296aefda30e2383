"""In Chromium: a resident submits a deed with a photo and follows it to the ledger; an officer signs in
and approves it from the review queue; then the resident objects to a deduction and a township officer
upholds the objection."""

from __future__ import annotations

from datetime import date

import pytest

from moralbank.evaluation import service as ev
from moralbank.evaluation.service import Upload
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.evaluation.conftest import PASSWORD, PNG, build_world, create_staff, session_token

pytestmark = pytest.mark.browser


def _as_resident(page, base, container, rid):
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": session_token(container, resident_id=rid), "url": base}]
    )


def _staff_login(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/login?next=/evaluation/review")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/evaluation/review")


def test_resident_and_officer_in_the_browser(container, live_server, page):
    world = build_world(container)
    create_staff(container)
    base = live_server

    # the resident submits a deed with a photo
    _as_resident(page, base, container, world.ids["A"])
    page.goto(f"{base}/evaluation/submit")
    page.select_option("#indicator", "PC01")
    page.fill("#deed_date", "2026-11-24")
    page.fill("#description", "拾到钱包，交还失主")
    page.set_input_files("#files", files=[{"name": "wallet.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/evaluation/items/" in url)
    assert page.text_content("#state") == "网格互评中"
    item_id = int(page.url.split("?")[0].rsplit("/", 1)[1])

    # a neighbour confirms it in the browser
    _as_resident(page, base, container, world.ids["B"])
    page.goto(f"{base}/evaluation/confirm")
    page.click(f"[data-item='{item_id}'] button:has-text('确认属实')")
    page.wait_for_selector("text=已记录您的意见")

    # the officer approves it from the queue (bulk action)
    _staff_login(page, base, "village1")
    page.check(f"tr[data-item='{item_id}'] input[type=checkbox]")
    page.click("button[value=approve]")
    page.wait_for_selector("text=已处理 1 件")

    # the resident sees it posted and the message in the inbox
    _as_resident(page, base, container, world.ids["A"])
    page.goto(f"{base}/evaluation/items/{item_id}")
    assert page.text_content("#state") == "已入账"
    page.goto(f"{base}/evaluation/inbox")
    assert page.locator("text=积分已入账").count() == 1

    # a deduction proposed and confirmed by two officers; the resident objects on its page
    with container.uow() as uow:
        officer, officer_b = world.officer, world.officer_b
        row = ev.propose_deduction(
            uow,
            principal=officer,
            resident_id=world.ids["A"],
            indicator="PE04",
            points=20,
            deed_date=date(2026, 11, 20),
            description="合同违约",
            uploads=[Upload("j.png", PNG)],
        )
        ev.approve(uow, principal=officer_b, item_id=row.id)
        uow.commit()
        deduction_id = row.id
    page.goto(f"{base}/evaluation/items/{deduction_id}")
    assert "告知期" in page.text_content("#state")
    page.fill("#statement", "合同已履行完毕，附收据")
    page.click("button:has-text('提出异议')")
    page.wait_for_selector("text=异议已受理")
    assert page.text_content("#state") == "有异议，待决定"

    # a township officer upholds it with written reasons
    _staff_login(page, base, "township")
    card = page.locator(".objection").first
    card.locator("input[name=reason]").fill("收据属实，违约已纠正")
    card.locator("button[value=yes]").click()
    page.wait_for_selector("text=已作出决定")

    _as_resident(page, base, container, world.ids["A"])
    page.goto(f"{base}/evaluation/items/{deduction_id}")
    assert page.text_content("#state") == "已撤回"
    assert page.locator("text=收据属实，违约已纠正").count() >= 1
