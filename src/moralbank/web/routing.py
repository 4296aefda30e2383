"""A router that turns away paths outside its prefix at once.

FastAPI (0.16x) matches the routes of included routers one by one, each through a few layers of
scope bookkeeping (about 2 µs a route here), so a request pays for every route mounted in front of its
own: with ~130 routes a path near the end spent more on finding its route than the whole trivial
request costs. A router whose routes all live under ``prefix`` cannot match a path outside it, so it
answers "no match" before trying any of them.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Scope


class PrefixRouter(APIRouter):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and not get_route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)


class DeclaredRoute(Route):
    """Starlette's plain route for an endpoint marked with ``web.deps.declares``; ``serves`` is the
    ``APIRoute`` it answers for (that one documents the route and carries its declaration)."""

    def __init__(self, serves: APIRoute) -> None:
        super().__init__(
            serves.path,
            serves.endpoint,
            methods=sorted(serves.methods),
            name=serves.name,
            include_in_schema=False,
        )
        self.serves = serves

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:
            child_scope["route"] = self  # as FastAPI's routes do: the request names its route
        return match, child_scope


def serve_declared_routes_first(app: FastAPI) -> None:
    """Serve the hot routes marked with ``declares`` through Starlette's plain ``Route``, in front of
    every other route.

    Such an endpoint takes only the ``Request`` and awaits its own access check — exactly Starlette's
    endpoint signature — so FastAPI's per-request machinery (matching through the included routers,
    solving dependencies, handling the response: together more than the whole trivial endpoint costs)
    adds nothing to it. The ``APIRoute`` stays where it was: it documents the route in the OpenAPI
    schema and the route matrix reads its declaration, but requests reach the ``DeclaredRoute`` first.
    App-level exception handlers (domain errors, a bad body's 422) apply to both alike."""
    from moralbank.web.deps import ACCESS_ATTR, iter_routes

    api_routes = (getattr(r, "original_route", r) for r in iter_routes(app))
    hot = [
        DeclaredRoute(r)
        for r in api_routes
        if isinstance(r, APIRoute) and getattr(r.endpoint, ACCESS_ATTR, None) is not None
    ]
    app.router.routes[:0] = hot
