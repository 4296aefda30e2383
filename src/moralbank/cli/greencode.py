"""``moralbank greencode``: issue, verify (offline: no database, no network), trust list, revocations,
key rotation."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import typer

from moralbank.cli.common import console, container, domain_errors, print_json, stdout_console

app = typer.Typer(
    help="Green codes: issue, verify offline, trust list, revocation list, keys.", no_args_is_help=True
)


def _keys():  # noqa: ANN202 - the key ring alone: verification must not need the database
    from moralbank.config import Settings
    from moralbank.kernel.keys import KeyRing

    return KeyRing(Settings().keys_dir)


@app.command()
def issue(
    resident_id: str = typer.Argument(..., help="Resident id as in `moralbank residents list`."),
    png: Path | None = typer.Option(None, "--png", help="Also write the QR code as PNG."),
    svg: Path | None = typer.Option(None, "--svg", help="Also write the QR code as SVG."),
    card: bool = typer.Option(False, "--card", help="A printable card (long validity, revocable)."),
    band: bool = typer.Option(False, "--band", help="Include the score band (e.g. 80-89)."),
    name: bool = typer.Option(True, "--name/--no-name", help="Include the masked name (张*明)."),
) -> None:
    """Sign a green code for a resident and print its text."""
    from moralbank.greencode import qr, service

    c = container()
    with domain_errors(), c.uow() as uow:
        issued = service.issue(uow, resident_id=resident_id, card=card, band=band, name=name)
        uow.commit()
    if png:
        png.write_bytes(qr.png(issued.text, scale=6))
    if svg:
        svg.write_text(qr.make(issued.text).svg_inline(scale=6) + "\n", encoding="utf-8")
    sys.stdout.write(issued.text + "\n")
    console.print(
        f"tier {issued.claims.tier}, valid until {issued.expires_at.isoformat()}"
        + (f", card {issued.claims.card_id}" if issued.claims.card_id else "")
    )


@app.command()
def verify(
    text: str | None = typer.Argument(None, help="The code text (MB1:…); omit with --image."),
    at: str | None = typer.Option(None, "--at", help="Check as of this ISO time (default now)."),
    image: Path | None = typer.Option(None, "--image", help="Read the code from a QR image."),
    trust_list: Path | None = typer.Option(
        None, "--trust-list", help="JWK Set of trusted keys (default: this installation's)."
    ),
    revocations: Path | None = typer.Option(
        None, "--revocations", help="Signed revocation list (from `greencode revocations`)."
    ),
    json_: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check a code offline. Exit 0 only when it is valid; otherwise print why and exit 1."""
    from moralbank.greencode import codec, qr, service

    if image is not None:
        found = qr.decode(image)
        if not found:
            console.print(f"[red]invalid[/red]: no QR code found in {image}")
            raise typer.Exit(1)
        text = found[0]
    if not text:
        console.print("[red]error[/red]: give the code text or --image FILE")
        raise typer.Exit(2)
    when = datetime.fromisoformat(at) if at else datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        trust = (
            codec.TrustList.from_jwks(json.loads(trust_list.read_text()))
            if trust_list
            else service.local_trust(_keys())
        )
        if revocations:
            trust = codec.apply_revocations(trust, revocations.read_text())
    except (ValueError, KeyError, OSError) as e:
        console.print(f"[red]error[/red]: {e}")
        raise typer.Exit(2) from None
    v = codec.verify(text, trust, at=when)
    if json_:
        c = v.claims
        print_json(
            {
                "valid": v.valid,
                "reason": v.reason,
                "kid": v.kid,
                "tier": c.tier if c else None,
                "masked_name": c.masked_name if c else None,
                "band": c.band if c else None,
                "form": str(c.form) if c else None,
                "card_id": c.card_id if c else None,
                "expires_at": datetime.fromtimestamp(c.expires_at, UTC).isoformat() if c else None,
            }
        )
    elif v.valid and v.claims:
        c = v.claims
        sys.stdout.write(
            f"valid: tier {c.tier}"
            + (f", name {c.masked_name}" if c.masked_name else "")
            + (f", band {c.band}" if c.band else "")
            + f", expires {datetime.fromtimestamp(c.expires_at, UTC).isoformat()}\n"
        )
        if c.card_id and not revocations:
            console.print("note: card revocation not checked (no --revocations list given)")
    else:
        sys.stdout.write(f"invalid: {v.reason}\n")
    raise typer.Exit(0 if v.valid else 1)


@app.command("trust-list")
def trust_list_() -> None:
    """Print the JWK Set (RFC 7517; OKP/Ed25519 keys per RFC 8037, each with its kid) verifiers trust."""
    from moralbank.greencode import service

    print_json(service.trust_list(_keys()))


@app.command()
def revocations(
    out: Path | None = typer.Option(None, "--out", help="Write to this file instead of stdout."),
) -> None:
    """Export the signed revocation list (a compact JWS, EdDSA) of revoked cards and keys."""
    from moralbank.greencode import service

    with container().uow(write=False) as uow:
        jws = service.revocation_list(uow)
    if out:
        out.write_text(jws + "\n")
    else:
        sys.stdout.write(jws + "\n")


@app.command("revoke-card")
def revoke_card(
    card_id: str, reason: str = typer.Option(..., "--reason", help="Why (kept with the card).")
) -> None:
    """Revoke a printed card; it fails wherever the next revocation list reaches."""
    from moralbank.auth.domain import SYSTEM
    from moralbank.greencode import service

    with domain_errors(), container().uow() as uow:
        service.revoke_card(uow, card_id=card_id, principal=SYSTEM, reason=reason)
        uow.commit()
    stdout_console.print(f"card {card_id} revoked; export the revocation list to verifiers")


@app.command("rotate-key")
def rotate_key() -> None:
    """Make a new signing key active; codes signed by the old one stay valid until they expire."""
    from moralbank.greencode import service

    kid = service.rotate_key(_keys())
    stdout_console.print(f"new green-code key {kid} is active; publish the trust list again")


@app.command("revoke-key")
def revoke_key(kid: str) -> None:
    """Stop trusting a key: every code it signed fails. Rotate first if it is the active key."""
    from moralbank.greencode import service
    from moralbank.kernel.keys import KeyError_

    try:
        service.revoke_key(_keys(), kid)
    except KeyError_ as e:
        console.print(f"[red]error[/red]: {e}")
        raise typer.Exit(2) from None
    stdout_console.print(f"key {kid} revoked; publish the trust list and revocation list again")
