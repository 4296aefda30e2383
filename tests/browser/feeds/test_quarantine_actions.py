"""In chromium: discarding a quarantined row asks for a reason and a confirmation, and every action
returns to the page with its filters."""

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


def _status(container: Container, qid: int) -> str:
    with container.uow(write=False) as uow:
        return next(r for r in feeds.quarantine_list(uow, principal=SYSTEM, status=None) if r["id"] == qid)[
            "status"
        ]


def test_a_discard_needs_a_reason_and_a_confirmation_and_keeps_the_filters(
    container: Container, live_server: str, page, tmp_path: Path
) -> None:  # noqa: ANN001
    city = build_city(container)
    for name in ("blood_donation", "volunteer_hours"):
        import_file(container, interface=name, path=city.write(tmp_path / f"{name}.csv", name, 12, bad=9))
    with container.uow() as uow:
        auth.create_user(
            uow, username="admin", display_name="市管理员", role=Role.CITY_ADMIN, password="a long password 1"
        )
        token = auth.user_session(uow, username="admin").token
        uow.commit()
    with container.uow(write=False) as uow:
        qid = next(r for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation"))["id"]
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server}])
    page.goto(f"{live_server}/staff/feeds/quarantine?interface=blood_donation&lang=en")
    assert page.locator("select[name=interface] option:checked").inner_text() == "Blood donation"
    card = page.locator(f"#q{qid}")
    dialogs: list[str] = []

    def answer(dialog, accept: bool) -> None:  # noqa: ANN001
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    # no reason: the browser does not send the form
    card.locator("form.inline button").click()
    assert dialogs == [] and _status(container, qid) == "open"
    card.locator("input[name=reason]").fill("the department withdrew this record")
    page.once("dialog", lambda d: answer(d, accept=False))
    card.locator("form.inline button").click()
    page.wait_for_timeout(300)
    assert len(dialogs) == 1 and f"#{qid}" in dialogs[0] and _status(container, qid) == "open"
    page.once("dialog", lambda d: answer(d, accept=True))
    card.locator("form.inline button").click()
    page.locator(".flash", has_text="discarded").wait_for()
    assert "interface=blood_donation" in page.url and "msg=" not in page.url
    assert f"#{qid} discarded" in page.locator(".flash").inner_text()
    assert page.locator("select[name=interface] option:checked").inner_text() == "Blood donation"
    assert _status(container, qid) == "discarded"
    page.locator("#reprocess").click()
    page.locator(".flash", has_text="eprocessed").wait_for()
    assert "interface=blood_donation" in page.url
    with container.uow(write=False) as uow:
        untouched = {
            r["status"]
            for r in feeds.quarantine_list(uow, principal=SYSTEM, interface="volunteer_hours", status=None)
        }
    assert untouched == {"open"}
