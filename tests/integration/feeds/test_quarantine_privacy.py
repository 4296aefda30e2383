"""Reading the quarantine is reading residents' personal data: every read is in the access log (the
page and the CLI), and an ID number is shown whole only where it is what needs fixing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE

from .conftest import City

HTML = {"accept": "text/html"}
ID_NUMBER = re.compile(r"\b\d{17}[\dX]\b")


@pytest.fixture
def city_with_rows(city: City, tmp_path: Path) -> City:
    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(tmp_path / "b.csv", "blood_donation", 40, bad=20),
    )
    return city


def _client(city: City, role: Role, username: str) -> TestClient:
    with city.container.uow() as uow:
        auth.create_user(
            uow, username=username, display_name=username, role=role, password="a long password 1"
        )
        s = auth.user_session(uow, username=username)
        uow.commit()
    client = TestClient(create_app(city.container), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, s.token)
    return client


def _log(city: City) -> list[audit.AccessRecord]:
    with city.container.uow(write=False) as uow:
        return [r for r in audit.list(uow, principal=SYSTEM, limit=1000) if r.what.startswith("feeds.")]


def _rows(city: City) -> list[dict]:
    with city.container.uow(write=False) as uow:  # not committed: leaves no access-log entry
        return feeds.quarantine_list(uow, principal=SYSTEM, interface="blood_donation")


def _section(page: str, qid: int) -> str:
    return re.search(rf'<section[^>]*id="q{qid}".*?</section>', page, re.S).group(0)


def test_a_page_view_is_logged_per_resident_and_for_the_rows_of_no_known_resident(
    city_with_rows: City,
) -> None:
    city = city_with_rows
    resident_of = dict(zip(city.id_numbers, city.resident_ids, strict=True))
    with city.container.uow(write=False) as uow:  # whose number each stored row holds, if anyone's
        stored = {
            q.id: next(
                (resident_of[v] for v in json.loads(uow.keys.decrypt(q.raw)).values() if v in resident_of),
                None,
            )
            for q in feeds.repository.quarantine(uow.db, limit=None)
        }
    admin = _client(city, Role.CITY_ADMIN, "admin")
    assert _log(city) == []
    assert admin.get("/staff/feeds/quarantine", headers=HTML).status_code == 200
    log = _log(city)
    residents = {r.resident_id for r in log if r.resident_id}
    assert residents == {rid for rid in stored.values() if rid} and len(residents) == len(
        [r for r in log if r.resident_id]
    )
    (unknown,) = [r for r in log if not r.resident_id]
    unknown_ids = sorted(qid for qid, rid in stored.items() if not rid)
    named = [
        n
        for part in unknown.what.split("#")[1].split(",")
        for a, _, b in [part.partition("-")]
        for n in range(int(a), int(b or a) + 1)
    ]
    assert unknown_ids and named == unknown_ids
    assert {(r.actor_name, r.what.split()[0], r.why, r.route) for r in log} == {
        ("admin", "feeds.quarantine", feeds.QUARANTINE_PURPOSE, "GET /staff/feeds/quarantine")
    }
    # the resident sees on their own page, in words, that staff read it
    someone = sorted(residents)[0]
    with city.container.uow() as uow:
        s = auth.resident_session(uow, resident_id=someone)
        uow.commit()
    me = TestClient(create_app(city.container))
    me.cookies.set(SESSION_COOKIE, s.token)
    assert "隔离区中的部门数据" in me.get("/me/access-log", headers=HTML).text


def test_an_id_number_is_shown_whole_only_where_it_needs_fixing(city_with_rows: City) -> None:
    city = city_with_rows
    rows = _rows(city)
    page = _client(city, Role.CITY_ADMIN, "admin").get("/staff/feeds/quarantine", headers=HTML).text
    shown = {r["reason"] for r in rows}
    assert {"bad_date", "bad_id_number", "unknown_person", "ragged_row"} <= shown
    for r in rows:
        section = _section(page, r["id"])
        if r["reason"] in ("bad_id_number", "unknown_person") or r["field"] is None:
            # the number is the problem, or the whole row is: shown whole, to be corrected
            assert r["masked"] == [] and 'name="f_id_number"' in section
            assert r["reason"] == "ragged_row" or r["values"]["id_number"] in section
        else:  # e.g. a wrong date of a resident: masked, and not a field the fix form sends
            assert r["masked"] == ["id_number"] and ID_NUMBER.findall(section) == []
            assert re.search(r"\d{6}\*{8}\d{3}[\dX]", section) and 'name="f_id_number"' not in section


def test_an_auditor_reads_no_number_whole_and_the_read_is_logged(city_with_rows: City) -> None:
    city = city_with_rows
    page = _client(city, Role.AUDITOR, "auditor").get("/staff/feeds/quarantine", headers=HTML).text
    assert not set(ID_NUMBER.findall(page)) & set(city.id_numbers) and '<input name="f_' not in page
    assert {r.actor_name for r in _log(city)} == {"auditor"}


def test_the_cli_list_is_logged_and_masks(city_with_rows: City, monkeypatch: pytest.MonkeyPatch) -> None:
    import moralbank.cli.feeds as cli_feeds
    from moralbank.cli.main import app

    city = city_with_rows
    monkeypatch.setattr(cli_feeds, "container", lambda: city.container)
    r = CliRunner().invoke(app, ["feeds", "quarantine", "list", "--interface", "blood_donation", "--json"])
    assert r.exit_code == 0, r.output
    listed = {q["reason"]: q for q in json.loads(r.stdout)}
    assert listed["bad_date"]["masked"] == ["id_number"]
    assert listed["bad_date"]["values"]["id_number"] not in city.id_numbers
    log = _log(city)
    assert log and {(x.actor, x.route) for x in log} == {("system:moralbank", "cli: feeds quarantine list")}
