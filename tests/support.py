"""Helpers several test packages share: staff accounts and signed-in sessions."""

from __future__ import annotations

from moralbank.auth.domain import Role
from moralbank.bootstrap import Container

PASSWORD = "a long test password"


def create_user(container: Container, username: str, role: Role, unit: str | None) -> None:
    """A staff account with the shared test password."""
    from moralbank.auth import service as auth

    with container.uow() as uow:
        auth.create_user(
            uow, username=username, display_name=username, role=role, password=PASSWORD, unit_code=unit
        )
        uow.commit()


def session_token(
    container: Container, *, username: str | None = None, resident_id: str | None = None
) -> str:
    """A session token for a staff user (by password) or a resident (as after a one-time code)."""
    from moralbank.auth import service as auth

    with container.uow() as uow:
        sign = (
            auth.sign_in(uow, username=username, password=PASSWORD)
            if username
            else auth.resident_session(uow, resident_id=resident_id)
        )
        uow.commit()
        return sign.token


def signed_in(container: Container, **who: str):  # noqa: ANN201 - a TestClient
    """A test client of the app, signed in as ``session_token(**who)`` (anonymous without ``who``)."""
    from fastapi.testclient import TestClient

    from moralbank.web.app import create_app
    from moralbank.web.deps import SESSION_COOKIE

    c = TestClient(create_app(container))
    if who:
        c.cookies.set(SESSION_COOKIE, session_token(container, **who))
    return c
