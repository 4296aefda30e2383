"""Commands as a shell runs them: a fresh process per command on the same data directory, which loads
only what that command imports (in-process tests have every model loaded already)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _moralbank(*args: str, data: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MORALBANK_")}
    env["MORALBANK_DATA_DIR"] = str(data)
    exe = Path(sys.executable).parent / "moralbank"
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=120)


def test_api_tokens_are_made_and_revoked_on_an_existing_database(tmp_path: Path) -> None:
    # The second command runs on a database that exists already (no migration imports every model):
    # it failed with NoReferencedTableError (api_token → org_unit) until bootstrap loaded every table.
    data = tmp_path / "data"
    scope = ["--role", "department_feed", "--scope", "feeds:push:volunteer_hours"]
    first = _moralbank("users", "token", "create", "dept-a", *scope, data=data)
    assert first.returncode == 0, first.stderr
    second = _moralbank("users", "token", "create", "dept-b", *scope, data=data)
    assert second.returncode == 0, second.stderr
    assert "mbt_" in second.stdout + second.stderr
    revoked = _moralbank("users", "token", "revoke", "1", data=data)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout + revoked.stderr, revoked.stderr
    listed = _moralbank("users", "token", "list", "--json", data=data)
    assert listed.returncode == 0, listed.stderr
    assert "dept-b" in listed.stdout


def test_what_a_command_answers_goes_to_stdout_to_be_piped(tmp_path: Path) -> None:
    # Listings used to go to stderr with the progress bars and errors: `feeds list | grep tax` saw nothing.
    data = tmp_path / "data"
    listed = _moralbank("feeds", "list", data=data)
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.splitlines()) == 18 and "tax_credit" in listed.stdout
    schema = _moralbank("feeds", "schema", "tax_credit", data=data)
    assert schema.stdout.splitlines()[0].startswith("tax_credit ") and "uscc" in schema.stdout
    made = _moralbank(
        "users",
        "token",
        "create",
        "dept-c",
        "--role",
        "department_feed",
        "--scope",
        "feeds:push:rent",
        data=data,
    )
    assert made.returncode == 0, made.stderr
    tokens = _moralbank("users", "token", "list", data=data)
    assert "dept-c" in tokens.stdout
    refused = _moralbank("feeds", "schema", "no_such_interface", data=data)
    assert refused.returncode == 2 and refused.stdout == "" and "no_such_interface" in refused.stderr
