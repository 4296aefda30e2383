"""``moralbank score``: recompute scores (incremental or full) and show one."""

from __future__ import annotations

from datetime import date

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from moralbank.cli.common import console, container, domain_errors, print_json, stdout_console

app = typer.Typer(help="Moral scores: recompute, show.", no_args_is_help=True)


@app.command()
def recompute(
    full: bool = typer.Option(False, "--full", help="Every resident, not only those with new entries."),
    as_of: str | None = typer.Option(None, "--as-of", help="Score as of this day (default today)."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Recompute scores from the ledger and the active policy (incremental unless --full)."""
    from moralbank.scoring import service

    c = container()
    with (
        Progress(
            TextColumn("scores"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as bar,
        domain_errors(),
        c.uow() as uow,
    ):
        task = bar.add_task("recompute", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = service.recompute(
            uow, full=full, as_of=date.fromisoformat(as_of) if as_of else None, progress=progress
        )
        uow.commit()
    if json_:
        print_json(
            {
                "run_id": summary.run_id,
                "full": summary.full,
                "as_of": summary.as_of,
                "policy_version": summary.policy_version,
                "ledger_seq": summary.ledger_seq,
                "residents": summary.residents,
                "changed": summary.changed,
                "dropped": summary.dropped,
            }
        )
    else:
        stdout_console.print(summary.line())


@app.command()
def show(
    resident_id: str, json_: bool = typer.Option(False, "--json", help="Machine-readable output.")
) -> None:
    """A resident's stored score record and today's score from the ledger."""
    from moralbank.scoring import service

    with domain_errors(), container().uow(write=False) as uow:
        live = service.current(uow, resident_id=resident_id)
        m = service.model(uow)
        try:
            rec = service.get(uow, resident_id=resident_id)
            record = {
                "total": rec.total,
                "tier": rec.tier,
                "as_of": rec.as_of,
                "policy_version": rec.policy_version,
                "ledger_seq": rec.ledger_seq,
                "run_id": rec.run_id,
            }
        except Exception:  # noqa: BLE001 - NotFound: not scored by a run yet
            record = None
    data = {
        "resident_id": resident_id,
        "total": live.total,
        "tier": live.tier,
        "aspects": {a.code: v for a, v in zip(m.aspects, live.aspects, strict=True)},
        "record": record,
    }
    if json_:
        print_json(data)
    else:
        stdout_console.print(
            f"{resident_id}: {live.total} ({live.tier}) "
            + " ".join(f"{k}={v}" for k, v in data["aspects"].items())
        )
