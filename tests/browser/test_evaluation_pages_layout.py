"""In Chromium: the overdue page, where a township officer lands on /evaluation, keeps its header a
header (the audit card once sat in the title and the navigation, and the header grew to ~400px)."""

from __future__ import annotations

import pytest

from tests.integration.evaluation.conftest import PASSWORD, build_world, create_staff

pytestmark = pytest.mark.browser


def test_the_overdue_page_has_a_plain_title_and_header(container, live_server, page):
    build_world(container)
    create_staff(container)
    page.goto(f"{live_server}/login?next=/evaluation")
    page.fill("input[name=username]", "township")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/evaluation/overdue")

    assert page.title() == "逾期事项 · 道德银行"
    assert page.locator("header #audit, header table").count() == 0
    overdue_header = page.locator("header.top").bounding_box()["height"]
    page.goto(f"{live_server}/evaluation/review")  # the same navigation, nothing else in the header
    assert overdue_header == page.locator("header.top").bounding_box()["height"]
    page.go_back()
    assert page.locator("main #audit").count() == 1
    page.click("main #audit a:has-text('已入账')")
    page.wait_for_url("**/evaluation/overdue?state=posted*")
    assert page.locator("main #audit .tier-green").text_content() == "已入账"
