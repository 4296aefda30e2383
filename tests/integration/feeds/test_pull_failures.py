"""A pull that cannot get or read a page says so in one line and moves no cursor; one bad record is
quarantined and the pull goes on; ``pull --all`` pulls every interface whatever one of them does; an
import stopped by an error is marked failed, not left running. A real local HTTP server plays the
departments."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from typer.testing import CliRunner

from moralbank.auth.domain import SYSTEM
from moralbank.errors import Unavailable
from moralbank.feeds import service as feeds
from moralbank.feeds.importer import import_file, pull

from .conftest import READING_BROKE_OFF, City, break_off_reading

SURROGATE_PAGE = (
    '{"records": [{"record_id": "BR-S", "id_number": "X", "due_on": "2026-10-15", "status": "on_time",'
    ' "amount_fen": 1, "note": "\\ud800"}, %s], "next": "s1"}'
)

LONG_INT = '"amount_fen": ' + "9" * 5000  # more digits than Python converts to an int (4,300)
DEEP = '"amount_fen": ' + "[" * 5000 + '"]}"' + "]" * 5000  # deeper than Python's parser goes


def _bank(city: City, i: int) -> dict:
    return {
        "record_id": f"BR-{i}",
        "id_number": city.id_numbers[i % 8],
        "due_on": "2026-10-15",
        "status": "on_time",
        "months_on_time": 12,
        "amount_fen": 120000,
    }


@pytest.fixture
def departments(city: City) -> Iterator[str]:
    """``/<mode>``: ``good`` (3 records, then none), ``surrogate`` (a page whose first record holds a
    lone surrogate), ``long_int`` / ``deep`` (a page whose second record holds a 5,000-digit integer /
    nests 5,000 deep), ``empty``,
    and ways to fail: an HTTP error, a redirect, garbage, HTML, a JSON list,
    records that are not a list, slowness."""
    good = [_bank(city, i) for i in range(3)]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            u = urlparse(self.path)
            since = parse_qs(u.query).get("since", [None])[0]
            mode = u.path.strip("/")
            status, body, kind = 200, b"", "application/json"
            if mode == "good":
                body = json.dumps({"records": good if since is None else [], "next": "g1"}).encode()
            elif mode == "surrogate":
                page = SURROGATE_PAGE.replace('"X"', json.dumps(city.id_numbers[0])) % json.dumps(good[0])
                body = page.encode() if since is None else b'{"records": [], "next": "s1"}'
            elif mode in ("long_int", "deep"):  # the second record holds what Python will not parse
                poison = LONG_INT if mode == "long_int" else DEEP
                big = json.dumps({**good[1], "amount_fen": 0}).replace('"amount_fen": 0', poison)
                records = ", ".join([json.dumps(good[0]), big, json.dumps(good[2])])
                page = '{"records": [' + records + '], "next": "i1"}'
                body = page.encode() if since is None else b'{"records": [], "next": "i1"}'
            elif mode == "empty":
                body = b'{"records": [], "next": null}'
            elif mode in ("500", "404"):
                status, body = int(mode), b'{"error": "boom"}'
            elif mode == "redirect":
                self.send_response(302)
                self.send_header("location", "http://127.0.0.1:9/x")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            elif mode == "garbage":
                body = b'{"records": [ {"record_id": "tru'
            elif mode == "html":
                body, kind = b"<html>maintenance</html>", "text/html"
            elif mode == "list":
                body = json.dumps(good).encode()
            elif mode == "records_obj":
                body = json.dumps({"records": {"a": 1}, "next": "c999"}).encode()
            elif mode == "slow":
                time.sleep(2)
                body = b'{"records": [], "next": null}'
            try:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the slow page: the pull gave up
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def _cursor(city: City, interface: str = "bank_repayment") -> str | None:
    with city.container.uow(write=False) as uow:
        return feeds.pull_cursor(uow, interface=interface)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("mode", "what"),
    [
        ("500", "HTTP 500"),
        ("404", "HTTP 404"),
        ("redirect", "HTTP 302"),
        ("garbage", "not JSON"),
        ("html", "not JSON"),
        ("list", "not {"),
        ("records_obj", "not {"),
        ("slow", "no answer in time"),
        ("down", "cannot connect"),
    ],
)
def test_a_page_that_cannot_be_had_or_read_is_an_error_and_the_cursor_stays(
    city: City, departments: str, mode: str, what: str
) -> None:
    with city.container.uow() as uow:
        feeds.set_pull_cursor(uow, interface="bank_repayment", cursor="c5")
        uow.commit()
    url = f"http://127.0.0.1:{_closed_port()}/x" if mode == "down" else f"{departments}/{mode}"
    with pytest.raises(Unavailable, match=f"^bank_repayment: pull from {url} failed: .*{what}"):
        pull(city.container, interface="bank_repayment", url=url, timeout=0.5)
    assert _cursor(city) == "c5"


def test_a_poison_record_is_quarantined_and_the_pull_goes_on(city: City, departments: str) -> None:
    (page,) = pull(city.container, interface="bank_repayment", url=f"{departments}/surrogate")
    assert (page.counts.received, page.counts.accepted, page.counts.quarantined) == (2, 1, 1)
    assert _cursor(city) == "s1"
    with city.container.uow(write=False) as uow:
        (q,) = feeds.quarantine_list(uow, principal=SYSTEM, interface="bank_repayment")
        assert (q["reason"], q["field"], q["detail"]) == (  # note: a key, not a field of the interface
            "bad_encoding",
            None,
            "bytes that are not UTF-8 in 'note', which is not a field of bank_repayment",
        )
        assert feeds.recent_imports(uow, interface="bank_repayment")[0]["status"] == "done"


@pytest.mark.parametrize(
    ("mode", "said"),
    [("long_int", "not JSON: Exceeds the limit (4300 digits)"), ("deep", "not JSON: nested too deeply")],
)
def test_a_record_python_cannot_parse_is_quarantined_and_the_pull_goes_on(
    city: City, departments: str, mode: str, said: str
) -> None:
    """An integer of more digits than Python converts; nesting deeper than its parser goes."""
    (page,) = pull(city.container, interface="bank_repayment", url=f"{departments}/{mode}")
    c = page.counts
    assert (c.received, c.accepted, c.quarantined) == (3, 2, 1)
    assert c.received == c.accepted + c.duplicates + c.quarantined + c.held_for_consent
    assert _cursor(city) == "i1"
    with city.container.uow(write=False) as uow:
        (q,) = feeds.quarantine_list(uow, principal=SYSTEM, interface="bank_repayment")
        assert (q["row"], q["reason"]) == (2, "bad_json")
        assert q["detail"].startswith(said)


def test_cli_pull_prints_one_error_line_and_pull_all_pulls_every_interface(
    city: City, departments: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moralbank.cli.feeds as cli_feeds
    from moralbank.cli.main import app

    monkeypatch.setattr(cli_feeds, "container", lambda: city.container)
    r = CliRunner().invoke(app, ["feeds", "pull", "bank_repayment", "--url", f"{departments}/500"])
    assert r.exit_code == 1
    assert f"error bank_repayment: pull from {departments}/500 failed: HTTP 500" in r.output
    assert "Traceback" not in r.output
    # the first interface (bank_repayment) fails, the others are still pulled
    urls = {"bank_repayment": "html", "court_enforcement": "empty", "social_security": "empty"}
    for name in ("bank_repayment", "court_enforcement", "social_security", "tax_credit"):
        monkeypatch.setenv(
            f"MORALBANK_FEEDS_PULL_URL_{name.upper()}", f"{departments}/{urls.get(name, 'good')}"
        )
    r = CliRunner().invoke(app, ["feeds", "pull", "--all", "--json"])
    assert r.exit_code == 1, r.output
    assert "error bank_repayment: pull from" in r.output and "the answer is not JSON" in r.output
    assert _cursor(city, "social_security") is None and _cursor(city, "tax_credit") == "g1"


def test_an_import_stopped_by_an_error_is_marked_failed(
    city: City, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = city.write(tmp_path / "b.csv", "blood_donation", 3)
    break_off_reading(monkeypatch)  # after the first batch
    with pytest.raises(OSError, match=READING_BROKE_OFF):
        import_file(city.container, interface="blood_donation", path=path, batch_size=1)
    with city.container.uow(write=False) as uow:
        (run,) = feeds.recent_imports(uow, interface="blood_donation")
    assert run["status"] == "failed" and run["finished_at"] is not None and run["accepted"] == 1
