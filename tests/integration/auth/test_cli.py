"""``moralbank users …`` through Typer's runner against the test database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from moralbank.auth import service as auth
from moralbank.bootstrap import Container
from moralbank.cli import common
from moralbank.cli.main import app
from moralbank.errors import NotAuthenticated

runner = CliRunner()


@pytest.fixture
def cli(tree: Container, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setattr(common, "container", lambda: tree)

    def run(*args: str, input: str | None = None):  # noqa: ANN202, A002
        return runner.invoke(app, ["users", *args], input=input)

    return run


def test_create_list_set_role_disable(cli, tree: Container) -> None:  # noqa: ANN001
    r = cli(
        "create",
        "wang",
        "--role",
        "village_officer",
        "--unit",
        "330281001001",
        "--name",
        "王芳",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert r.exit_code == 0, r.output
    with tree.uow() as uow:
        assert (
            auth.sign_in(uow, username="wang", password="a long enough password").principal.unit_code
            == "330281001001"
        )
    rows = json.loads(cli("list", "--json").stdout)
    assert [(u["username"], u["role"], u["unit_code"], u["active"]) for u in rows] == [
        ("wang", "village_officer", "330281001001", True)
    ]
    assert "password_hash" not in rows[0]

    r = cli("set-role", "wang", "--role", "township_officer", "--unit", "330281001001")
    assert r.exit_code == 2 and "works at a township" in r.output
    assert cli("set-role", "wang", "--role", "township_officer", "--unit", "330281001").exit_code == 0
    assert cli("disable", "wang").exit_code == 0
    assert json.loads(cli("list", "--json").stdout)[0]["active"] is False
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.sign_in(uow, username="wang", password="a long enough password")


def test_create_prompts_for_the_password_twice(cli) -> None:  # noqa: ANN001
    r = cli("create", "li", "--role", "auditor", input="a long enough password\na long enough password\n")
    assert r.exit_code == 0, r.output
    r = cli("reset-password", "li", "--password-stdin", input="short\n")
    assert r.exit_code == 2 and "at least" in r.output


def test_token_is_printed_once_and_revocable(cli, tree: Container) -> None:  # noqa: ANN001
    r = cli(
        "token",
        "create",
        "社保局",
        "--role",
        "department_feed",
        "--scope",
        "feeds:push:social_security",
        "--unit",
        "330281",
    )
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("mbt_")
    listed = cli("token", "list", "--json")
    assert token not in listed.stdout
    tokens = json.loads(listed.stdout)
    assert tokens[0]["scopes"] == ["feeds:push:social_security"] and tokens[0]["revoked_at"] is None
    with tree.uow() as uow:
        assert auth.principal_for_token(uow, token=token).role == "department_feed"
    assert cli("token", "revoke", str(tokens[0]["id"])).exit_code == 0
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.principal_for_token(uow, token=token)
    bad = cli("token", "create", "x", "--role", "department_feed", "--scope", "credit:read")
    assert bad.exit_code == 2


def test_routes_lists_declared_access(cli) -> None:  # noqa: ANN001
    rows = json.loads(cli("routes", "--json").stdout)
    by_path = {(r["path"], tuple(r["methods"])): r for r in rows}
    assert by_path[("/api/audit/access-log", ("GET",))]["roles"] == ["auditor", "city_admin"]
    assert by_path[("/login", ("POST",))]["public"] is True
