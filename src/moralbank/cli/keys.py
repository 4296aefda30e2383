"""``moralbank keys``: the installation's keys (generated on first run into the data directory)."""

from __future__ import annotations

import typer

from moralbank.cli.common import container, print_json, stdout_console

app = typer.Typer(
    help="Keys in the data directory: list, rotate the data encryption key.", no_args_is_help=True
)

PURPOSES = ("ledger", "greencode", "feeds-export")


@app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List signing keys per purpose (ids, status, creation time) and the active data key."""
    keys = container().keys
    rows = [
        {"purpose": k.purpose, "kid": k.kid, "status": k.status, "created_at": k.created_at}
        for purpose in PURPOSES
        for k in keys.signing_keys(purpose)
    ]
    if json_:
        print_json(rows)
        return
    for r in rows:
        stdout_console.print(f"{r['purpose']:<13} {r['kid']}  {r['status']:<8} {r['created_at']}")


@app.command("rotate-data")
def rotate_data() -> None:
    """Make a new data encryption key active; values encrypted under older keys still decrypt."""
    kid = container().keys.rotate_data_key()
    stdout_console.print(f"new data key {kid} is active; back up {container().settings.keys_dir} now")
