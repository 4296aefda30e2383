"""``moralbank policy …`` run through Typer's runner against the test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moralbank.bootstrap import Container
from moralbank.cli import common
from moralbank.cli.main import app
from moralbank.policy.service import default_text

runner = CliRunner()


@pytest.fixture
def cli(container: Container, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setattr(common, "container", lambda: container)

    def run(*args: str):  # noqa: ANN202
        return runner.invoke(app, ["policy", *args])

    return run


def _changed(tmp_path: Path, old: str, new: str, name: str = "city.yaml") -> Path:
    text = default_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_check_ok_and_failing(cli, tmp_path: Path) -> None:  # noqa: ANN001
    good = tmp_path / "good.yaml"
    good.write_text(default_text(), encoding="utf-8")
    result = cli("check", str(good))
    assert result.exit_code == 0 and "ok (4 aspects, 20 indicators" in result.stdout

    bad = _changed(tmp_path, "serious: 36}", "serious: 80}", "bad.yaml")
    line = default_text()[: default_text().index("serious: 36}")].count("\n") + 1
    result = cli("check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:{line}: negatives.display_months.serious: refused:" in result.stdout


def test_check_says_where_each_years_working_days_come_from(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = _changed(tmp_path, "  holidays: []", "  holidays: [2027-01-01]")
    result = cli("check", str(path), "--year", "2026")
    assert result.exit_code == 0, result.output
    assert f"{path}: working days in 2026: the chinese_calendar package" in result.stdout
    assert f"{path}: working days in 2027: the policy's calendar" in result.stdout
    result = cli("check", str(path), "--year", "2027")
    reminder = "Monday to Friday only: add the State Council's schedule for 2028 under `calendar:`"
    assert f"{path}: working days in 2028: {reminder}" in result.stdout


def test_apply_list_show_diff(cli, tmp_path: Path) -> None:  # noqa: ANN001
    first = tmp_path / "v1.yaml"
    first.write_text(default_text(), encoding="utf-8")
    result = cli("apply", str(first), "--author", "城市管理员", "--note", "first")
    assert result.exit_code == 0, result.output
    assert "applied as version 1" in result.stdout
    again = cli("apply", str(first), "--author", "someone")
    assert again.exit_code == 0 and "unchanged" in again.stdout and "no new version" in again.stdout

    second = _changed(
        tmp_path,
        "    points: 10\n    min_points: 5\n    max_points: 20",
        "    points: 12\n    min_points: 5\n    max_points: 20",
        "v2.yaml",
    )
    result = cli("apply", str(second), "--author", "城市管理员", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == 2

    versions = json.loads(cli("list", "--json").stdout)
    assert [(v["version"], v["author"], v["active"]) for v in versions] == [
        (1, "城市管理员", False),
        (2, "城市管理员", True),
    ]
    assert versions[0]["note"] == "first"
    assert "城市管理员" in cli("list").stdout

    shown = json.loads(cli("show", "--json").stdout)
    assert shown["version"] == 2
    assert next(i for i in shown["indicators"] if i["code"] == "SM03")["points"] == 12
    old = json.loads(cli("show", "1", "--json").stdout)
    assert next(i for i in old["indicators"] if i["code"] == "SM03")["points"] == 10
    assert "SM03" in cli("show").stdout
    assert cli("show", "1", "--source").stdout == default_text()

    changes = json.loads(cli("diff", "1", "2", "--json").stdout)
    assert changes == [
        {
            "kind": "changed",
            "what": "indicator",
            "code": "SM03",
            "fields": [{"field": "points", "old": 10, "new": 12}],
        }
    ]
    assert "~ indicator SM03" in cli("diff", "1", "2").stdout


def test_apply_refuses_and_stores_nothing(cli, tmp_path: Path) -> None:  # noqa: ANN001
    bad = _changed(tmp_path, "name_zh: 美丽庭院", "name_zh: 儿子参军奖励")
    result = cli("apply", str(bad), "--author", "x")
    assert result.exit_code == 1
    assert ": indicators[FV02].name_zh: refused:" in result.stdout
    assert json.loads(cli("list", "--json").stdout) == []
    assert "no policy applied yet" in cli("list").stdout


def test_show_unknown_version_fails(cli) -> None:  # noqa: ANN001
    result = cli("show", "7")
    assert result.exit_code == 2


def test_export_default_round_trips(cli, tmp_path: Path) -> None:  # noqa: ANN001
    out = tmp_path / "default.yaml"
    assert cli("export-default", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8") == default_text()
    assert cli("export-default").stdout == default_text()
