"""``moralbank feeds``: the 18 department data interfaces — schemas, sample files, imports, the
quarantine, pulls, health and the return export to the public credit platform."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from moralbank.cli.common import console, container, domain_errors, print_json, stdout_console
from moralbank.feeds.importer import DEFAULT_BATCH
from moralbank.feeds.samples import ENCODINGS as SAMPLE_ENCODINGS

app = typer.Typer(
    help="部门数据接口 Department data interfaces: import, quarantine, pull, export.", no_args_is_help=True
)
quarantine_app = typer.Typer(
    help="Rows that could not go in: list, fix, discard, reprocess.", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")

STAFF_ACTOR = "cli"


class RateColumn(ProgressColumn):
    """Rows per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} rows/s" if speed else "- rows/s", style="cyan")


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} rows"),
        RateColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The installed interfaces."""
    from moralbank.feeds import service

    items = [
        {
            "name": i.name,
            "name_zh": i.name_zh,
            "name_en": i.name_en,
            "department": i.department_zh,
            "subject": i.subject,
            "consent_required": i.consent_required,
            "transports": list(i.transports),
            "indicators": sorted(i.indicators()),
        }
        for i in service.list_interfaces()
    ]
    if json_:
        print_json(items)
        return
    for i in items:
        stdout_console.print(
            f"{i['name']:<30} {i['name_zh']}  [dim]{i['department']}[/dim]  "
            f"{','.join(i['transports'])}{'  需授权' if i['consent_required'] else ''}"
        )


@app.command()
def schema(name: str, json_: bool = typer.Option(False, "--json")) -> None:
    """The record schema of an interface: fields (name, type, required), identifier and record id."""
    from moralbank.feeds import service

    with domain_errors():
        s = service.get_interface(name).schema()
    if json_:
        print_json(s)
        return
    stdout_console.print(
        f"[bold]{s['name']}[/bold] {s['name_zh']} — identifier {s['identifier']} "
        f"({s['identifier_standard']}), record id {s['source_id']}"
    )
    for f in s["fields"]:
        stdout_console.print(
            f"  {f['name']:<22} {f['type']:<10} {'required' if f['required'] else 'optional'}"
        )


def sample_id_numbers(c, limit: int, seed: int) -> list[str]:  # noqa: ANN001
    """ID numbers of enrolled residents to write sample files for (read through the residents
    service, each read written to the access log with the purpose)."""
    from moralbank.feeds.demo_ids import id_numbers

    return id_numbers(c, limit=limit, seed=seed)


@app.command()
def sample(
    name: str,
    rows: int = typer.Option(100, "--rows", min=1),
    out: Path = typer.Option(
        ..., "--out", help="The file: .csv, .xlsx or .jsonl, in a directory that exists."
    ),
    seed: int = typer.Option(1),
    bad: int = typer.Option(0, help="Deliberately bad rows to include."),
    encoding: str = typer.Option("utf-8", help=f"CSV only: {', '.join(SAMPLE_ENCODINGS)}."),
    residents: int = typer.Option(500, help="How many distinct residents the rows name."),
) -> None:
    """Write a valid sample file for the demo city's residents (CSV, or XLSX/JSONL by extension),
    whole or not at all."""
    from moralbank.feeds import samples, service
    from moralbank.kernel.clock import local_date

    with domain_errors():
        iface = service.get_interface(name)
        c = container()
        ids = sample_id_numbers(c, min(residents, rows), seed)
        if not ids:
            raise typer.BadParameter("no enrolled residents: build the demo city first (moralbank demo)")
        n = samples.write(
            out,
            iface,
            samples.rows(iface, ids, rows, seed=seed, today=local_date(c.clock.now()), bad=bad),
            encoding=encoding,
        )
    stdout_console.print(f"wrote {n} rows to {out}")


@app.command("import")
def import_(
    name: str,
    file: Path = typer.Argument(..., exists=True, dir_okay=False),
    json_: bool = typer.Option(False, "--json"),
    batch_size: int = typer.Option(
        DEFAULT_BATCH,
        min=1,
        show_default=False,
        help=f"Rows per committed batch (default {DEFAULT_BATCH:,}; MORALBANK_FEEDS_BATCH sets it).",
    ),
) -> None:
    """Import a department file; prints the counts received = accepted + duplicates + quarantined +
    held_for_consent. Safe to run again (also after a crash): nothing is taken twice."""
    from moralbank.feeds.importer import import_file

    with domain_errors(), _progress() as bar:
        task = bar.add_task(f"{name} ← {file.name}", total=None)
        result = import_file(
            container(),
            interface=name,
            path=file,
            actor=STAFF_ACTOR,
            batch_size=batch_size,
            progress=lambda n: bar.advance(task, n),
        )
    out = result.as_dict()
    if json_:
        print_json(out)
        return
    stdout_console.print(" ".join(f"{k}={v}" for k, v in out.items()))
    if not result.counts.received:
        console.print(f"{file.name} has no data rows (only a header)")
    if n := result.counts.quarantined:
        rows = f"{n:,} row{'s' if n > 1 else ''}"
        console.print(f"{rows} quarantined: see `moralbank feeds quarantine list --interface {name}`")


@app.command()
def pull(
    name: str = typer.Argument(None, help="The interface; omit with --all."),
    all_: bool = typer.Option(False, "--all", help="Every interface that is pulled (for the daily timer)."),
    url: str = typer.Option(None, help="Override the interface's pull URL."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Pull new records from the department's REST endpoint (schedule it: cron / systemd timer).

    With --all each interface is pulled on its own: one that fails (the endpoint down, an answer that
    is not a page of records) is reported at the end and the others are still pulled; exit 1 then."""
    from moralbank.errors import MoralbankError
    from moralbank.feeds import service
    from moralbank.feeds.importer import pull as do_pull

    if not name and not all_:
        raise typer.BadParameter("name an interface or give --all")
    if not all_:
        with domain_errors():
            service.get_interface(name)
    names = [i.name for i in service.list_interfaces() if "pull" in i.transports] if all_ else [name]
    out, failed = [], []
    for n in names:
        try:
            out += [r.as_dict() for r in do_pull(container(), interface=n, url=url, actor=STAFF_ACTOR)]
        except MoralbankError as e:
            failed.append(str(e) if str(e).startswith(f"{n}:") else f"{n}: {e}")
    if json_:
        print_json(out)
    else:
        stdout_console.print(
            f"{len(out)} page(s); " + ", ".join(f"{r['interface']} accepted={r['accepted']}" for r in out)
        )
    for message in failed:
        console.print(f"[red]error[/red] {escape(message)}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(1)


@app.command()
def health(json_: bool = typer.Option(False, "--json")) -> None:
    """Per interface: last arrival, volumes, accepted/quarantined rates, lag."""
    from moralbank.feeds import service

    c = container()
    with c.uow(write=False) as uow:
        rows = service.health(uow)
    if json_:
        print_json(rows)
        return
    for r in rows:
        rate = f"{r['accepted_rate']:.1%}" if r["accepted_rate"] is not None else "-"
        stdout_console.print(
            f"{r['interface']:<30} last={r['last_arrival_at'] or '-'} received={r['received']} "
            f"accepted={rate} quarantine_open={r['quarantine_open']} lag_days={r['lag_days']}"
        )


@app.command()
def export(
    since: str = typer.Option(None, "--since", help="Date or ISO time; default: since the last export."),
    out: Path = typer.Option(None, "--out", help="Directory (default: DATA_DIR/exports)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Return evaluation results to the public credit platform: JSON Lines + CSV + signed manifest."""
    from moralbank.feeds import service

    if out is not None:
        nearest = next(p for p in (out, *out.parents) if p.exists())  # what mkdir would build on
        if not nearest.is_dir():
            raise typer.BadParameter(f"--out must be a directory: {nearest} is a file")
    c = container()
    with domain_errors(), c.uow() as uow:
        at = service.datetime_or_date(since) if since else None
        manifest = service.export(
            uow, out_dir=out or c.settings.data_dir / "exports", actor=STAFF_ACTOR, since=at
        )
        uow.commit()
    if json_:
        print_json(manifest)
    else:
        stdout_console.print(f"{manifest['rows']} rows → {manifest['directory']}")


@app.command()
def secret(name: str) -> None:
    """Print the HMAC key for pushes to NAME as 64 hex characters: sign with the 32 bytes they encode."""
    from moralbank.feeds import service

    c = container()
    with domain_errors(), c.uow(write=False) as uow:
        print(service.push_secret(uow, name).hex())


@app.command("release-held")
def release_held(
    resident: str = typer.Option(None, help="Only this resident's records."),
    interface: str = typer.Option(None),
) -> None:
    """Use held records of residents who have consented since they arrived."""
    from moralbank.feeds import service

    c = container()
    with domain_errors(), c.uow() as uow:
        n = service.release_held(uow, actor=STAFF_ACTOR, resident_id=resident, interface=interface)
        uow.commit()
    stdout_console.print(f"released {n} record(s)")


@quarantine_app.command("list")
def q_list(
    interface: str = typer.Option(None),
    status: str = typer.Option("open"),
    reason: str = typer.Option(None),
    limit: int = typer.Option(200),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Quarantined rows with file, row, field and reason (``--json``: with their cells, an ID number
    masked unless it is what needs fixing). The read is written to the access log."""
    from moralbank.audit.service import set_route
    from moralbank.auth.domain import SYSTEM
    from moralbank.feeds import service

    c = container()
    with domain_errors(), c.uow(write=False) as uow:
        set_route(uow, "cli: feeds quarantine list")
        rows = service.quarantine_list(
            uow,
            principal=SYSTEM,
            interface=interface,
            status=None if status == "all" else status,
            reason=reason,
            limit=limit,
        )
        uow.commit()  # the access log of the rows read
    if json_:
        print_json(rows)
        return
    for r in rows:
        stdout_console.print(
            f"#{r['id']} {r['interface']} {r['file']} row {r['row']} field {r['field'] or '—'}: "
            f"{r['reason']} — {r['detail']} [{r['status']}]"
        )


@quarantine_app.command("fix")
def q_fix(
    qid: int,
    set_: list[str] = typer.Option(..., "--set", help="field=value (repeat)."),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Correct cells of a quarantined row; it goes in at the next reprocess."""
    from moralbank.feeds import service

    values = {}
    for item in set_:
        if "=" not in item:
            raise typer.BadParameter(f"--set takes field=value, not {item!r}")
        k, v = item.split("=", 1)
        values[k.strip()] = v
    c = container()
    with domain_errors(), c.uow() as uow:
        row = service.quarantine_fix(uow, quarantine_id=qid, values=values, actor=STAFF_ACTOR)
        uow.commit()
    print_json(row) if json_ else stdout_console.print(f"#{qid} fixed")


@quarantine_app.command("discard")
def q_discard(qid: int, reason: str = typer.Option(..., help="Why (kept with the row).")) -> None:
    """Discard a quarantined row for good (kept, marked discarded)."""
    from moralbank.feeds import service

    c = container()
    with domain_errors(), c.uow() as uow:
        service.quarantine_discard(uow, quarantine_id=qid, actor=STAFF_ACTOR, reason=reason)
        uow.commit()
    stdout_console.print(f"#{qid} discarded")


@quarantine_app.command("reprocess")
def q_reprocess(
    interface: str = typer.Option(None),
    ids: list[int] = typer.Option(None, "--id"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Run open and fixed rows through the import again."""
    from moralbank.feeds import service

    c = container()
    with domain_errors(), c.uow() as uow:
        counts = service.quarantine_reprocess(uow, actor=STAFF_ACTOR, interface=interface, ids=ids or None)
        uow.commit()
    print_json(counts.as_dict()) if json_ else stdout_console.print(
        " ".join(f"{k}={v}" for k, v in counts.as_dict().items())
    )
