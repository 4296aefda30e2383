"""``moralbank policy``: check, apply, list, show and diff policy versions."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from moralbank.cli import common
from moralbank.errors import InvalidInput, Problem

app = typer.Typer(
    help="The published policy: indicators, score tiers, deadlines, catalogues (versioned).",
    no_args_is_help=True,
)


def _print_problems(problems: list[Problem], path: str) -> None:
    for p in problems:
        where = f"{p.file or path}:{p.line if p.line is not None else 0}"
        sys.stdout.write(f"{where}: {p.field or '-'}: {p.reason}\n")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        common.console.print(f"[red]error[/red] {path}: no such file")
        raise typer.Exit(2) from None
    except UnicodeDecodeError as e:
        sys.stdout.write(f"{path}:0: -: not UTF-8 text ({e.reason})\n")
        raise typer.Exit(1) from None


_CALENDAR_SOURCE = {
    "policy": "the policy's calendar",
    "chinese_calendar": "the chinese_calendar package",
    "weekdays": "Monday to Friday only: add the State Council's schedule for {year} under `calendar:`",
}


@app.command()
def check(
    file: Path = typer.Argument(..., help="The policy file (YAML)."),
    year: int | None = typer.Option(
        None, "--year", help="Report working days from this year (default: this year, China time)."
    ),
) -> None:
    """Validate a policy file. Exit 0 when valid; else 1, one line per problem: FILE:LINE: field: reason.

    A valid file also says where the working days of this year and the next come from (deadlines count
    working days): its own `calendar:` section, the chinese_calendar package, or Monday to Friday only.
    """
    from datetime import UTC, datetime

    from moralbank.evaluation import workdays
    from moralbank.kernel.clock import local_date
    from moralbank.policy import source

    text = _read(file)
    problems = source.validate(text, str(file))
    if problems:
        _print_problems(problems, str(file))
        raise typer.Exit(1)
    policy = source.load(text, str(file))
    sys.stdout.write(
        f"{file}: ok ({len(policy.aspects)} aspects, {len(policy.indicators)} indicators, "
        f"sha256 {policy.sha256[:12]})\n"
    )
    first = year or local_date(datetime.now(UTC)).year
    for y in (first, first + 1):
        said = _CALENDAR_SOURCE[workdays.source_of(policy.calendar, y)].format(year=y)
        sys.stdout.write(f"{file}: working days in {y}: {said}\n")


@app.command("apply")
def apply_(
    file: Path = typer.Argument(..., help="The policy file (YAML)."),
    author: str = typer.Option(..., "--author", help="Who applies it (kept with the version)."),
    note: str | None = typer.Option(None, "--note", help="Why (kept with the version)."),
    json_: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Validate FILE and store it as the next policy version (nothing new if it equals the active one)."""
    from moralbank.policy import service

    text = _read(file)
    with common.domain_errors(), common.container().uow() as uow:
        try:
            applied = service.apply(uow, text=text, author=author, note=note, filename=str(file))
        except InvalidInput as e:
            _print_problems(e.problems, str(file))
            raise typer.Exit(1) from None
        uow.commit()
    if json_:
        common.print_json(
            {"created": applied.created, "message": applied.message, **_version_dict(applied.version)}
        )
    else:
        sys.stdout.write(applied.message + "\n")


def _version_dict(v) -> dict:  # noqa: ANN001 - service.VersionInfo
    return {
        "version": v.version,
        "sha256": v.sha256,
        "author": v.author,
        "created_at": v.created_at,
        "note": v.note,
        "active": v.active,
    }


@app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Every policy version, oldest first; the newest is active."""
    from moralbank.policy import service

    with common.domain_errors(), common.container().uow(write=False) as uow:
        versions = service.list_versions(uow)
    if json_:
        common.print_json([_version_dict(v) for v in versions])
        return
    if not versions:
        sys.stdout.write("no policy applied yet; the default is installed as version 1 on first use\n")
        return
    table = Table("version", "active", "created_at", "author", "sha256", "note")
    for v in versions:
        table.add_row(
            str(v.version),
            "*" if v.active else "",
            v.created_at.isoformat(timespec="seconds"),
            v.author,
            v.sha256[:12],
            v.note or "",
        )
    common.stdout_console.print(table)


@app.command()
def show(
    version: int | None = typer.Argument(None, help="A version number (default: the active one)."),
    json_: bool = typer.Option(False, "--json", help="Print the whole policy as JSON."),
    source: bool = typer.Option(False, "--source", help="Print the file exactly as it was applied."),
) -> None:
    """Show a policy version: its indicator catalogue, tiers and rules."""
    from moralbank.policy import domain, service

    with common.domain_errors(), common.container().uow() as uow:
        policy = service.get(uow, version=version) if version is not None else service.active(uow)
        text = service.source(uow, version=policy.version) if source else ""
        uow.commit()  # keeps the default policy when this was the first use
    if source:
        sys.stdout.write(text)
        return
    if json_:
        common.print_json(domain.as_dict(policy))
        return
    out = common.stdout_console
    out.print(
        f"policy version {policy.version}  {policy.name_zh} / {policy.name_en}  sha256 {policy.sha256[:12]}"
    )
    tiers = ", ".join(f"{t.code} ≥ {t.min_score}" for t in policy.score.tiers)
    out.print(
        f"score {policy.score.min}–{policy.score.max}, base {policy.score.base}, "
        f"window {policy.score.window_months} months; tiers: {tiers}"
    )
    table = Table("code", "aspect", "indicator", "points", "range", "stages", "severity")
    for ind in policy.indicators.values():
        table.add_row(
            ind.code,
            ind.aspect,
            f"{ind.name_zh} {ind.name_en}",
            f"{ind.points:+d}",
            f"{ind.min_points:+d}…{ind.max_points:+d}",
            "→".join(ind.stages),
            f"{ind.severity.value} {ind.display_months}m" if ind.severity else "",
        )
    out.print(table)


@app.command()
def diff(
    a: int = typer.Argument(..., help="The older version."),
    b: int = typer.Argument(..., help="The newer version."),
    json_: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """What changed between two versions, indicator by indicator."""
    from moralbank.policy import domain, service

    with common.domain_errors(), common.container().uow(write=False) as uow:
        changes = service.diff(uow, old=a, new=b)
    if json_:
        common.print_json([domain.change_as_dict(c) for c in changes])
        return
    if not changes:
        sys.stdout.write(f"versions {a} and {b} are the same\n")
    for c in changes:
        sign = {"added": "+", "removed": "-", "changed": "~"}[c.kind]
        sys.stdout.write(f"{sign} {c.what} {c.code}\n")
        for f, old, new in c.fields:
            sys.stdout.write(f"    {f}: {old!r} → {new!r}\n")


@app.command("export-default")
def export_default(
    out: Path | None = typer.Option(None, "--out", help="Write here (default: stdout)."),
) -> None:
    """Print the default policy shipped with moralbank (a starting point for a city's own file)."""
    from moralbank.policy.service import default_text

    text = default_text()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        common.console.print(f"wrote {out}")
