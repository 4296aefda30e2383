"""FastAPI dependencies: the container, a unit of work per request, the signed-in principal, and the
access declaration every route makes.

Every route declares who may call it, with exactly one of:

* ``Depends(require_roles(*roles, resident=..., unit=..., scope=...))`` — signed-in principals of
  these roles; optionally the path parameter naming a resident or unit whose scope is checked, and
  the partner scope needed;
* ``Depends(public)`` (or ``Depends(optional_principal)``) — anyone, signed in or not.

``tests/integration/auth/test_route_matrix.py`` walks every route of the app and fails for a route
that declares neither (docs/auth.md, "Declaring a route's access").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, HTTPBearer
from starlette.concurrency import run_in_threadpool

from moralbank.auth import principals
from moralbank.auth.domain import Action, Principal, Role, role_allowed
from moralbank.bootstrap import Container
from moralbank.db import raw
from moralbank.db.uow import UnitOfWork
from moralbank.errors import NotAuthenticated, PermissionDenied
from moralbank.web import singleflight

SESSION_COOKIE = "mb_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACCESS_ATTR = "__moralbank_access__"
T = TypeVar("T")


def get_container(request: Request) -> Container:
    return request.app.state.container


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """A unit of work for the request: reading for GET/HEAD/OPTIONS, writing otherwise.

    On SQLite a writing unit of work holds the database write lock from its first statement to its
    end; a GET must not (64 concurrent readers would queue on it, and the lock holder may need a
    thread of the same pool to finish). Reads that must leave a trace (the access log) use
    ``uow.record`` and ``uow.commit()``; the access log names the request as the route.
    """
    from moralbank.audit.service import set_route

    with get_container(request).uow(write=request.method not in SAFE_METHODS) as uow:
        set_route(uow, f"{request.method} {request.url.path}")
        yield uow


async def read(container: Container, fn: Callable[..., T], *args: Any) -> T:
    """Run a short driver read (:mod:`moralbank.db.raw`): on the event loop for SQLite, where it takes
    microseconds and saves the thread hop, in the threadpool for a server across a socket."""
    if raw.inline(container.engine):
        return fn(*args)
    return await run_in_threadpool(fn, *args)


# -- who is calling -----------------------------------------------------------------------------------


async def _resolve(request: Request) -> Principal | None:
    """The caller from a Bearer API token, else the session cookie, else None.

    The session or token is read on every request (:mod:`moralbank.auth.principals`: one indexed read
    that also returns everything the principal is built from); the principal is rebuilt by the
    authoritative path, in the threadpool, whenever those facts changed (once for concurrent requests).
    """
    if hasattr(request.state, "principal"):
        return request.state.principal
    header = request.headers.get("authorization", "")
    principal: Principal | None = None
    kind, token = "", ""
    if header[:7].lower() == "bearer ":
        kind, token = "token", header[7:].strip()
    elif cookie := request.cookies.get(SESSION_COOKIE):
        kind, token = "session", cookie
    if kind:
        container = get_container(request)
        memo = principals.of(container)
        facts = await read(container, memo.facts, kind, token)
        principal = memo.known(kind, token, facts)
        if principal is None:
            try:
                principal = await singleflight.of(container).run(
                    ("principal", kind, token), memo.build, kind, token, facts
                )
            except NotAuthenticated:
                if kind == "token":
                    raise
                principal = None  # a stale cookie is the same as none
    request.state.principal = principal
    return principal


# Declared for OpenAPI (the "Authorize" button of /docs); the principal is resolved from the raw headers.
_bearer = HTTPBearer(auto_error=False, description="A partner API token: `Bearer mbt_…`")
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="A signed-in browser's session (staff or resident)"
)


async def current_principal(
    request: Request, _b: object = Security(_bearer), _c: object = Security(_cookie)
) -> Principal:
    """The signed-in principal: a Bearer API token, else the session cookie (staff or resident).

    Raises NotAuthenticated (401 for the API; pages redirect to /login). Sets
    ``request.state.principal`` so templates show who is signed in.
    """
    principal = await _resolve(request)
    if principal is None:
        raise NotAuthenticated("sign in first")
    return principal


async def optional_principal(request: Request) -> Principal | None:
    """The principal if someone is signed in, else None (public pages that adapt to the visitor)."""
    try:
        return await _resolve(request)
    except NotAuthenticated:
        request.state.principal = None
        return None


# -- access declarations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What a route declares about who may call it (read by the route matrix test and docs)."""

    roles: frozenset[Role]
    public: bool = False
    resident: str | None = None  # path parameter naming a resident whose scope is checked
    unit: str | None = None  # path parameter naming an organisation unit whose scope is checked
    scope: str | None = None  # partner scope, may use path parameters: "feeds:push:{interface}"
    purpose: str | None = None  # the purpose a partner reads a resident's data for (consent checked)
    personal_data: bool = True  # a GET keyed by a resident id returns their personal data (logged)


def require_roles(
    *roles: Role,
    resident: str | None = None,
    unit: str | None = None,
    scope: str | None = None,
    purpose: str | None = None,
    personal_data: bool = True,
    own_unit_of_work: bool = False,
) -> Callable[..., Principal]:
    """A dependency that admits principals of ``roles`` and returns the principal.

    ``resident="resident_id"`` (or ``unit="code"``) names a path parameter: the object must be in the
    caller's scope (checked by ``auth.service.authorize``; outside scope gives 404 like a missing id).
    Writing methods (POST, PUT, PATCH, DELETE) are refused to auditors whatever ``roles`` says.
    ``personal_data=False`` says a GET keyed by a resident id returns nothing personal (so the route
    matrix does not expect an access-log entry for it).
    ``own_unit_of_work=True`` (for ``async`` routes that use no request unit of work) checks the scope
    in a read unit of work of its own, opened and closed within one threadpool call: no connection is
    held while the request waits for a thread.
    """
    if not roles:
        raise ValueError("require_roles needs at least one role (use public for open routes)")
    access = Access(
        roles=frozenset(Role(r) for r in roles),
        resident=resident,
        unit=unit,
        scope=scope,
        purpose=purpose,
        personal_data=personal_data,
    )

    def check_role(request: Request, principal: Principal) -> bool:
        write = request.method not in SAFE_METHODS
        wanted = scope.format(**request.path_params) if scope else None
        decision = role_allowed(principal, access.roles, write=write, scope=wanted)
        if not decision:
            raise PermissionDenied(decision.reason)
        return write

    def check_scope(uow: UnitOfWork, principal: Principal, action: Action, params: dict[str, Any]) -> None:
        from moralbank.auth import service as auth

        if resident:
            auth.authorize(
                uow,
                principal,
                action,
                resident_id=params[resident],
                purpose=purpose if principal.is_partner else None,
            )
        if unit:
            auth.authorize(uow, principal, action, unit_code=params[unit])

    def in_scope(
        request: Request,
        principal: Principal = Depends(current_principal),
        uow: UnitOfWork = Depends(get_uow),
    ) -> Principal:
        action = Action.WRITE if check_role(request, principal) else Action.READ
        check_scope(uow, principal, action, request.path_params)
        return principal

    def check_scope_alone(
        container: Container, principal: Principal, action: Action, params: dict[str, Any]
    ) -> None:
        with container.uow(write=False) as uow:
            check_scope(uow, principal, action, params)

    async def in_own_scope(request: Request, principal: Principal = Depends(current_principal)) -> Principal:
        action = Action.WRITE if check_role(request, principal) else Action.READ
        await run_in_threadpool(
            check_scope_alone, get_container(request), principal, action, dict(request.path_params)
        )
        return principal

    async def by_role(
        request: Request, _b: object = Security(_bearer), _c: object = Security(_cookie)
    ) -> Principal:
        # Resolves the caller itself rather than through ``current_principal``: each nested dependency
        # costs FastAPI tens of microseconds per request, as much as the rest of a cached portrait.
        # (The two Security parameters only document the schemes; ``declares`` routes call by_role
        # with the request alone.)
        principal = await _resolve(request)
        if principal is None:
            raise NotAuthenticated("sign in first")
        check_role(request, principal)
        return principal

    # Only a scope check needs the database (in the threadpool); a role check runs on the event loop.
    dependency: Callable[..., Any] = by_role
    if resident or unit:
        dependency = in_own_scope if own_unit_of_work else in_scope
    setattr(dependency, ACCESS_ATTR, access)
    dependency.__name__ = "require_" + "_".join(sorted(r.value for r in access.roles))
    return dependency


def require_role(*roles: Role, **kwargs: Any) -> Callable[..., Principal]:
    """Alias of :func:`require_roles`."""
    return require_roles(*roles, **kwargs)


async def public(request: Request) -> None:
    """Declares a route open to anyone (sign-in pages, the published policy, verifying a green code).

    Whoever is signed in is still resolved, so the page header shows them.
    """
    await optional_principal(request)


setattr(public, ACCESS_ATTR, Access(roles=frozenset(Role), public=True))
setattr(optional_principal, ACCESS_ATTR, Access(roles=frozenset(Role), public=True))


SIGNED_IN_OPENAPI = {"security": [{"HTTPBearer": []}, {"APIKeyCookie": []}]}
"""``openapi_extra`` for a ``declares`` route that needs a signed-in caller (what the Security
dependencies document on other routes)."""


def declares(check: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declares on a route the access of ``check`` (``public`` or a ``require_roles(...)`` without a
    scope parameter), for hot routes that take only the ``Request`` and await ``check(request)``
    themselves. Such routes are served by Starlette's plain route in front of the others
    (``web.routing.serve_declared_routes_first``): FastAPI's routing and dependency injection cost
    about as much per request as a trivial endpoint. The route matrix test reads the declaration and
    proves the route enforces it."""
    access = getattr(check, ACCESS_ATTR)
    if access.resident or access.unit:
        raise ValueError("a scoped check needs the request's unit of work: take it as a dependency")

    def mark(endpoint: Callable[..., Any]) -> Callable[..., Any]:
        setattr(endpoint, ACCESS_ATTR, access)
        return endpoint

    return mark


def access_of(route: Any) -> Access | None:
    """The access a route declares (through its dependencies, or ``declares``), or None when it declares
    nothing."""
    declared = getattr(getattr(route, "endpoint", None), ACCESS_ATTR, None)
    if declared is not None:
        return declared
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    found: list[Access] = []

    def walk(dep: Any) -> None:
        for sub in dep.dependencies:
            access = getattr(sub.call, ACCESS_ATTR, None)
            if access is not None:
                found.append(access)
            walk(sub)

    walk(dependant)
    restricted = [a for a in found if not a.public]
    if restricted:
        # Several declarations all apply; the narrowest set of roles is what the route allows.
        roles = frozenset.intersection(*(a.roles for a in restricted))
        first = restricted[0]
        return Access(
            roles=roles,
            resident=next((a.resident for a in restricted if a.resident), None),
            unit=next((a.unit for a in restricted if a.unit), None),
            scope=next((a.scope for a in restricted if a.scope), None),
            purpose=first.purpose,
            personal_data=all(a.personal_data for a in restricted),
        )
    return found[0] if found else None


def iter_routes(app: Any) -> list[Any]:
    """Every route of an app as mounted, included routers walked (FastAPI ≥ 0.160 keeps them lazily).

    A ``DeclaredRoute`` (``web.routing``) is left out: the ``APIRoute`` it serves stands for it."""
    from moralbank.web.routing import DeclaredRoute

    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI flattens included routers into app.routes
        found = list(app.routes)
    else:
        found = list(iter_route_contexts(app.routes))
    return [r for r in found if not isinstance(getattr(r, "original_route", r), DeclaredRoute)]


def route_table(app: Any) -> list[dict[str, Any]]:
    """Every route with the access it declares: what ``moralbank users routes`` prints."""
    rows = []
    for route in iter_routes(app):
        if not hasattr(route, "dependant") or not getattr(route, "methods", None):
            continue
        access = access_of(route)
        rows.append(
            {
                "methods": sorted(set(route.methods) - {"HEAD"}),
                "path": route.path,
                "public": bool(access and access.public),
                "roles": sorted(r.value for r in access.roles) if access and not access.public else [],
                "resident": access.resident if access else None,
                "unit": access.unit if access else None,
                "scope": access.scope if access else None,
                "declared": access is not None,
            }
        )
    return sorted(rows, key=lambda r: (r["path"], r["methods"]))
