"""``moralbank ledger verify-receipt``: a receipt is trusted only against keys the user gives (the
city's published keys), and a file or option that is wrong is named as such (docs/ledger.md,
"Receipts")."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from moralbank.cli import common
from moralbank.cli.main import app
from moralbank.ledger import checkpoint as notes
from moralbank.ledger import merkle, service
from moralbank.ledger.domain import decode_leaf, encode_leaf
from tests.integration.ledger.conftest import RESIDENTS, name_and_hash

runner = CliRunner()
ORIGIN = "moralbank.yuyao.example/ledger"


def run(*args: str):  # noqa: ANN201
    return runner.invoke(app, ["ledger", "verify-receipt", *args])


def said(result) -> str:  # noqa: ANN001
    """What the command printed, stdout and stderr, as one line (the console wraps long lines)."""
    return " ".join(result.output.replace("│", " ").split())


@pytest.fixture
def receipts(ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """In a directory of its own: ``real.json`` (entry 2), ``keys.txt`` (the output of
    ``keys publish``); the command must not open the database."""
    with ledger.uow(write=False) as uow:
        real = service.receipt(uow, seq=2, resident_id=RESIDENTS[1])
        published = [str(k) for k in service.trusted_keys(uow)]
    monkeypatch.chdir(tmp_path)
    Path("real.json").write_text(json.dumps(real, ensure_ascii=False, indent=2), encoding="utf-8")
    Path("keys.txt").write_text("".join(k + "\n" for k in published), encoding="utf-8")

    def no_database():  # noqa: ANN202
        raise AssertionError("verify-receipt must not open the database")

    monkeypatch.setattr(common, "container", no_database)
    return real, published


def forge(real: dict, points: int) -> tuple[dict, str]:
    """A receipt for entry 2 with other points, in a tree of 2 that a stranger's key signed under the
    city's origin name — every check passes except whose key it is. Returns it and that key."""
    stranger = Ed25519PrivateKey.generate()
    public = stranger.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = str(notes.verifier_key(ORIGIN, public))
    leaf = encode_leaf(decode_leaf(base64.b64decode(real["leaf"]))._replace(points=points))
    sibling = merkle.leaf_hash(b"anything")
    root = merkle.node_hash(sibling, merkle.leaf_hash(leaf))
    note = notes.sign(notes.Checkpoint(ORIGIN, 2, root), ORIGIN, stranger)
    b64 = lambda b: base64.b64encode(b).decode()  # noqa: E731
    forged = {
        **real,
        "leaf_index": 1,
        "tree_size": 2,
        "leaf": b64(leaf),
        "proof": [b64(sibling)],
        "checkpoint": note,
        "verifier_key": key,
        "entry": decode_leaf(leaf).as_dict(),
    }
    return forged, key


def test_without_a_trusted_key_a_forged_receipt_is_never_reported_as_verified(receipts) -> None:  # noqa: ANN001
    real, published = receipts
    forged, stranger = forge(real, points=500)
    Path("forged.json").write_text(json.dumps(forged), encoding="utf-8")

    out = run("forged.json")
    assert out.exit_code == 3, out.output
    assert not out.stdout.startswith("ok")
    text = said(out)
    assert "NOT checked against the city's published keys" in text
    assert stranger in out.stdout.splitlines()  # printed whole, on a line of its own, to compare
    assert "moralbank ledger keys publish" in text and "/api/ledger/keys" in text

    data = json.loads(run("forged.json", "--json").stdout)
    assert data["ok"] is False and data["key_checked"] is False
    assert data["signed_by"] == [stranger] and "published" in data["error"]
    assert run("forged.json", "--json").exit_code == 3

    # against the city's keys the forgery fails, given one by one or as the published file
    for args in (("--key", published[0]), ("--keys-file", "keys.txt")):
        bad = run("forged.json", *args)
        assert bad.exit_code == 1, (args, bad.output)
        assert "forged.json does NOT verify" in said(bad)
        assert "not signed by any of the keys you trust" in said(bad)
        assert name_and_hash(published[0]) in said(bad)  # which key it checked against
        verdict = json.loads(run("forged.json", *args, "--json").stdout)
        assert verdict["ok"] is False and verdict["key_checked"] is True


def test_the_real_receipt_verifies_only_against_the_published_keys(receipts) -> None:  # noqa: ANN001
    real, published = receipts
    # without a key even the real receipt is only checked against itself: the same exit code 3
    assert run("real.json").exit_code == 3
    out = run("real.json", "--keys-file", "keys.txt")
    assert out.exit_code == 0, out.output
    assert out.stdout.startswith("ok: entry 2 (R0AB12CD34EF5")
    data = json.loads(run("real.json", "--key", published[0], "--json").stdout)
    assert data == {
        "ok": True,
        "key_checked": True,
        "seq": 2,
        "resident_id": RESIDENTS[1],
        "points": real["entry"]["points"],
        "tree_size": 37,
        "signed_by": published,
    }


def test_a_published_key_file_holds_every_key_a_rotation_left_trusted(ledger, receipts) -> None:  # noqa: ANN001
    old_receipt, _ = receipts
    ledger.keys.rotate_signing_key(service.PURPOSE)
    with ledger.uow() as uow:
        service.make_checkpoint(uow)  # as `keys rotate` does: the new key signs the same tree
        uow.commit()
    with ledger.uow(write=False) as uow:
        new_receipt = service.receipt(uow, seq=3)
        published = [str(k) for k in service.trusted_keys(uow)]
        api = {"trusted": published}
    assert len(published) == 2 and new_receipt["verifier_key"] != old_receipt["verifier_key"]
    Path("new.json").write_text(json.dumps(new_receipt), encoding="utf-8")
    Path("keys.txt").write_text("# published 2026-12-06\n\n" + "\n".join(published) + "\n", encoding="utf-8")
    Path("keys.json").write_text(json.dumps(api), encoding="utf-8")  # as GET /api/ledger/keys gives it
    for keys in ("keys.txt", "keys.json"):
        for receipt in ("real.json", "new.json"):
            out = run(receipt, "--keys-file", keys)
            assert out.exit_code == 0, (keys, receipt, out.output)
    # the old key alone does not vouch for what the new one signed
    assert run("new.json", "--key", published[0]).exit_code == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "receipt.json is empty"),
        (b"   \n", "receipt.json is empty"),
        (b"hello", "receipt.json is not JSON (line 1, column 1)"),
        ('{"entry": "道德"'.encode("gbk"), "receipt.json is not UTF-8 text"),
        (b"[1, 2]", "receipt.json is not a moralbank-ledger-receipt/1 receipt"),
        (b'{"format": "something else"}', "receipt.json is not a moralbank-ledger-receipt/1 receipt"),
    ],
)
def test_a_file_that_is_not_a_receipt_is_named_with_what_is_wrong(
    receipts, content: bytes, expected: str
) -> None:  # noqa: ANN001
    Path("receipt.json").write_bytes(content)
    for args in ((), ("--json",), ("--keys-file", "keys.txt")):
        out = run("receipt.json", *args)
        assert out.exit_code == 2, (content, args, out.output)
        text = said(out)
        assert expected in text, text
        assert "Expecting value" not in text and "codec" not in text and "does NOT verify" not in text
        assert out.stdout == ""  # an error, on stderr: nothing to parse on stdout


def test_a_receipt_saved_as_gbk_is_told_apart_from_a_broken_one(receipts) -> None:  # noqa: ANN001
    real, _ = receipts
    Path("receipt.json").write_bytes(json.dumps(real, ensure_ascii=False).encode("gbk"))
    text = said(run("receipt.json"))
    assert "receipt.json is not UTF-8 text" in text and "GBK" in text


def test_a_bad_key_is_a_usage_error_naming_the_option_not_a_failed_receipt(receipts) -> None:  # noqa: ANN001
    out = run("real.json", "--key", "garbage")
    assert out.exit_code == 2, out.output
    text = said(out)
    assert "--key" in text and "'garbage' is not a verifier key" in text
    assert "does NOT verify" not in text

    Path("keys.txt").write_text(Path("keys.txt").read_text(encoding="utf-8") + "garbage\n", encoding="utf-8")
    out = run("real.json", "--keys-file", "keys.txt")
    assert out.exit_code == 2, out.output
    assert "--keys-file" in said(out) and "keys.txt, line 2: 'garbage' is not a verifier key" in said(out)
    Path("empty.txt").write_text("\n", encoding="utf-8")
    out = run("real.json", "--keys-file", "empty.txt")
    assert out.exit_code == 2 and "empty.txt holds no verifier key" in said(out)
    assert run("real.json", "--keys-file", "missing.txt").exit_code == 2
