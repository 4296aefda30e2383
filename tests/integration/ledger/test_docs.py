"""The independent receipt check printed in docs/ledger.md works on real receipts, and refuses
forged ones."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from moralbank.ledger import service
from tests.integration.ledger.conftest import RESIDENTS

DOC = Path(__file__).resolve().parents[3] / "docs" / "ledger.md"


def snippet() -> str:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"<!-- receipt-snippet -->\n```python\n(.*?)```\n<!-- /receipt-snippet -->", text, re.S)
    assert m, "docs/ledger.md lost its receipt snippet"
    code = m.group(1)
    imported = set(re.findall(r"^(?:from|import) (\w+)", code, re.M))
    assert imported <= {"base64", "hashlib", "json", "cryptography"}, imported  # independent of moralbank
    return code


def test_the_documented_snippet_checks_real_receipts(ledger) -> None:  # noqa: ANN001
    namespace: dict = {}
    exec(compile(snippet(), str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    check = namespace["check_receipt"]
    with ledger.uow(write=False) as uow:
        key = service.keys(uow)[0].verifier_key
        receipts = [
            service.receipt(uow, seq=e.seq)
            for rid in RESIDENTS
            for e in service.entries_of(uow, resident_id=rid)
        ]
    for r in receipts:
        assert check(json.loads(json.dumps(r)), key)["seq"] == r["leaf_index"] + 1
    r = receipts[5]
    for forged in (
        {**r, "entry": {**r["entry"], "points": 99}},
        {**r, "leaf_index": r["leaf_index"] + 1},
        {**r, "proof": r["proof"][::-1]},
        {**r, "checkpoint": r["checkpoint"].replace("\n37\n", "\n38\n")},
        {**r, "tree_size": 36},
    ):
        with pytest.raises(Exception):  # noqa: B017 - the snippet asserts or raises InvalidSignature
            check(forged, key)
    other = key.split("+")[0] + "+00000000+" + key.split("+", 2)[2]
    with pytest.raises(AssertionError):
        check(r, other)
