"""``moralbank notify``: send the queued notification channels (SMS, WeChat) and watch their outbox."""

from __future__ import annotations

import typer

from moralbank.cli import common
from moralbank.cli.common import console, domain_errors, print_json, stdout_console

app = typer.Typer(
    help="Notifications: send what the SMS and WeChat channels have queued (run from cron).",
    no_args_is_help=True,
)


@app.command()
def dispatch(
    limit: int = typer.Option(500, "--limit", min=1, help="Send at most this many messages."),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Send the queued messages that are due. Exit 1 when any failed (they are tried again later)."""
    from moralbank.notify import service

    with domain_errors():
        report = service.dispatch(common.container(), limit=limit)
    if json_:
        print_json(report.to_json())
    else:
        stdout_console.print(f"sent {report.sent}, failed {report.failed} (given up {report.given_up})")
        for e in report.errors:
            console.print(f"  [red]{e}[/red]")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def status(json_: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Messages waiting per channel, and those that used up their attempts."""
    from moralbank.notify import service

    with domain_errors(), common.container().uow(write=False) as uow:
        st = service.outbox_status(uow)
    if json_:
        print_json(st.to_json())
        return
    channels = sorted(set(st.waiting) | set(st.given_up)) or ["-"]
    for c in channels:
        stdout_console.print(
            f"{c:<8} waiting {st.waiting.get(c, 0):>7,}   given up {st.given_up.get(c, 0):>7,}"
        )


@app.command()
def retry(json_: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Try the messages that used up their attempts again (after the gateway is mended)."""
    from moralbank.notify import service

    with domain_errors(), common.container().uow() as uow:
        n = service.retry_given_up(uow)
        uow.commit()
    if json_:
        print_json({"retried": n})
    else:
        stdout_console.print(f"{n} messages will be tried again at the next dispatch")
