"""``moralbank eval``: the daily posting of deductions whose objection window has passed, and the
overdue and ring lists for the city."""

from __future__ import annotations

import typer

from moralbank.auth.domain import SYSTEM
from moralbank.cli import common
from moralbank.cli.common import domain_errors, print_json, stdout_console
from moralbank.evaluation import schemas
from moralbank.evaluation import service as ev

app = typer.Typer(
    help="Moral evaluation: deadlines, overdue items, confirmation rings.", no_args_is_help=True
)


@app.command("process-due")
def process_due() -> None:
    """Post the deductions whose objection window has passed with no open objection (run daily)."""
    with domain_errors(), common.container().uow() as uow:
        posted = ev.process_due(uow)
        uow.commit()
    stdout_console.print(
        f"posted {len(posted)} deductions" + (f": {', '.join(map(str, posted))}" if posted else "")
    )


@app.command("overdue")
def overdue(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Evaluation items and objections past their working-day deadline, city-wide."""
    with domain_errors(), common.container().uow(write=False) as uow:
        o = ev.overdue(uow, principal=SYSTEM)
        items = [schemas.ItemOut.model_validate(r).model_dump(mode="json") for r in o.items]
        objections = [schemas.ObjectionOut.model_validate(x).model_dump(mode="json") for x in o.objections]
    if json:
        print_json({"items": items, "objections": objections})
        return
    for i in items:
        typer.echo(f"item {i['id']}\t{i['state']}\tdue {i['due_on']}\t{i['grid_code']}\t{i['indicator']}")
    for x in objections:
        typer.echo(f"objection {x['id']}\t{x['kind']}\tdue {x['decide_due']}\t{x['resident_id']}")
    stdout_console.print(f"{len(items)} items and {len(objections)} objections overdue")


@app.command("rings")
def rings(json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Open confirmation-ring flags, with the deeds that show each one."""
    with domain_errors(), common.container().uow(write=False) as uow:
        flags = [
            schemas.RingOut.model_validate(f).model_dump(mode="json")
            for f in ev.ring_flags(uow, principal=SYSTEM)
        ]
    if json:
        print_json(flags)
        return
    for f in flags:
        typer.echo(
            f"ring {f['id']}\t{' > '.join(f['members'])}\t"
            + "; ".join(f"{a}->{b}: {ids}" for a, b, ids in f["evidence"])
        )
