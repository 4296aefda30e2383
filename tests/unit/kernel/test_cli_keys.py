import json
from pathlib import Path

import pytest
from typer.testing import CliRunner


def test_keys_list_and_rotate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MORALBANK_DATA_DIR", str(tmp_path))
    from moralbank.cli import common
    from moralbank.cli.main import app

    common.container.cache_clear()
    runner = CliRunner()
    first = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert {r["purpose"] for r in first} == {"ledger", "greencode", "feeds-export"}
    assert all(r["status"] == "active" for r in first)
    common.container().keys.encrypt("x")  # first use creates the first data key
    result = runner.invoke(app, ["keys", "rotate-data"])
    assert result.exit_code == 0, result.output
    assert len(json.loads((tmp_path / "keys" / "data-keys.json").read_text())["keys"]) == 2
    common.container.cache_clear()
