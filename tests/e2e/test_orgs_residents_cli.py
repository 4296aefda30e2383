"""The CLI contracts other tools rely on: ``org export --json`` and ``residents list --json``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from moralbank.cli.common import container
from moralbank.cli.main import app
from moralbank.residents import idnumber

ORGS = (
    "code,name_zh,name_en,level,parent\n330281,余姚市,Yuyao,city,\n330281001,梨洲街道,Lizhou,township,330281\n"
    "330281001001,光明社区,,village,330281001\n330281001001-G01,一网格,,grid,330281001001\n"
)


def run(args: list[str], env: dict[str, str]) -> Result:
    """In process (typer's CliRunner), with the environment a shell would give the command."""
    return CliRunner().invoke(app, args, env=env)


@pytest.fixture
def env(engine: Engine, tmp_path: Path) -> Iterator[dict[str, str]]:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":  # the per-test schema, through libpq options
        with engine.connect() as conn:
            schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        url += f"?options=-csearch_path%3D{schema}"
    container.cache_clear()
    yield {"MORALBANK_DATA_DIR": str(tmp_path / "data"), "MORALBANK_DATABASE_URL": url}
    c = container()
    c.engine.dispose()
    container.cache_clear()


def test_org_and_residents_contracts(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "orgs.csv").write_text(ORGS, encoding="utf-8-sig")
    r = run(["org", "import", str(tmp_path / "orgs.csv")], env)
    assert r.exit_code == 0, r.output
    r = run(["org", "export", "--json"], env)
    units = json.loads(r.stdout)
    assert {
        "code": "330281001001-G01",
        "name": "一网格",
        "name_en": "",
        "level": "grid",
        "parent": "330281001001",
    } in units
    assert all(set(u) >= {"code", "name", "level", "parent"} for u in units)

    from datetime import date

    numbers = [idnumber.make("330281", date(1970 + i, 1, 1), 2 * i + 1) for i in range(3)]
    rows = "name,id_number,grid\n" + "".join(f"居民{i},{n},330281001001-G01\n" for i, n in enumerate(numbers))
    rows += "坏行,123,330281001001-G01\n"
    (tmp_path / "r.csv").write_text(rows, encoding="gb18030")
    r = run(["residents", "import", str(tmp_path / "r.csv"), "--consent-version", "v1", "--json"], env)
    assert r.exit_code == 1  # a bad row was reported
    report = json.loads(r.stdout)
    assert report["enrolled"] == 3 and report["problems"][0]["row"] == 5

    r = run(["residents", "list", "--json", "--limit", "2"], env)
    listed = json.loads(r.stdout)
    assert len(listed) == 2 and set(listed[0]) == {"id", "grid", "enrolled_at"}
    assert not any(n in r.stdout for n in numbers)

    rid = listed[0]["id"]
    r = run(
        ["residents", "consent", rid, "--grant", "purpose:bank_credit", "--text-version", "c1", "--json"], env
    )
    assert json.loads(r.stdout)[0]["subject"] == "bank_credit", r.output
    r = run(["residents", "export", rid], env)
    assert json.loads(r.stdout)["resident_id"] == rid
    r = run(["residents", "withdraw", rid, "--yes"], env)
    assert r.exit_code == 0
    r = run(["org", "close", "330281001001-G01"], env)
    assert r.exit_code == 2 and "resident" in r.output
