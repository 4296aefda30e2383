"""``moralbank org``: the organisation tree (city → township/street → village/community → grid)."""

from __future__ import annotations

from pathlib import Path

import typer

from moralbank.cli.common import console, container, domain_errors, print_json, stdout_console

app = typer.Typer(
    help="Organisation units: create, rename, move, close, import, tree, export.", no_args_is_help=True
)

ACTOR = "cli"


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no login name (containers)
        return ACTOR


@app.command()
def create(
    code: str = typer.Argument(..., help="GB/T 2260 / statistical code; grids: <village>-G03."),
    name: str = typer.Argument(..., help="Chinese name, e.g. 梨洲街道."),
    level: str = typer.Option(..., "--level", help="city | township | village | grid"),
    parent: str = typer.Option(None, "--parent", help="Code of the parent unit (none for the city)."),
    name_en: str = typer.Option("", "--name-en", help="English name."),
    json_: bool = typer.Option(False, "--json", help="Print the unit as JSON."),
) -> None:
    """Create a unit under its parent."""
    from moralbank.orgs import service
    from moralbank.orgs.schemas import UnitOut

    with domain_errors(), container().uow() as uow:
        unit = UnitOut.of(
            service.create(
                uow, code=code, name_zh=name, level=level, parent=parent, name_en=name_en, actor=_actor()
            )
        )
        uow.commit()
    if json_:
        print_json(unit.as_dict())
    else:
        stdout_console.print(f"created {unit.level} {unit.code} {unit.name_zh} at {unit.path}")


@app.command()
def rename(
    code: str,
    name: str = typer.Argument(None, help="New Chinese name."),
    name_en: str = typer.Option(None, "--name-en", help="New English name."),
) -> None:
    """Rename a unit (the old name stays in its history)."""
    from moralbank.orgs import service

    with domain_errors(), container().uow() as uow:
        unit = service.rename(uow, code=code, name_zh=name, name_en=name_en, actor=_actor())
        uow.commit()
        stdout_console.print(f"{unit.code} is now {unit.name_zh} ({unit.name_en})")


@app.command()
def move(code: str, parent: str = typer.Argument(..., help="Code of the new parent.")) -> None:
    """Move a unit and its whole subtree under another parent of the right level."""
    from moralbank.orgs import service

    with domain_errors(), container().uow() as uow:
        unit = service.move(uow, code=code, parent=parent, actor=_actor())
        uow.commit()
        stdout_console.print(f"moved {unit.code} to {unit.path}")


@app.command()
def close(code: str) -> None:
    """Close a unit (refused while it has open units or residents under it)."""
    from moralbank.orgs import service

    with domain_errors(), container().uow() as uow:
        service.close(uow, code=code, actor=_actor())
        uow.commit()
        stdout_console.print(f"closed {code}")


@app.command("import")
def import_(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV (UTF-8, UTF-8 BOM or GB18030) or XLSX."
    ),
    json_: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Import units (columns: code, name_zh, name_en, level, parent). Re-importing changes nothing."""
    from moralbank.orgs import service

    with domain_errors(), container().uow() as uow:
        report = service.import_file(uow, source=file, actor=_actor())
        uow.commit()
    if json_:
        print_json(report.as_dict())
    else:
        for p in report.problems:
            console.print(f"[red]row {p.row}[/red] {p.field}: {p.reason}")
        stdout_console.print(
            f"{file.name}: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.rejected_rows} rows rejected"
        )
    if report.problems:
        raise typer.Exit(1)


@app.command()
def tree(
    code: str = typer.Argument(None, help="Root of the tree shown (default: every city)."),
    depth: int = typer.Option(2, help="Levels below the root to show."),
    closed: bool = typer.Option(False, "--closed", help="Include closed units."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Show the tree of units."""
    from moralbank.orgs import service

    with domain_errors(), container().uow(write=False) as uow:
        if code:
            units = service.subtree(uow, code=code, include_closed=closed)
        else:
            units = service.list(uow, include_closed=closed)
    if not units:
        stdout_console.print("no units")
        return
    top = units[0].path.count("/")
    shown = [u for u in units if u.path.count("/") - top <= depth]
    if json_:
        print_json(
            [
                {
                    "code": u.code,
                    "name": u.name_zh,
                    "level": u.level,
                    "parent": u.parent_code,
                    "path": u.path,
                    "closed": u.closed_at is not None,
                }
                for u in shown
            ]
        )
        return
    for u in shown:
        indent = "  " * (u.path.count("/") - top)
        mark = " [dim](closed)[/dim]" if u.closed_at else ""
        print(f"{indent}{u.code} {u.name_zh}{mark}")


@app.command()
def export(
    json_: bool = typer.Option(False, "--json", help="JSON list of {code, name, level, parent}."),
    closed: bool = typer.Option(False, "--closed", help="Include closed units."),
) -> None:
    """Export every unit: ``code``, ``name``, ``level`` (city|township|village|grid), ``parent``."""
    from moralbank.orgs import service

    with domain_errors(), container().uow(write=False) as uow:
        units = service.export(uow, include_closed=closed)
    if json_:
        print_json(units)
        return
    import csv
    import sys

    w = csv.writer(sys.stdout)
    w.writerow(["code", "name_zh", "name_en", "level", "parent"])
    for u in units:
        w.writerow([u["code"], u["name"], u["name_en"], u["level"], u["parent"] or ""])


@app.command()
def history(code: str, json_: bool = typer.Option(False, "--json")) -> None:
    """Every change to a unit: create, rename, move, close (old and new values, who, when)."""
    from moralbank.orgs import service
    from moralbank.orgs.schemas import EventOut

    with domain_errors(), container().uow(write=False) as uow:
        events = [EventOut.of(e) for e in service.history(uow, code=code)]
    if json_:
        print_json([e.__dict__ for e in events])
        return
    for e in events:
        print(f"{e.at:%Y-%m-%d %H:%M} {e.kind:9} {e.old_value or ''} → {e.new_value or ''}  ({e.actor})")
