"""Issuing, rendering, scanning and verifying green codes against a real database and key ring."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from moralbank.auth.domain import SYSTEM
from moralbank.cli import greencode as cli
from moralbank.cli.main import app
from moralbank.greencode import codec, qr, service
from moralbank.greencode.domain import Failure
from tests.integration.scoring.world import build_town


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    for days in (3, 10, 20, 30):
        t.post("zhang", "SM01", 5, days_ago=days)  # 60 + 20 = 80: green
    return t


@pytest.fixture
def runner(container, monkeypatch) -> CliRunner:  # noqa: ANN001
    monkeypatch.setattr(cli, "container", lambda: container)
    monkeypatch.setenv("MORALBANK_DATA_DIR", str(container.settings.data_dir))
    return CliRunner()


def test_phone_code_scanned_from_png_shows_tier_and_masked_name(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        issued = service.issue(uow, resident_id=town.ids["zhang"], principal=town.resident("zhang"))
        uow.commit()
    [text] = qr.decode(qr.png(issued.text))
    with container.uow() as uow:
        v = service.verify(uow, text=text)
    assert v.valid and v.claims.tier == "green" and v.claims.masked_name == "张*明"
    assert v.claims.holder != town.ids["zhang"]  # the internal id is not in the code
    assert issued.claims.expires_at - issued.claims.issued_at == 5 * 60  # the policy's minutes
    container.clock.advance(minutes=5)
    with container.uow() as uow:
        assert service.verify(uow, text=text).failure is Failure.EXPIRED


def test_card_revocation_reaches_offline_verifiers_through_the_signed_list(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        card = service.issue(uow, resident_id=town.ids["zhang"], card=True)
        uow.commit()
    assert card.claims.expires_at - card.claims.issued_at == 365 * 86400
    trust = codec.TrustList.from_jwks(service.trust_list(container.keys))
    at = container.clock.now()
    assert codec.verify(card.text, trust, at=at).valid
    with container.uow() as uow:
        service.revoke_card(uow, card_id=card.claims.card_id, principal=SYSTEM, reason="lost")
        uow.commit()
    with container.uow() as uow:
        jws = service.revocation_list(uow)
        assert service.verify(uow, text=card.text).failure is Failure.REVOKED_CARD
    assert codec.verify(card.text, codec.apply_revocations(trust, jws), at=at).failure is Failure.REVOKED_CARD


def test_rotation_keeps_old_codes_and_revoking_a_key_kills_them(town, container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        old = service.issue(uow, resident_id=town.ids["li"])
        old_kid = old.kid
        new_kid = service.rotate_key(container.keys)
        new = service.issue(uow, resident_id=town.ids["li"])
        assert new.kid == new_kid != old_kid
        assert service.verify(uow, text=old.text).valid and service.verify(uow, text=new.text).valid
        service.revoke_key(container.keys, old_kid)
        assert service.verify(uow, text=old.text).failure is Failure.REVOKED_KEY
        assert service.verify(uow, text=new.text).valid
    assert old_kid not in {k["kid"] for k in service.trust_list(container.keys)["keys"]}


def test_cli_issue_verify_round_trip_offline(town, container, runner, tmp_path) -> None:  # noqa: ANN001
    png = tmp_path / "code.png"
    r = runner.invoke(app, ["greencode", "issue", town.ids["zhang"], "--png", str(png)])
    assert r.exit_code == 0, r.output
    text = r.stdout.strip().splitlines()[-1]
    assert text.startswith("MB1:")
    now = container.clock.now()
    r = runner.invoke(app, ["greencode", "trust-list"])
    jwks = json.loads(r.stdout)
    assert {k["kty"] for k in jwks["keys"]} == {"OKP"} and all("kid" in k for k in jwks["keys"])
    (tmp_path / "trust.json").write_text(r.stdout)
    ok = runner.invoke(
        app,
        ["greencode", "verify", text, "--at", now.isoformat(), "--trust-list", str(tmp_path / "trust.json")],
    )
    assert ok.exit_code == 0 and "green" in ok.stdout and "张*明" in ok.stdout
    img = runner.invoke(app, ["greencode", "verify", "--image", str(png), "--at", now.isoformat()])
    assert img.exit_code == 0, img.output
    late = runner.invoke(app, ["greencode", "verify", text, "--at", (now + timedelta(hours=1)).isoformat()])
    assert late.exit_code == 1 and "expired" in late.stdout
    tampered = text[:-6] + ("A" if text[-6] != "A" else "B") + text[-5:]
    bad = runner.invoke(app, ["greencode", "verify", tampered, "--at", now.isoformat()])
    assert bad.exit_code == 1 and "invalid" in bad.stdout


def test_cli_revoked_card_and_unknown_key(town, container, runner, tmp_path) -> None:  # noqa: ANN001
    r = runner.invoke(app, ["greencode", "issue", town.ids["zhang"], "--card"])
    text = r.stdout.strip().splitlines()[-1]
    with container.uow() as uow:
        [card_id] = [c.card_id for c in service.cards_of(uow, resident_id=town.ids["zhang"])]
    assert runner.invoke(app, ["greencode", "revoke-card", card_id, "--reason", "stolen"]).exit_code == 0
    rev = tmp_path / "revocations.jws"
    assert runner.invoke(app, ["greencode", "revocations", "--out", str(rev)]).exit_code == 0
    at = container.clock.now().isoformat()
    r = runner.invoke(app, ["greencode", "verify", text, "--at", at, "--revocations", str(rev)])
    assert r.exit_code == 1 and "revoked card" in r.stdout
    (tmp_path / "other.json").write_text(json.dumps({"keys": [codec.jwk_of(bytes(range(32)))]}))
    r = runner.invoke(
        app, ["greencode", "verify", text, "--at", at, "--trust-list", str(tmp_path / "other.json")]
    )
    assert r.exit_code == 1 and "unknown" in r.stdout
