"""``moralbank residents``: enrol (one or from a file), list, show, consent, withdraw, export.

The command line acts as the system operator (the city admin's rights); every read of personal data
is written to the access log with the command as its route.
"""

from __future__ import annotations

from pathlib import Path

import typer

from moralbank.cli.common import console, container, domain_errors, print_json, stdout_console

app = typer.Typer(
    help="Residents: enrol, import, list, show, consent, withdraw, export.", no_args_is_help=True
)


def _operator():  # noqa: ANN202 - a Principal
    from moralbank.auth.domain import SYSTEM

    return SYSTEM


def _route(command: str) -> None:
    try:
        from moralbank.audit.service import ROUTE

        ROUTE.set(f"cli: residents {command}")
    except ImportError:  # pragma: no cover
        pass


@app.command()
def enrol(
    name: str = typer.Option(..., help="Full name."),
    id_number: str = typer.Option(..., "--id-number", help="Resident ID number (GB 11643)."),
    grid: str = typer.Option(..., help="Grid code, e.g. 330281001001-G03."),
    consent_version: str = typer.Option(
        ..., "--consent-version", help="Version of the consent text the resident signed."
    ),
    phone: str = typer.Option(None, help="Mobile number (for signing in)."),
    household: str = typer.Option(None, help="Household number (户号); created when new."),
    guardian: str = typer.Option(None, help="Guardian's name (required under 14)."),
    guardian_id_number: str = typer.Option(None, "--guardian-id-number"),
    guardian_relation: str = typer.Option("", "--guardian-relation"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Enrol one resident who opted in."""
    from moralbank.residents import domain, service

    g = domain.Guardian(guardian, guardian_id_number, guardian_relation) if guardian else None
    with domain_errors(), container().uow() as uow:
        rid = service.enrol(
            uow,
            principal=_operator(),
            name=name,
            id_number=id_number,
            grid=grid,
            consent_text_version=consent_version,
            phone=phone,
            household=household,
            guardian=g,
            source="cli",
        )
        uow.commit()
    if json_:
        print_json({"id": rid})
    else:
        stdout_console.print(f"enrolled {rid}")


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV (UTF-8, UTF-8 BOM or GB18030) or XLSX."
    ),
    consent_version: str = typer.Option(
        ..., "--consent-version", help="Version of the consent text the residents signed."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Enrol residents from a file (columns: name, id_number, grid, household, phone, guardian_*).

    Bad rows are reported (row, field, reason), good rows enrolled; the same file again changes nothing.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from moralbank.kernel.tabular import read_table
    from moralbank.residents import service

    with domain_errors():
        table = read_table(
            file, aliases=service.IMPORT_ALIASES, required=("name", "id_number", "grid"), cells=True
        )
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=json_,
        ) as bar:
            task = bar.add_task(f"enrolling {file.name}", total=len(table.rows))
            with container().uow() as uow:
                report = service.enrol_rows(
                    uow,
                    rows=table.rows,
                    positions=table.positions,
                    principal=_operator(),
                    consent_text_version=consent_version,
                    source=f"import:{table.name}"[:200],
                    file=table.name,
                    progress=lambda n: bar.advance(task, n),
                )
                uow.commit()
    if json_:
        print_json(report.as_dict())
    else:
        for p in report.problems:
            console.print(f"[red]row {p.row}[/red] {p.field}: {p.reason}")
        stdout_console.print(
            f"{file.name}: {report.enrolled:,} enrolled, {report.unchanged:,} already enrolled, "
            f"{report.rejected_rows:,} rows rejected, {report.households_created:,} households "
            f"created ({report.seconds:.1f} s)"
        )
    if report.problems:
        raise typer.Exit(1)


@app.command("list")
def list_(
    limit: int = typer.Option(None, "--limit", min=1, help="At most this many."),
    name: str = typer.Option(None, help="Search by name (prefix); shows names."),
    grid: str = typer.Option(None, help="Only this unit's subtree (shows names)."),
    json_: bool = typer.Option(False, "--json", help="JSON list of {id, grid, enrolled_at}."),
) -> None:
    """List enrolled residents by pseudonymous id, grid and enrolment time (never the ID number).

    With --name or --grid it searches, shows names and writes each read to the access log.
    """
    from moralbank.residents import service

    if name or grid:
        _route("list")
        with domain_errors(), container().uow() as uow:
            found = service.search(
                uow, principal=_operator(), purpose="cli search", name=name, grid=grid, limit=limit or 50
            )
            uow.commit()
        rows = [{"id": r.id, "name": r.name, "grid": r.grid, "enrolled_at": r.enrolled_at} for r in found]
    else:
        with domain_errors(), container().uow(write=False) as uow:
            rows = service.list_ids(uow, limit=limit)
    if json_:
        print_json(rows)
        return
    for r in rows:
        print("\t".join(str(r[k]) for k in r))


@app.command()
def show(
    resident_id: str,
    why: str = typer.Option("cli", "--why", help="Purpose of this read (logged)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Show a resident's profile (the read is logged)."""
    from moralbank.residents import service

    _route("show")
    with domain_errors(), container().uow() as uow:
        r = service.get(uow, resident_id=resident_id, principal=_operator(), purpose=why)
        current = service.consents(uow, resident_id=resident_id, principal=_operator())
        uow.commit()
    data = r.as_dict()
    data["consents"] = [{"kind": k, "subject": s, "granted": g} for (k, s), g in sorted(current.items())]
    if json_:
        print_json(data)
        return
    for k, v in data.items():
        if k != "consents":
            print(f"{k:22} {v if v is not None else ''}")
    for c in data["consents"]:
        print(f"consent {c['kind']:9} {c['subject']:20} {'granted' if c['granted'] else 'revoked'}")


@app.command()
def consent(
    resident_id: str,
    grant: list[str] = typer.Option([], "--grant", help="interface:CODE or purpose:CODE (repeat)."),
    revoke: list[str] = typer.Option([], "--revoke", help="interface:CODE or purpose:CODE (repeat)."),
    text_version: str = typer.Option("", "--text-version", help="Consent text version (for grants)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Record consents the resident gave or withdrew (each is a new record), then show the history."""
    from moralbank.errors import InvalidInput, Problem
    from moralbank.residents import service

    def split(item: str) -> dict[str, str]:
        kind, _, code = item.partition(":")
        if kind not in ("interface", "purpose") or not code:
            raise InvalidInput(
                Problem(f"write interface:CODE or purpose:CODE, not {item!r}", field="consent")
            )
        return {kind: code}

    with domain_errors(), container().uow() as uow:
        for item in grant:
            service.grant_consent(
                uow, resident_id=resident_id, principal=_operator(), text_version=text_version, **split(item)
            )
        for item in revoke:
            service.revoke_consent(uow, resident_id=resident_id, principal=_operator(), **split(item))
        history = service.consent_history(uow, resident_id=resident_id, principal=_operator())
        uow.commit()
    if json_:
        print_json([c.__dict__ for c in history])
        return
    for c in history:
        print(
            f"{c.at:%Y-%m-%d %H:%M} {'grant ' if c.granted else 'revoke'} {c.kind}:{c.subject} "
            f"(text {c.text_version}, {c.actor})"
        )


@app.command()
def withdraw(
    resident_id: str,
    reason: str = typer.Option("", help="Why (kept in the history)."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Withdraw a resident: consents revoked, name, ID number and phone erased."""
    from moralbank.residents import service

    if not yes:
        typer.confirm(f"Withdraw {resident_id} and erase their personal data?", abort=True)
    with domain_errors(), container().uow() as uow:
        service.withdraw(uow, resident_id=resident_id, principal=_operator(), reason=reason)
        uow.commit()
    stdout_console.print(f"{resident_id} withdrawn")


@app.command()
def export(
    resident_id: str,
    out: Path = typer.Option(None, "--out", help="Write to this file (default stdout)."),
    why: str = typer.Option("data access request", "--why"),
) -> None:
    """Export everything held about a resident as JSON (their right of access)."""
    import json

    from moralbank.cli.common import _default
    from moralbank.residents import service

    _route("export")
    with domain_errors(), container().uow() as uow:
        data = service.export(uow, resident_id=resident_id, principal=_operator(), purpose=why)
        uow.commit()
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
        stdout_console.print(f"wrote {out}")
    else:
        print(text, end="")


@app.command()
def corrections(
    status: str = typer.Option("open", help="open | accepted | rejected | all"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Correction requests residents filed."""
    from moralbank.residents import service

    with domain_errors(), container().uow() as uow:
        rows = service.corrections(uow, principal=_operator(), status=None if status == "all" else status)
        uow.commit()  # the access log entries
    if json_:
        print_json([r.__dict__ for r in rows])
        return
    for r in rows:
        print(f"#{r.id} {r.resident_id} {r.field} → {r.requested_value} [{r.status}] {r.reason}")


@app.command()
def decide(
    request_id: int,
    accept: bool = typer.Option(..., "--accept/--reject"),
    note: str = typer.Option("", help="Answer to the resident."),
) -> None:
    """Accept or reject a correction request (an accepted name or phone is applied)."""
    from moralbank.residents import service

    with domain_errors(), container().uow() as uow:
        r = service.decide_correction(
            uow, request_id=request_id, principal=_operator(), accept=accept, note=note
        )
        uow.commit()
    stdout_console.print(f"#{r.id} {r.status}")
