"""``moralbank ledger``: proofs, checkpoints, the whole-store audit, receipts and signing keys.

The JSON of ``proof``, ``consistency`` and ``checkpoint`` is a published contract (docs/ledger.md):
independent verifiers rely on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from moralbank.cli import common
from moralbank.cli.common import console, domain_errors, print_json, stdout_console
from moralbank.ledger import service, verify

app = typer.Typer(
    help="The points ledger: proofs, checkpoints, audit, receipts, signing keys.", no_args_is_help=True
)
keys_app = typer.Typer(
    help="Checkpoint signing keys: list, rotate, revoke, publish verifier keys.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

JSON = typer.Option(False, "--json", help="Machine-readable output.")


@app.command()
def proof(
    seq: int = typer.Argument(..., help="Sequence number of the entry."),
    size: int | None = typer.Option(None, "--size", help="Tree size of the checkpoint (default: latest)."),
    json_: bool = JSON,
) -> None:
    """Inclusion proof of one entry against a signed checkpoint."""
    with domain_errors(), common.container().uow(write=False) as uow:
        p = service.inclusion_proof(uow, seq=seq, tree_size=size)
    if json_:
        print_json(p.to_json())
        return
    console.print(
        f"entry {seq} (leaf {p.entry.leaf_index}) in tree of size {p.checkpoint.tree_size}: "
        f"{len(p.proof)} hashes"
    )
    typer.echo(p.checkpoint.note, nl=False)
    typer.echo(f"verifier key: {p.checkpoint.verifier_key}")  # plain, unwrapped: people copy it


@app.command()
def consistency(
    old_size: int = typer.Argument(..., help="The older tree size (> 0)."),
    new_size: int = typer.Argument(..., help="The newer tree size."),
    json_: bool = JSON,
) -> None:
    """Consistency proof: the tree of OLD_SIZE is a prefix of the tree of NEW_SIZE."""
    with domain_errors(), common.container().uow(write=False) as uow:
        p = service.consistency_proof(uow, old_size=old_size, new_size=new_size)
    data = p.to_json()
    if json_:
        print_json(data)
        return
    stdout_console.print(
        f"{old_size} → {new_size}: {len(p.proof)} hashes; old root {data['old_root']}, "
        f"new root {data['new_root']}"
    )


@app.command()
def checkpoint(
    sign: bool = typer.Option(False, "--sign", help="Sign a new checkpoint of the current tree now."),
    json_: bool = JSON,
) -> None:
    """The latest signed checkpoint (or a new one with --sign)."""
    with domain_errors(), common.container().uow(write=sign) as uow:
        cp = service.make_checkpoint(uow) if sign else service.latest_checkpoint(uow)
        if sign:
            uow.commit()
    if json_:
        print_json(cp.to_json())
        return
    typer.echo(cp.note, nl=False)
    typer.echo(f"verifier key: {cp.verifier_key}")  # plain, unwrapped: people copy it


@app.command("verify")
def verify_store(json_: bool = JSON) -> None:
    """Audit the whole store: every leaf from its row, every stored node, every checkpoint root.

    Exits 1 and names each changed, deleted, inserted or reordered row by seq when anything is wrong.
    """
    with (
        domain_errors(),
        common.container().uow(write=False) as uow,
        Progress(
            TextColumn("verifying ledger"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=json_,
        ) as bar,
    ):
        task = bar.add_task("entries", total=None)
        report = service.audit(
            uow, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    if json_:
        print_json(report.to_json())
    else:
        for f in report.findings:
            where = f"seq {f.seq}: " if f.seq is not None else ""
            console.print(f"[red]{f.kind}[/red] {where}{f.detail}")
        for n in report.notes:
            console.print(f"note: {n}")
        status = "[green]ok[/green]" if report.ok else f"[red]{len(report.findings)} problem(s)[/red]"
        console.print(
            f"{status}: {report.entries} entries, tree size {report.tree_size}, "
            f"{report.checkpoints} checkpoints checked"
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command("verify-receipt")
def verify_receipt(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The receipt (JSON)."),
    key: list[str] = typer.Option(
        [],
        "--key",
        help="Trusted verifier key (repeatable); "
        "default: the key in the receipt, which you should compare "
        "with the city's published keys.",
    ),
    json_: bool = JSON,
) -> None:
    """Check a resident's receipt offline (no database): signature, proof and entry."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
        result = verify.check_receipt(data, trusted_keys=key or None)
    except (ValueError, verify.VerificationError) as e:
        if json_:
            print_json({"ok": False, "error": str(e)})
        else:
            console.print(f"[red]receipt does NOT verify[/red]: {e}")
        raise typer.Exit(1) from None
    e = result.entry
    if json_:
        print_json(
            {
                "ok": True,
                "seq": e.seq,
                "resident_id": e.resident_id,
                "points": e.points,
                "tree_size": result.checkpoint.tree_size,
                "signed_by": result.signed_by,
            }
        )
        return
    typer.echo(
        f"ok: entry {e.seq} ({e.resident_id}, {e.indicator}, {e.points:+d} points, {e.deed_date}) "
        f"is in the ledger of size {result.checkpoint.tree_size} signed by {', '.join(result.signed_by)}"
    )


@app.command()
def entries(
    resident: str = typer.Argument(..., help="Pseudonymous resident id."), json_: bool = JSON
) -> None:
    """A resident's ledger entries, oldest first."""
    with domain_errors(), common.container().uow(write=False) as uow:
        rows = service.entries_of(uow, resident_id=resident)
    if json_:
        print_json([e.as_dict() for e in rows])
        return
    for e in rows:
        rev = f" (reverses {e.reverses_seq})" if e.reverses_seq else ""
        typer.echo(f"{e.seq:>8} {e.deed_date} {e.indicator:<10} {e.points:+5d} {e.source}{rev}  {e.reason}")


@keys_app.command("list")
def keys_list(json_: bool = JSON) -> None:
    """Every checkpoint signing key with its status and verifier key."""
    with common.container().uow(write=False) as uow:
        keys = service.keys(uow)
    if json_:
        print_json([k.__dict__ for k in keys])
        return
    for k in keys:
        typer.echo(f"{k.kid}  {k.status:<8} {k.created_at}  {k.verifier_key}")


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key active (the old one is retired, still trusted) and sign a checkpoint."""
    c = common.container()
    c.keys.rotate_signing_key(service.PURPOSE)
    with domain_errors(), c.uow() as uow:
        cp = service.make_checkpoint(uow)
        uow.commit()
    typer.echo(f"new key active; checkpoint of size {cp.tree_size} signed\n{cp.verifier_key}")


@keys_app.command("revoke")
def keys_revoke(kid: str = typer.Argument(..., help="Key id (see `keys list`).")) -> None:
    """Revoke a key: checkpoints it signed are no longer trusted by verifiers that follow the list."""
    with domain_errors():
        common.container().keys.revoke_signing_key(service.PURPOSE, kid)
    typer.echo(f"revoked {kid}; publish the key list again")


@keys_app.command("publish")
def keys_publish(out: Path | None = typer.Option(None, "--out", help="Write to this file.")) -> None:
    """The verifier keys to trust (not revoked), one per line, in signed-note form."""
    with common.container().uow(write=False) as uow:
        text = "".join(str(k) + "\n" for k in service.trusted_keys(uow))
    if out:
        out.write_text(text, encoding="utf-8")
        stdout_console.print(f"wrote {out}")
    else:
        typer.echo(text, nl=False)
