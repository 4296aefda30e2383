"""``moralbank users``: staff accounts, partner API tokens, and the access each route declares."""

from __future__ import annotations

import getpass
import sys
from dataclasses import asdict
from datetime import timedelta

import typer

from moralbank.cli import common
from moralbank.cli.common import domain_errors, print_json, stdout_console

app = typer.Typer(
    help="Staff accounts, partner API tokens and route access (docs/auth.md).", no_args_is_help=True
)
token_app = typer.Typer(
    help="API tokens for partner systems (banks, providers, department feeds).", no_args_is_help=True
)
app.add_typer(token_app, name="token")

ROLE_HELP = "city_admin, township_officer, village_officer, grid_worker, auditor, bank_staff, provider_staff"


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "cli"


@app.command()
def create(
    username: str = typer.Argument(..., help="Login name: lowercase letters, digits, . _ -"),
    role: str = typer.Option(..., help=ROLE_HELP),
    unit: str | None = typer.Option(
        None, help="Organisation unit code (none: city admin/auditor for the whole city)."
    ),
    name: str = typer.Option("", help="Display name, e.g. 王芳."),
    scope: list[str] = typer.Option([], help="Partner scopes (repeat); default by role."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Create a staff account (asks for the password unless --password-stdin)."""
    from moralbank.auth import service as auth

    password = _password(password_stdin)
    with domain_errors(), common.container().uow() as uow:
        user = auth.create_user(
            uow,
            username=username,
            display_name=name or username,
            role=role,
            unit_code=unit,
            password=password,
            scopes=set(scope) if scope else None,
        )
        uow.commit()
    stdout_console.print(f"created {user.username} ({user.role}, {user.unit_code or 'city'})")


@app.command("list")
def list_(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List staff accounts."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow(write=False) as uow:
        users = auth.list_users(uow)
    if json_:
        print_json([asdict(u) for u in users])
        return
    for u in users:
        state = "" if u.active else "  (disabled)"
        print(f"{u.username:<24} {u.role:<18} {u.unit_code or '-':<20} {u.display_name}{state}")


@app.command("set-role")
def set_role(
    username: str,
    role: str = typer.Option(..., help=ROLE_HELP),
    unit: str | None = typer.Option(None, help="Organisation unit code."),
    scope: list[str] = typer.Option([], help="Partner scopes (repeat); default by role."),
) -> None:
    """Change a user's role and unit (their sessions end)."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow() as uow:
        user = auth.set_role(
            uow, username=username, role=role, unit_code=unit, scopes=set(scope) if scope else None
        )
        uow.commit()
    stdout_console.print(f"{user.username} is now {user.role} ({user.unit_code or 'city'})")


@app.command()
def disable(username: str) -> None:
    """Disable an account and end its sessions (accounts are never deleted)."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow() as uow:
        auth.disable(uow, username=username)
        uow.commit()
    stdout_console.print(f"{username} disabled")


@app.command()
def enable(username: str) -> None:
    """Enable a disabled account again."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow() as uow:
        auth.enable(uow, username=username)
        uow.commit()
    stdout_console.print(f"{username} enabled")


@app.command("reset-password")
def reset_password(
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Set a new password; ends the user's sessions and lifts a lockout."""
    from moralbank.auth import service as auth

    password = _password(password_stdin)
    with domain_errors(), common.container().uow() as uow:
        auth.reset_password(uow, username=username, password=password)
        uow.commit()
    stdout_console.print(f"password of {username} reset")


@app.command()
def prune(
    keep_days: int = typer.Option(30, help="Keep what ended within this many days."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Delete old sessions, one-time codes and failed sign-in records (run daily)."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow() as uow:
        counts = auth.prune(uow, keep_days=keep_days)
        uow.commit()
    if json_:
        print_json(counts)
    else:
        stdout_console.print(", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) + " deleted")


@app.command()
def routes(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Every route of the web app and the roles it admits (as declared in code)."""
    from moralbank.web.app import create_app
    from moralbank.web.deps import route_table

    table = route_table(create_app(common.container()))
    if json_:
        print_json(table)
        return
    for r in table:
        who = "public" if r["public"] else ", ".join(r["roles"]) if r["declared"] else "UNDECLARED"
        extra = "".join(f"  {k}={r[k]}" for k in ("resident", "unit", "scope") if r[k])
        print(f"{','.join(r['methods']):<7} {r['path']:<48} {who}{extra}")


@token_app.command("create")
def token_create(
    name: str = typer.Argument(..., help="Who uses it, e.g. 'Yuyao Rural Commercial Bank'."),
    role: str = typer.Option(..., help="bank_staff, provider_staff or department_feed"),
    scope: list[str] = typer.Option(..., help="Scopes (repeat): feeds:push:social_security"),
    unit: str | None = typer.Option(None, help="Organisation unit (usually the city)."),
    days: int | None = typer.Option(365, help="Days until it expires (0: never)."),
    json_: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create a token and print it once: it is stored only as a hash."""
    from moralbank.auth import service as auth

    c = common.container()
    with domain_errors(), c.uow() as uow:
        expires = c.clock.now() + timedelta(days=days) if days else None
        plain, view = auth.create_token(
            uow,
            name=name,
            role=role,
            scopes=set(scope),
            unit_code=unit,
            expires_at=expires,
            created_by=_actor(),
        )
        uow.commit()
    if json_:
        print_json({**asdict(view), "token": plain})
        return
    stdout_console.print(
        f"token {view.id} for {view.name} ({view.role}; {', '.join(view.scopes)}). "
        "Copy it now, it is not shown again:"
    )
    print(plain)


@token_app.command("list")
def token_list(json_: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List tokens (never the tokens themselves)."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow(write=False) as uow:
        tokens = auth.list_tokens(uow)
    if json_:
        print_json([asdict(t) for t in tokens])
        return
    for t in tokens:
        state = (
            "revoked" if t.revoked_at else f"until {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry"
        )
        print(f"{t.id:>4} {t.name:<30} {t.role:<16} {' '.join(t.scopes):<40} {state}")


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    from moralbank.auth import service as auth

    with domain_errors(), common.container().uow() as uow:
        auth.revoke_token(uow, token_id=token_id)
        uow.commit()
    stdout_console.print(f"token {token_id} revoked")
