"""docs/api.md lists exactly the app's API endpoints (regenerate with scripts/api_doc.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_api_doc_is_current() -> None:
    spec = importlib.util.spec_from_file_location("api_doc", ROOT / "scripts" / "api_doc.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (ROOT / "docs" / "api.md").read_text()
    assert module.endpoint_table() in text, "docs/api.md is stale: run .venv/bin/python scripts/api_doc.py"
