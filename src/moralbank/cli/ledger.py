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
from moralbank.ledger import checkpoint as notes
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


KEY_NOT_CHECKED = 3
"""Exit code of ``verify-receipt`` when every check passed but only against the key the receipt
carries itself (no ``--key`` or ``--keys-file``): nothing says the city signed it."""

KEY_HELP = "`moralbank ledger keys publish`, or GET /api/ledger/keys"
RECEIPT_ARG, KEYS_FILE = "'FILE'", "'--keys-file'"  # how a usage error names what is wrong
A_RECEIPT = "a receipt is the .json file a resident downloads from /me/ledger"


def _read_text(path: Path, what: str, option: str) -> str:
    """A UTF-8 text file (a byte-order mark is allowed); a usage error naming the file otherwise."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        saved_as = ""
        try:
            raw.decode("gb18030")
            saved_as = ", perhaps saved as GBK"
        except UnicodeDecodeError:
            pass
        raise typer.BadParameter(
            f"{path} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}){saved_as}; "
            f"{what} is UTF-8: download it again, or save it as UTF-8",
            param_hint=option,
        ) from None


def _read_receipt(path: Path) -> object:
    text = _read_text(path, "a receipt", RECEIPT_ARG)
    if not text.strip():
        raise typer.BadParameter(f"{path} is empty; {A_RECEIPT}", param_hint=RECEIPT_ARG)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise typer.BadParameter(
            f"{path} is not JSON (line {e.lineno}, column {e.colno}); {A_RECEIPT}",
            param_hint=RECEIPT_ARG,
        ) from None


def _verifier_key(text: str, where: str = "", option: str | None = None) -> str:
    try:
        return str(notes.parse_verifier_key(text))
    except notes.NoteError as e:
        raise typer.BadParameter(
            f"{where}{text!r} is not a verifier key ({e}); the city's keys: {KEY_HELP}",
            param_hint=option,
        ) from None


def _checked_keys(values: list[str]) -> list[str]:
    return [_verifier_key(v) for v in values]


def _published_keys(path: Path | None) -> list[str]:
    """The keys of a published key file: the lines ``keys publish`` writes (blank lines and ``#``
    comments skipped), or the JSON of GET /api/ledger/keys (its ``trusted`` list)."""
    if path is None:
        return []
    text = _read_text(path, "a key file", KEYS_FILE)
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("trusted"), list):
        keys = [
            _verifier_key(str(k), f"{path}, trusted key {n}: ", KEYS_FILE)
            for n, k in enumerate(data["trusted"], 1)
        ]
    else:
        keys = [
            _verifier_key(line, f"{path}, line {n}: ", KEYS_FILE)
            for n, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not keys:
        raise typer.BadParameter(
            f"{path} holds no verifier key; {KEY_HELP} gives the city's keys", param_hint=KEYS_FILE
        )
    return keys


@app.command("verify-receipt")
def verify_receipt(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, metavar="FILE", help="The receipt (JSON)."),
    key: list[str] = typer.Option(
        [],
        "--key",
        callback=_checked_keys,
        help=f"A verifier key of the city to trust (repeatable; {KEY_HELP}).",
    ),
    keys_file: Path | None = typer.Option(
        None,
        "--keys-file",
        exists=True,
        dir_okay=False,
        help="The city's published verifier keys: the file `keys publish --out` writes "
        "(one key a line) or the JSON of GET /api/ledger/keys.",
    ),
    json_: bool = JSON,
) -> None:
    """Check a resident's receipt offline (no database): signature, proof and entry.

    Give the city's published keys with --key or --keys-file.

    Without them the receipt is checked only against the key it carries, which proves nothing: exit 3.

    Exit codes: 0 verified, 1 does not verify, 2 not a receipt or a bad option, 3 key not checked.
    """
    trusted = [*key, *_published_keys(keys_file)] or None
    data = _read_receipt(file)
    try:
        result = verify.check_receipt(data, trusted_keys=trusted)
    except verify.NotAReceipt as e:
        raise typer.BadParameter(f"{file} is {e}", param_hint=RECEIPT_ARG) from None
    except verify.VerificationError as e:
        _receipt_fails(file, str(e), trusted, json_)
        raise typer.Exit(1) from None
    e, signed_by = result.entry, result.signed_by
    answer = {
        "ok": result.key_checked,
        "key_checked": result.key_checked,
        "seq": e.seq,
        "resident_id": e.resident_id,
        "points": e.points,
        "tree_size": result.checkpoint.tree_size,
        "signed_by": signed_by,
    }
    what = f"entry {e.seq} ({e.resident_id}, {e.indicator}, {e.points:+d} points, {e.deed_date})"
    if result.key_checked:
        if json_:
            print_json(answer)
        else:
            typer.echo(
                f"ok: {what} is in the ledger of size {result.checkpoint.tree_size} "
                f"signed by {', '.join(signed_by)}"
            )
        return
    if json_:
        unchecked = (
            "the signer's key came from the receipt itself and was NOT checked against the city's "
            f"published keys ({KEY_HELP}); anyone can make a receipt that passes with a key of their own"
        )
        print_json({**answer, "error": unchecked})
    else:
        typer.echo(
            f"NOT VERIFIED: {what} checks out against the key the receipt carries,\n"
            + "".join(k + "\n" for k in signed_by)  # whole, on a line of its own: people compare it
            + f"but that key was NOT checked against the city's published keys ({KEY_HELP}).\n"
            "Anyone can make a receipt that passes this check with a key of their own. "
            "Check again with --key KEY or --keys-file FILE."
        )
    raise typer.Exit(KEY_NOT_CHECKED)


def _receipt_fails(file: Path, error: str, trusted: list[str] | None, json_: bool) -> None:
    if trusted is not None and error.endswith("no signature by a trusted key"):
        error = "the checkpoint is not signed by any of the keys you trust"
    if trusted is not None:
        error += f" (checked against {', '.join(verify.key_name_and_hash(k) for k in trusted)})"
    if json_:
        print_json({"ok": False, "key_checked": trusted is not None, "error": error})
    else:
        console.print(f"[red]{file} does NOT verify[/red]: {error}", highlight=False, soft_wrap=True)


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
