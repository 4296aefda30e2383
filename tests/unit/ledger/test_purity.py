"""The verifier modules are pure: stdlib and ``cryptography`` only (independent verifiers, the CLI's
``verify-receipt`` and the tests use them with no database or framework)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import moralbank.ledger

PURE = ("domain", "merkle", "checkpoint", "verify")
ALLOWED = {"cryptography", "moralbank"}


def test_pure_ledger_modules_import_only_stdlib_cryptography_and_each_other() -> None:
    root = Path(moralbank.ledger.__file__).parent
    for name in PURE:
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            else:
                continue
            for m in modules:
                top = m.split(".")[0]
                assert top in sys.stdlib_module_names or top in ALLOWED, f"{name}.py imports {m}"
                if top == "moralbank":
                    assert (
                        m in {"moralbank.errors"} | {f"moralbank.ledger.{p}" for p in PURE}
                        or m == "moralbank.ledger"
                    ), f"{name}.py imports {m}"
