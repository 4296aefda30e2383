"""Regenerate the endpoint table of docs/api.md from the app's OpenAPI (run after adding routes).

.venv/bin/python scripts/api_doc.py
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from moralbank.bootstrap import bootstrap
from moralbank.config import Settings
from moralbank.web.app import create_app

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BEGIN, END = "<!-- endpoints:begin -->", "<!-- endpoints:end -->"


def endpoint_table() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(bootstrap(Settings(data_dir=Path(tmp)), migrate=False, rng=random.Random(0)))
        spec = app.openapi()
    rows = ["| method | path | summary |", "| --- | --- | --- |"]
    for path, ops in sorted(spec["paths"].items()):
        if not path.startswith("/api"):
            continue
        for method, op in ops.items():
            summary = (op.get("summary") or "").replace("|", "\\|")
            rows.append(f"| {method.upper()} | `{path}` | {summary} |")
    return "\n".join(rows)


def main() -> None:
    text = DOC.read_text()
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    DOC.write_text(f"{head}{BEGIN}\n{endpoint_table()}\n{END}{tail}")


if __name__ == "__main__":
    main()
