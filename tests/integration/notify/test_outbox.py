"""The queued channels (SMS, WeChat) against a real HTTP relay on 127.0.0.1: settings pick the gateways,
only committed messages leave, every request is signed, failures wait and are tried again."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM
from moralbank.bootstrap import Container
from moralbank.cli import common
from moralbank.cli.main import app
from moralbank.config import Settings
from moralbank.errors import Unavailable
from moralbank.kernel.signatures import signature_ok
from moralbank.notify import service as notify
from moralbank.orgs import service as orgs
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make

PHONE = "13800138000"


class Relay:
    """An HTTP server that records every POST and answers with the next queued status (200 when none)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                relay.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status = relay.statuses.pop(0) if relay.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"busy" if status >= 300 else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def posts(self, path: str) -> list[tuple[dict[str, str], dict]]:
        return [(h, json.loads(b)) for p, h, b in self.requests if p == path]


@pytest.fixture
def relay() -> Iterator[Relay]:
    r = Relay()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def settings(tmp_path: Path, relay: Relay) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        sms_gateway=f"{relay.url}/sms",
        wechat_gateway=f"{relay.url}/wechat",
        notifier="sms,wechat",
    )


@pytest.fixture
def resident(container: Container) -> str:
    with container.uow() as uow:
        orgs.create(uow, code="330281", name_zh="余姚市", level="city", parent=None, actor="test")
        orgs.create(
            uow, code="330281001", name_zh="梨洲街道", level="township", parent="330281", actor="test"
        )
        orgs.create(
            uow, code="330281001001", name_zh="一村", level="village", parent="330281001", actor="test"
        )
        orgs.create(
            uow, code="330281001001-G01", name_zh="一格", level="grid", parent="330281001001", actor="test"
        )
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name="居民甲",
            id_number=make("330281", date(1980, 1, 1), 11),
            grid="330281001001-G01",
            consent_text_version="v1",
            phone=PHONE,
        )
        uow.commit()
    return rid


def _secret(container: Container) -> bytes:
    return container.keys.secret("gateway")


def test_due_process_goes_by_sms_every_message_by_wechat_signed_after_commit(container, relay, resident):
    with container.uow() as uow:
        notify.send(
            uow,
            resident_id=resident,
            subject="扣分告知",
            body="拟因「合同违约」扣 20 分……",
            ref="deed:1",
            due_process=True,
        )
        notify.send(
            uow, resident_id=resident, subject="积分已入账", body="「志愿服务」5 分已记入。", ref="ledger:1"
        )
        notify.send_many(uow, messages=[(resident, "部门数据评价", "拟为您记录……", "deed:2")])
        uow.commit()
    assert relay.requests == []  # queued: nothing leaves inside the transaction

    report = notify.dispatch(container)
    assert (report.sent, report.failed) == (4, 0)
    sms, wechat = relay.posts("/sms"), relay.posts("/wechat")
    assert [b for _, b in sms] == [
        {"phone": PHONE, "text": "【道德银行】扣分告知，详情请查看道德银行站内消息。"}
    ]
    assert [b["title"] for _, b in wechat] == ["扣分告知", "积分已入账", "部门数据评价"]
    assert {b["resident_id"] for _, b in wechat} == {resident}
    for path, headers, body in relay.requests:
        assert signature_ok(_secret(container), body, headers["x-moralbank-signature"]), path
        assert headers["idempotency-key"].startswith("outbox:")
        assert headers["content-type"].startswith("application/json")
    with container.uow(write=False) as uow:
        assert notify.outbox_status(uow).waiting == {}
        reads = audit.list_for_resident(uow, resident_id=resident)
    assert [(r.what, r.why, r.actor) for r in reads] == [("resident.phone", "SMS notice", SYSTEM.actor)]
    assert notify.dispatch(container).sent == 0  # sent once


def test_a_message_whose_transaction_rolls_back_never_leaves(container, relay, resident):
    with container.uow() as uow:
        notify.send(uow, resident_id=resident, subject="扣分告知", body="x", due_process=True)
    assert notify.dispatch(container).sent == 0 and relay.requests == []


def test_sms_for_every_message_when_configured(tmp_path, engine, clock, relay, resident):
    from moralbank.bootstrap import bootstrap

    all_sms = Settings(
        data_dir=tmp_path / "data", sms_gateway=f"{relay.url}/sms", notifier="sms", sms_notify="all"
    )
    c = bootstrap(all_sms, clock=clock, engine=engine, migrate=False)
    with c.uow() as uow:
        notify.send(uow, resident_id=resident, subject="积分已入账", body="x")
        uow.commit()
    assert notify.dispatch(c).sent == 1 and [b["text"][:11] for _, b in relay.posts("/sms")] == [
        "【道德银行】积分已入账"
    ]
    assert relay.posts("/wechat") == []


def test_failures_wait_longer_each_time_then_give_up_until_retried(container, clock, relay, resident):
    with container.uow() as uow:
        notify.send(uow, resident_id=resident, subject="异议已受理", body="x", due_process=True)
        uow.commit()
    relay.statuses = [503] * 2 * notify.MAX_ATTEMPTS  # both channels refuse, every time
    waits = []
    for attempt in range(1, notify.MAX_ATTEMPTS + 1):
        report = notify.dispatch(container)
        assert (report.sent, report.failed) == (0, 2), attempt
        assert "answered 503: busy" in report.errors[0]
        assert notify.dispatch(container).failed == 0  # not due again yet
        with container.uow(write=False) as uow:
            from moralbank.notify.models import NotifyOutbox

            rows = uow.db.query(NotifyOutbox).all()
            assert {r.attempts for r in rows} == {attempt}
            waits.append(rows[0].next_at - clock.now())
        clock.advance(seconds=waits[-1].total_seconds())
    assert waits[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert report.given_up == 2
    with container.uow(write=False) as uow:
        assert notify.outbox_status(uow).given_up == {"sms": 1, "wechat": 1}
    clock.advance(days=1)
    assert notify.dispatch(container).failed == 0  # given up: no longer tried
    with container.uow() as uow:
        assert notify.retry_given_up(uow) == 2
        uow.commit()
    assert notify.dispatch(container).sent == 2  # the relay takes them now
    keys = {h["idempotency-key"] for p, h, _ in relay.requests if p == "/sms"}
    assert len(keys) == 1  # every attempt of one message carries the same key
    assert len(relay.posts("/sms")) == notify.MAX_ATTEMPTS + 1


def test_sign_in_codes_go_through_the_configured_gateway_and_a_refusal_keeps_no_code(
    container, relay, resident
):
    relay.statuses = [500]
    with pytest.raises(Unavailable, match="SMS platform did not take"), container.uow() as uow:
        auth.request_code(uow, phone=PHONE)
        uow.commit()
    with container.uow() as uow:  # no code was kept, so no "sent less than a minute ago"
        auth.request_code(uow, phone=PHONE)
        uow.commit()
    [(_, first), (headers, body)] = relay.posts("/sms")
    assert body["phone"] == PHONE and "登录验证码" in body["text"]
    assert signature_ok(
        _secret(container),
        json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(),
        headers["x-moralbank-signature"],
    )


def test_cli_dispatch_status_retry(container, relay, resident, monkeypatch):
    monkeypatch.setattr(common, "container", lambda: container)
    runner = CliRunner()
    with container.uow() as uow:
        notify.send(uow, resident_id=resident, subject="扣分已生效", body="x", due_process=True)
        uow.commit()
    status = json.loads(runner.invoke(app, ["notify", "status", "--json"]).stdout)
    assert status["waiting"] == {"sms": 1, "wechat": 1} and status["given_up"] == {}
    relay.statuses = [503]
    result = runner.invoke(app, ["notify", "dispatch", "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["failed"] == 1
    container.clock.advance(minutes=1)
    result = runner.invoke(app, ["notify", "dispatch", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == {
        "sent": 1,
        "failed": 0,
        "given_up": 0,
        "errors": [],
    }
    assert json.loads(runner.invoke(app, ["notify", "retry", "--json"]).stdout) == {"retried": 0}


def test_a_gateway_that_is_down_costs_one_try_per_run_and_the_rest_keep_their_attempts(
    container, clock, relay, resident
):
    from moralbank.notify.models import NotifyOutbox

    with container.uow() as uow:
        notify.send_many(uow, messages=[(resident, f"消息{i}", "x", None) for i in range(3)])
        uow.commit()
    relay.statuses = [503]
    report = notify.dispatch(container)
    assert (report.sent, report.failed) == (0, 1) and len(relay.posts("/wechat")) == 1
    with container.uow(write=False) as uow:
        rows = uow.db.query(NotifyOutbox).order_by(NotifyOutbox.id).all()
        assert [(r.attempts, r.next_at - clock.now()) for r in rows] == [
            (1, timedelta(minutes=1)),
            (0, timedelta(0)),  # not tried: due again at the next run, no attempt used
            (0, timedelta(0)),
        ]
    report = notify.dispatch(container)  # the relay answers again
    assert (report.sent, report.failed) == (2, 0)
    clock.advance(minutes=1)
    assert notify.dispatch(container).sent == 1
    assert [b["title"] for _, b in relay.posts("/wechat")] == ["消息0", "消息1", "消息2", "消息0"]


def test_rows_claimed_by_another_dispatcher_are_left_to_it(container, clock, relay, resident):
    from moralbank.notify import repository

    with container.uow() as uow:
        notify.send(uow, resident_id=resident, subject="积分已入账", body="x")
        uow.commit()
    with container.uow() as uow:  # another dispatcher takes the row, then dies before sending
        now = clock.now()
        [row] = repository.claim(uow.db, now, notify.MAX_ATTEMPTS, 10, now + notify.LEASE)
        uow.commit()
    assert notify.dispatch(container).sent == 0 and relay.requests == []
    clock.advance(seconds=notify.LEASE.total_seconds())
    assert notify.dispatch(container).sent == 1  # after the lease it is sent, with the same key
    assert relay.posts("/wechat")[0][0]["idempotency-key"] == f"outbox:{row.id}"
