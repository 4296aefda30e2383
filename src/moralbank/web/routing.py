"""A router that turns away paths outside its prefix at once.

FastAPI (0.16x) matches the routes of included routers one by one, each through a few layers of
scope bookkeeping (about 2 µs a route here), so a request pays for every route mounted in front of its
own: with ~130 routes a path near the end spent more on finding its route than the whole trivial
request costs. A router whose routes all live under ``prefix`` cannot match a path outside it, so it
answers "no match" before trying any of them.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


class PrefixRouter(APIRouter):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if self.prefix and not get_route_path(scope).startswith(self.prefix):
            return Match.NONE, {}
        return super().matches(scope)
