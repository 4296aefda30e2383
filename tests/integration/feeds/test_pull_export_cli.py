"""Scheduled pull from a real local HTTP server; the signed return export; the CLI contracts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from moralbank.errors import InvalidInput
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file, pull

from .conftest import City


class Department:
    """A department REST endpoint: pages of 5 records, cursor = the next page number."""

    def __init__(self, records: list[dict]) -> None:
        self.records = records
        self.requests: list[str] = []

    def page(self, since: str | None) -> dict:
        start = int(since or 0)
        chunk = self.records[start : start + 5]
        return {"records": chunk, "next": str(start + len(chunk)) if chunk else since}


@pytest.fixture
def department(city: City) -> Iterator[tuple[str, Department]]:
    recs = [
        {
            "record_id": f"BR-{i}",
            "id_number": city.id_numbers[i % 8],
            "due_on": "2026-10-15",
            "status": "on_time",
            "months_on_time": 12 + i % 3,
            "amount_fen": 120000,
        }
        for i in range(12)
    ]
    dept = Department(recs)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            dept.requests.append(self.path)
            since = parse_qs(urlparse(self.path).query).get("since", [None])[0]
            body = json.dumps(dept.page(since)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bank/repayments", dept
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_pull_follows_the_cursor_and_a_second_pull_takes_nothing_twice(city: City, department) -> None:
    url, dept = department
    results = pull(city.container, interface="bank_repayment", url=url)
    assert sum(r.counts.accepted for r in results) == 12
    assert [r.counts.received for r in results] == [5, 5, 2]
    again = pull(city.container, interface="bank_repayment", url=url)
    assert sum(r.counts.accepted for r in again) == 0
    # the department re-sends everything from the start: duplicates only
    with city.container.uow() as uow:
        feeds.set_pull_cursor(uow, interface="bank_repayment", cursor=None)
        uow.commit()
    resent = pull(city.container, interface="bank_repayment", url=url)
    assert sum(r.counts.duplicates for r in resent) == 12 and sum(r.counts.accepted for r in resent) == 0
    with city.container.uow(write=False) as uow:
        h = next(x for x in feeds.health(uow) if x["interface"] == "bank_repayment")
    assert h["accepted"] == 12 and h["duplicates"] == 12


def test_pull_is_refused_for_an_interface_that_is_not_pulled(city: City) -> None:
    with pytest.raises(InvalidInput):
        pull(city.container, interface="rent", url="http://127.0.0.1:9/")


def test_export_is_incremental_signed_and_tamper_evident(city: City, tmp_path: Path) -> None:
    import_file(
        city.container,
        interface="blood_donation",
        path=city.write(
            tmp_path / "b.csv", "blood_donation", 12, people=city.id_numbers[:2] + [city.id_numbers[8]]
        ),
    )
    with city.container.uow() as uow:
        m = feeds.export(uow, out_dir=tmp_path / "out", actor="test")
        uow.commit()
    assert m["rows"] > 0 and m["withheld_without_consent"] > 0  # resident 8 did not consent to sharing
    lines = [json.loads(x) for x in Path(m["directory"], "results.jsonl").read_text().splitlines()]
    assert len(lines) == m["rows"]
    assert {"信用主体标识", "信息事项代码", "道德积分分值", "行为发生日期", "信息提供单位"} <= set(lines[0])
    assert lines[0]["信息提供单位"] == "宁波市中心血站余姚分站"
    csv_rows = Path(m["directory"], "results.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(csv_rows) == m["rows"] + 1
    key = city.container.keys.active_signing_key("feeds-export")
    assert feeds.verify_export(m["directory"], trusted={key.kid: key.public_bytes()})["rows"] == m["rows"]
    with city.container.uow() as uow:
        m2 = feeds.export(uow, out_dir=tmp_path / "out", actor="test")
        uow.commit()
    assert m2["rows"] == 0
    p = Path(m["directory"], "results.csv")
    p.write_text(p.read_text(encoding="utf-8-sig").replace("5", "9"), encoding="utf-8-sig")
    with pytest.raises(InvalidInput, match="SHA-256"):
        feeds.verify_export(m["directory"], trusted={key.kid: key.public_bytes()})
    with pytest.raises(InvalidInput, match="untrusted"):
        feeds.verify_export(m["directory"], trusted={})


def test_cli_contracts(city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from moralbank.cli import common
    from moralbank.cli.main import app

    monkeypatch.setattr(common, "container", lambda: city.container)
    import moralbank.cli.feeds as cli_feeds

    monkeypatch.setattr(cli_feeds, "container", lambda: city.container)
    runner = CliRunner()
    listed = json.loads(runner.invoke(app, ["feeds", "list", "--json"]).stdout)
    assert len(listed) == 18 and {"name", "name_zh", "department"} <= set(listed[0])
    schema = json.loads(runner.invoke(app, ["feeds", "schema", "tax_credit", "--json"]).stdout)
    assert schema["identifier"] == "uscc" and schema["source_id"] == "record_id"
    assert {"name": "grade", "type": "code", "required": True}.items() <= schema["fields"][4].items()
    for ext in ("csv", "xlsx", "jsonl"):
        out = tmp_path / f"s.{ext}"
        r = runner.invoke(app, ["feeds", "sample", "blood_donation", "--rows", "15", "--out", str(out)])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["feeds", "import", "blood_donation", str(out), "--json"])
        assert r.exit_code == 0, r.output
        counts = json.loads(r.stdout)
        assert counts["received"] == 15 and counts["quarantined"] == 0
        assert (
            counts["received"]
            == counts["accepted"] + counts["duplicates"] + counts["quarantined"] + counts["held_for_consent"]
        )
    r = runner.invoke(app, ["feeds", "health", "--json"])
    assert json.loads(r.stdout)[2]["interface"] == "blood_donation"
    r = runner.invoke(
        app, ["feeds", "export", "--since", "2026-01-01", "--out", str(tmp_path / "e"), "--json"]
    )
    assert r.exit_code == 0, r.output and json.loads(r.stdout)["rows"] >= 0
    r = runner.invoke(app, ["feeds", "quarantine", "list", "--json"])
    assert json.loads(r.stdout) == []


def test_cli_pull_reports_each_page(city: City, department, monkeypatch: pytest.MonkeyPatch) -> None:
    import moralbank.cli.feeds as cli_feeds
    from moralbank.cli.main import app

    monkeypatch.setattr(cli_feeds, "container", lambda: city.container)
    url, _ = department
    r = CliRunner().invoke(app, ["feeds", "pull", "bank_repayment", "--url", url, "--json"])
    assert r.exit_code == 0, r.output
    pages = json.loads(r.stdout)
    assert [p["received"] for p in pages] == [5, 5, 2] and sum(p["accepted"] for p in pages) == 12
    assert CliRunner().invoke(app, ["feeds", "pull"]).exit_code != 0


def test_a_department_record_decided_by_an_officer_is_returned_as_the_departments(
    city: City, tmp_path: Path
) -> None:
    # A negative department record waits for people to decide; the entry they post names the
    # officer as its actor, not the interface — the provider still is the record's department.
    from sqlalchemy import select

    from moralbank.evaluation.models import EvaluationItem
    from moralbank.ledger import service as ledger
    from moralbank.ledger.domain import NewEntry

    import_file(
        city.container,
        interface="court_enforcement",
        path=city.write(tmp_path / "c.csv", "court_enforcement", 30, people=city.id_numbers[:2]),
    )
    with city.container.uow() as uow:
        item = uow.db.scalars(
            select(EvaluationItem).where(EvaluationItem.interface == "court_enforcement")
        ).first()
        assert item is not None
        ledger.post(
            uow,
            [
                NewEntry(
                    resident_id=item.resident_id,
                    indicator=item.indicator,
                    aspect="personal_conduct",
                    points=-abs(item.points),
                    deed_date=item.deed_date,
                    source="department",
                    actor="user:village1",
                    policy_version="2026.1",
                    reason="decided after review",
                    source_ref=f"evaluation:{item.id}",
                ),
                NewEntry(
                    resident_id=item.resident_id,
                    indicator=item.indicator,
                    aspect="personal_conduct",
                    points=1,
                    deed_date=item.deed_date,
                    source="evaluation",
                    actor="user:village1",
                    policy_version="2026.1",
                    reason="a deed",
                    source_ref="evaluation:999999",
                ),
            ],
        )
        m = feeds.export(uow, out_dir=tmp_path / "out", actor="test")
        uow.commit()
    lines = [json.loads(x) for x in Path(m["directory"], "results.jsonl").read_text().splitlines()]
    decided, deed = lines[-2], lines[-1]
    assert decided["信息提供单位"] == feeds.catalogue()["court_enforcement"].department_zh != "道德银行"
    assert deed["信息提供单位"] == "道德银行"
