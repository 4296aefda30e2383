"""``moralbank ledger …`` through Typer's runner: the published JSON contracts, verify, receipts."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from moralbank.cli import common
from moralbank.cli.main import app
from moralbank.ledger import merkle, verify
from moralbank.ledger.checkpoint import verifier_key
from tests.integration.ledger.conftest import RESIDENTS

runner = CliRunner()


@pytest.fixture
def cli(ledger, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setattr(common, "container", lambda: ledger)

    def run(*args: str):  # noqa: ANN202
        return runner.invoke(app, ["ledger", *args])

    return run


def test_proof_json_contract(cli) -> None:  # noqa: ANN001
    out = cli("proof", "5", "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data) == {"leaf_index", "tree_size", "leaf", "proof", "checkpoint", "verifier_key"}
    assert (data["leaf_index"], data["tree_size"]) == (4, 37)
    assert json.loads(base64.b64decode(data["leaf"]))["seq"] == 5
    assert verify.check_proof(data).entry.seq == 5
    old = json.loads(cli("proof", "5", "--json", "--size", "6").stdout)
    assert old["tree_size"] == 6 and verify.check_proof(old).checkpoint.tree_size == 6
    assert cli("proof", "20", "--size", "6").exit_code == 2
    assert cli("proof", "999").exit_code == 2


def test_consistency_and_checkpoint_json_contracts(cli) -> None:  # noqa: ANN001
    data = json.loads(cli("consistency", "6", "37", "--json").stdout)
    assert set(data) == {"old_size", "new_size", "old_root", "new_root", "proof"}
    merkle.verify_consistency(
        6,
        37,
        base64.b64decode(data["old_root"]),
        base64.b64decode(data["new_root"]),
        [base64.b64decode(h) for h in data["proof"]],
    )
    cp = json.loads(cli("checkpoint", "--json").stdout)
    assert set(cp) == {"tree_size", "root", "checkpoint", "verifier_key"}
    assert cp["tree_size"] == 37 and cp["root"] == data["new_root"]
    assert cp["checkpoint"].startswith(f"moralbank.yuyao.example/ledger\n37\n{cp['root']}\n\n— ")
    assert cli("consistency", "0", "6", "--json").exit_code == 2


def test_out_of_range_numbers_get_the_usual_answer_not_a_traceback(cli) -> None:  # noqa: ANN001
    huge = str(10**20)  # more than a 64-bit integer: the driver cannot even bind it
    for args, said in [
        (("proof", huge), f"no ledger entry {huge}"),
        (("proof", "0"), "no ledger entry 0"),
        (("proof", "1", "--size", huge), f"no checkpoint of tree size {huge}"),
        (("proof", "1", "--size", "-3"), "no checkpoint of tree size -3"),
    ]:
        out = cli(*args)
        assert out.exit_code == 2 and said in out.output, (args, out.output)
    # the size at fault is the one named
    assert "field new_size" in cli("consistency", "5", "38").output
    assert "field new_size" in cli("consistency", "5", huge).output
    assert "field old_size" in cli("consistency", "0", "6").output
    assert "field old_size" in cli("consistency", "7", "6").output


def test_the_verifier_key_is_printed_whole_on_one_line(cli) -> None:  # noqa: ANN001
    key = json.loads(cli("checkpoint", "--json").stdout)["verifier_key"]
    assert len(key) > 80  # longer than the console is wide
    for args in (("checkpoint",), ("proof", "5")):
        lines = cli(*args).stdout.splitlines()
        assert f"verifier key: {key}" in lines, (args, lines)


def test_verify_passes_then_names_the_tampered_rows(cli, ledger) -> None:  # noqa: ANN001
    ok = cli("verify")
    assert ok.exit_code == 0, ok.output
    with ledger.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER ledger_entry_no_update"))
            conn.execute(text("DROP TRIGGER ledger_entry_no_delete"))
        else:
            conn.execute(text("ALTER TABLE ledger_entry DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE ledger_entry SET points = 99 WHERE seq = 7"))
        conn.execute(text("DELETE FROM ledger_entry WHERE seq = 12"))
    bad = cli("verify", "--json")
    assert bad.exit_code == 1
    report = json.loads(bad.stdout)
    assert {(f["kind"], f["seq"]) for f in report["findings"] if f["seq"]} == {
        ("changed", 7),
        ("deleted", 12),
    }
    human = cli("verify")
    assert human.exit_code == 1 and "seq 7" in human.output and "seq 12" in human.output


def test_receipt_verifies_without_a_database(cli, ledger, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from moralbank.ledger import service

    with ledger.uow(write=False) as uow:
        receipt = service.receipt(uow, seq=2, resident_id=RESIDENTS[1])
        published = [k.verifier_key for k in service.keys(uow)]
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt, ensure_ascii=False))

    def no_database():  # noqa: ANN202
        raise AssertionError("verify-receipt must not open the database")

    monkeypatch.setattr(common, "container", no_database)
    out = cli("verify-receipt", str(path), "--key", published[0])
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("ok: entry 2 (R0AB12CD34EF5")
    receipt["entry"]["points"] += 10
    path.write_text(json.dumps(receipt))
    bad = cli("verify-receipt", str(path))
    assert bad.exit_code == 1 and "does NOT verify" in bad.output
    receipt["entry"]["points"] -= 10
    path.write_text(json.dumps(receipt))
    stranger = str(verifier_key("moralbank.yuyao.example/ledger", bytes(32)))  # well formed, not the city's
    assert cli("verify-receipt", str(path), "--key", stranger).exit_code == 1


def test_entries_and_keys(cli) -> None:  # noqa: ANN001
    rows = json.loads(cli("entries", RESIDENTS[0], "--json").stdout)
    assert [r["seq"] for r in rows][:3] == [1, 4, 7] and rows[-1]["reverses_seq"] == 1
    listed = cli("keys", "list", "--json")
    assert [k["status"] for k in json.loads(listed.stdout)] == ["active"]
    rotated = cli("keys", "rotate")
    assert rotated.exit_code == 0, rotated.output
    published = cli("keys", "publish").stdout.splitlines()
    assert len(published) == 2 and all(p.startswith("moralbank.yuyao.example/ledger+") for p in published)
    data = json.loads(cli("proof", "1", "--json").stdout)
    assert data["verifier_key"] == published[1]  # the fresh checkpoint is signed by the new key
    kid = json.loads(cli("keys", "list", "--json").stdout)[0]["kid"]
    assert cli("keys", "revoke", kid).exit_code == 0
    assert cli("keys", "publish").stdout.splitlines() == published[1:]


def test_a_size_without_a_checkpoint_names_the_signed_sizes_around_it(cli, ledger) -> None:  # noqa: ANN001
    with ledger.engine.connect() as conn:
        sizes = sorted(conn.execute(text("SELECT DISTINCT tree_size FROM ledger_checkpoint")).scalars())
    assert sizes[0] > 0 and sizes[-1] - sizes[-2] > 1, sizes
    between = sizes[-2] + 1
    out = cli("proof", "1", "--size", str(between))
    assert out.exit_code == 2
    assert f"no checkpoint of tree size {between}; the nearest are {sizes[-2]} and {sizes[-1]}" in out.output
    assert f"the nearest is {sizes[0]}" in cli("proof", "1", "--size", "0").output
    assert f"the nearest is {sizes[-1]}" in " ".join(cli("proof", "1", "--size", str(10**20)).output.split())
