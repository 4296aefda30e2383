"""``moralbank``: the command line. Every command honours MORALBANK_DATABASE_URL and MORALBANK_DATA_DIR."""

from __future__ import annotations

import importlib

import typer

from moralbank.cli.common import console, container, stdout_console

app = typer.Typer(
    help="道德银行 moralbank: run a city's moral bank.", no_args_is_help=True, pretty_exceptions_enable=False
)

# (command group, module): each module exposes ``app``, a Typer group of its own.
GROUPS = (
    ("db", "moralbank.cli.db"),
    ("org", "moralbank.cli.orgs"),
    ("residents", "moralbank.cli.residents"),
    ("policy", "moralbank.cli.policy"),
    ("users", "moralbank.cli.users"),
    ("keys", "moralbank.cli.keys"),
    ("ledger", "moralbank.cli.ledger"),
    ("eval", "moralbank.cli.evaluation"),
    ("feeds", "moralbank.cli.feeds"),
    ("score", "moralbank.cli.scoring"),
    ("greencode", "moralbank.cli.greencode"),
    ("notify", "moralbank.cli.notify"),
)

for _group, _module in GROUPS:
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as e:
        if e.name != _module:
            raise
        continue
    app.add_typer(_mod.app, name=_group)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, help="Worker processes (on PostgreSQL: one per core)."),
) -> None:
    """Serve the web app and API."""
    import uvicorn

    container()  # migrate before the workers start
    console.print(f"moralbank at http://{host}:{port}/  (API docs: /docs)")
    uvicorn.run("moralbank.web.asgi:app", host=host, port=port, workers=workers, log_level="warning")


@app.command()
def demo(
    scale: str = typer.Option("town", help="'town' (a few thousand residents) or 'yuyao' (600,000)."),
    seed: int = typer.Option(2012, help="Seed: the same seed gives the same city."),
    serve_: bool = typer.Option(True, "--serve/--no-serve", help="Serve the app when built."),
    port: int = typer.Option(8000),
) -> None:
    """Build a synthetic city shaped like Yuyao (clearly marked synthetic), then serve it."""
    from moralbank.demo.build import build_demo

    c = container()
    summary = build_demo(c, scale=scale, seed=seed)
    for line in summary:
        stdout_console.print(line)
    if serve_:
        serve(host="127.0.0.1", port=port, workers=1)


def main() -> None:  # pragma: no cover
    importlib.import_module("moralbank.cli.main").app()
