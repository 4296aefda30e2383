"""Who is calling, per request, without rebuilding the principal each time.

Every request still reads its session (or API token) from the database — one indexed statement on
the driver (:mod:`moralbank.db.raw`) that also returns every fact the principal is built from: the
account's role, unit, scopes, active flag and display name, the resident's grid and name, and the
materialised path of that unit. The principal built by the authoritative path
(:func:`moralbank.auth.service.principal_for_session` / ``principal_for_token``, a handful of ORM
reads) is kept with the facts it was built from, and reused only while a request reads the very same
facts and the session or token has not expired. So ending a session, disabling an account, moving a
user, a resident or a unit takes effect on the next request, in every worker; nothing here is a
time-to-live.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from moralbank.auth.domain import Principal
from moralbank.db import raw

if TYPE_CHECKING:
    from moralbank.bootstrap import Container

__all__ = ["Principals", "of"]

SESSION_FACTS = """
SELECT s.kind, s.user_id, s.resident_id, s.expires_at, s.ended_at,
       u.active, u.role, u.unit_code, u.display_name, u.scopes, uo.path,
       r.grid_code, r.name, ro.path
FROM auth_session s
LEFT JOIN staff_user u ON u.id = s.user_id
LEFT JOIN org_unit uo ON uo.code = u.unit_code
LEFT JOIN resident r ON r.id = s.resident_id
LEFT JOIN org_unit ro ON ro.code = r.grid_code
WHERE s.token_hash = ?
"""
SESSION_EXPIRES, SESSION_ENDED = 3, 4

TOKEN_FACTS = """
SELECT t.id, t.role, t.name, t.unit_code, t.scopes, t.expires_at, t.revoked_at, o.path
FROM api_token t
LEFT JOIN org_unit o ON o.code = t.unit_code
WHERE t.token_hash = ?
"""
TOKEN_EXPIRES, TOKEN_REVOKED = 5, 6

MAX_ENTRIES = 10_000  # principals kept per process; the oldest goes first


class Principals:
    """The per-process memo of principals, keyed by the hash of the session or token.

    ``facts`` is the cheap read (run it on the event loop where :func:`moralbank.db.raw.inline`);
    ``known`` answers from the memo or says None; ``build`` is the authoritative (slow) path.
    """

    def __init__(self, container: Container):
        self._container = container
        self._memo: dict[tuple[str, str], tuple[tuple[Any, ...], Principal]] = {}
        self._lock = threading.Lock()  # builds run on threadpool threads

    @staticmethod
    def _key(kind: str, token: str) -> tuple[str, str]:
        from moralbank.auth.service import token_hash

        return kind, token_hash(token)

    def facts(self, kind: str, token: str) -> tuple[Any, ...] | None:
        """The row the principal of ``token`` (``kind`` "session" or "token") is built from."""
        key = self._key(kind, token)
        return raw.fetch_one(
            self._container.engine, SESSION_FACTS if kind == "session" else TOKEN_FACTS, (key[1],)
        )

    def known(self, kind: str, token: str, facts: tuple[Any, ...] | None) -> Principal | None:
        """The principal built earlier from exactly these facts, if the session or token is still open."""
        if facts is None:
            return None
        hit = self._memo.get(self._key(kind, token))
        if hit is None or hit[0] != facts:
            return None
        session = kind == "session"
        expires, ended = (SESSION_EXPIRES, SESSION_ENDED) if session else (TOKEN_EXPIRES, TOKEN_REVOKED)
        until = raw.utc(facts[expires])
        if facts[ended] is not None or (until is not None and until <= self._container.clock.now()):
            return None  # the authoritative path says why
        return hit[1]

    def build(self, kind: str, token: str, facts: tuple[Any, ...] | None) -> Principal:
        """The principal by the authoritative path (raises NotAuthenticated as it does), kept with
        ``facts`` — read before this, so a change in between only means another build later."""
        from moralbank.auth import service as auth

        with self._container.uow(write=False) as uow:
            if kind == "session":
                principal = auth.principal_for_session(uow, token=token)
            else:
                principal = auth.principal_for_token(uow, token=token)
        if facts is not None:
            with self._lock:
                if len(self._memo) >= MAX_ENTRIES:
                    self._memo.pop(next(iter(self._memo)), None)
                self._memo[self._key(kind, token)] = (facts, principal)
        return principal


def of(container: Container) -> Principals:
    """The container's memo (one per process and container)."""
    memo = container.cache.get("auth.principals")
    if memo is None:
        memo = container.cache["auth.principals"] = Principals(container)
    return memo
