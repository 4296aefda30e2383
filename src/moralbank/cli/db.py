"""``moralbank db``: the schema."""

from __future__ import annotations

import typer

from moralbank.cli.common import stdout_console

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from moralbank.bootstrap import build_engine
    from moralbank.config import Settings
    from moralbank.db.migrate import current_revision
    from moralbank.db.migrate import upgrade as do_upgrade

    engine = build_engine(Settings())
    do_upgrade(engine, revision)
    stdout_console.print(
        f"schema at {current_revision(engine)} ({engine.url.render_as_string(hide_password=True)})"
    )


@app.command()
def current() -> None:
    """Print the schema revision of the configured database."""
    from moralbank.bootstrap import build_engine
    from moralbank.config import Settings
    from moralbank.db.migrate import current_revision

    print(current_revision(build_engine(Settings())) or "empty")
