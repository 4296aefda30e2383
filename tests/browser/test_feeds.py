"""In chromium: a city administrator fixes a quarantined row on the page and reprocesses it."""

from __future__ import annotations

from pathlib import Path

import pytest

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.bootstrap import Container
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.feeds.conftest import build_city

pytestmark = pytest.mark.browser


def test_fix_and_reprocess_a_quarantined_row(
    container: Container, live_server: str, page, tmp_path: Path
) -> None:  # noqa: ANN001
    city = build_city(container)
    import_file(
        container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 12, bad=9),
    )
    with container.uow() as uow:
        auth.create_user(
            uow, username="admin", display_name="市管理员", role=Role.CITY_ADMIN, password="a long password 1"
        )
        token = auth.user_session(uow, username="admin").token
        uow.commit()
    with container.uow(write=False) as uow:
        row = next(r for r in feeds.quarantine_list(uow, principal=SYSTEM) if r["reason"] == "bad_date")
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
    page.goto(f"{live_server}/staff/feeds/quarantine?reason=bad_date")
    card = page.locator(f"#q{row['id']}")
    assert "日期无效" in card.inner_text()
    card.locator("input[name=f_donated_on]").fill("2026-11-02")
    card.locator("form.fix button").click()
    page.locator(".flash", has_text="已修正").wait_for()
    page.locator("#reprocess").click()
    page.locator(".flash", has_text="重新处理").wait_for()
    assert "入库 1" in page.locator(".flash").inner_text() and "msg=" not in page.url
    page.goto(f"{live_server}/staff/feeds")
    assert page.locator("tr[data-interface=blood_donation] svg").count() == 1
