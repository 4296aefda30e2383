"""The quarantine's forms as a staff member uses them: a refused fix comes back with everything typed,
and what an action did is said on the page it returns to — not carried in the address."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE

from .conftest import City

HTML = {"accept": "text/html"}
FILTERS = "interface=blood_donation&status=pending"


@pytest.fixture
def admin(city: City, tmp_path: Path) -> TestClient:
    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 20, bad=9),
    )
    with city.container.uow() as uow:
        auth.create_user(
            uow, username="admin", display_name="市管理员", role=Role.CITY_ADMIN, password="a long password 1"
        )
        s = auth.user_session(uow, username="admin")
        uow.commit()
    client = TestClient(create_app(city.container), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, s.token)
    return client


def _row(city: City, reason: str) -> dict:
    with city.container.uow(write=False) as uow:
        rows = feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")
    return next(r for r in rows if r["reason"] == reason)


def _inputs(page: str, qid: int) -> dict[str, str]:
    """The values the row's fix form shows, by field."""
    section = re.search(rf'<section[^>]*id="q{qid}".*?</section>', page, re.S).group(0)
    form = re.search(r'<form[^>]*class="fix".*?</form>', section, re.S).group(0)
    return {
        name: unescape(value) for name, value in re.findall(r'<input name="f_(\w+)" value="([^"]*)"', form)
    }


def test_a_refused_fix_keeps_every_value_typed(city: City, admin: TestClient) -> None:
    row = _row(city, "bad_date")
    typed = {f"f_{k}": v or "" for k, v in row["values"].items() if k not in row["masked"]}
    typed |= {"f_donated_on": "2099-01-01", "f_volume_ml": "450", "f_record_id": "BD-typed-again"}
    r = admin.post(f"/staff/feeds/quarantine/{row['id']}/fix?{FILTERS}", data=typed, headers=HTML)
    assert r.status_code == 422
    shown = _inputs(r.text, row["id"])
    assert shown["donated_on"] == "2099-01-01" and shown["volume_ml"] == "450"
    assert shown["record_id"] == "BD-typed-again"
    assert "日期晚于今天：2099-01-01" in unescape(r.text)
    # nothing was stored; the next visit shows the row as it is
    stored = _inputs(admin.get(f"/staff/feeds/quarantine?{FILTERS}", headers=HTML).text, row["id"])
    assert stored["donated_on"] == row["values"]["donated_on"] and stored["record_id"] != "BD-typed-again"
