"""The authorisation matrix: every route of the app × every role, checked against what the route declares.

A route declares its access through ``moralbank.web.deps`` (``require_roles(...)`` or ``public``;
docs/auth.md). :func:`check_app` walks ``app.routes`` — so routes other helpers add later are covered
without touching this file — and for each route and method sends one request as each of: nobody,
the city admin, a township officer, a village officer, a grid worker, the auditor, a bank user, a
provider user, a department feed token, and a resident. It expects:

* nobody: 401 unless the route is public (public routes must only never fail with a 5xx);
* a role the route does not admit (or an auditor on a writing method, or a partner without the
  declared scope): 403;
* an admitted role, with ids of objects in its scope: not 403 and never 5xx; not 401 either, unless
  the same credentials work on ``/api/auth/me`` (then the route asked for more than sign-in, such as
  a department push's body signature);
* an admitted staff or partner role reading a route keyed by a resident id with 200: one more entry
  in that resident's access log (every read of personal data is logged);
* an admitted role, with the id of **another unit's** or **another resident's** object (path
  parameters named like ``resident_id`` or ``code``, or declared with ``resident=``/``unit=``): 404,
  the same answer as for an id that does not exist, so ids cannot be probed.

Writing requests by admitted roles go to a fresh resident each, so one route's side effects (a
withdrawal, say) cannot change another route's answer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from moralbank.auth import service as auth
from moralbank.auth.domain import PARTNER_ROLES, SYSTEM, Principal, Role
from moralbank.bootstrap import Container
from moralbank.orgs import service as orgs
from moralbank.web.deps import SAFE_METHODS, SESSION_COOKIE, Access, access_of
from moralbank.web.deps import iter_routes as routes

# Routes of the framework itself, not of any capability (documentation, static files, liveness).
FRAMEWORK_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static", "/healthz"}
# Path parameters that name a resident or an organisation unit, whatever the route declares.
RESIDENT_PARAMS = {"resident_id"}
UNIT_PARAMS = {"code", "unit_code", "grid_code", "village_code", "township_code", "unit"}
# Values for other path parameters (anything unknown gets "0", which parses as int and str).
SAMPLE_PARAMS = {"interface": "volunteer_hours"}  # an interface that accepts pushes

UNITS = [
    ("330281", "余姚市", "city", None),
    ("330281001", "梨洲街道", "township", "330281"),
    ("330281002", "凤山街道", "township", "330281"),
    ("330281001001", "一村", "village", "330281001"),
    ("330281001002", "二村", "village", "330281001"),
    ("330281002001", "三村", "village", "330281002"),
    ("330281001001-G01", "一村一格", "grid", "330281001001"),
    ("330281001001-G02", "一村二格", "grid", "330281001001"),
    ("330281001002-G01", "二村一格", "grid", "330281001002"),
    ("330281002001-G01", "三村一格", "grid", "330281002001"),
]
HOME_GRID = "330281001001-G01"


@dataclass
class Actor:
    """One column of the matrix: who calls, and which objects are inside and outside their scope."""

    name: str
    role: Role | None
    principal: Principal | None
    # (write, fresh=False) -> (headers, the resident inside their scope to use)
    credentials: Callable[..., tuple[dict[str, str], str]]
    inside_unit: str = HOME_GRID
    outside_resident: str | None = None  # None: everything is in this actor's scope
    outside_unit: str | None = None


@dataclass
class World:
    container: Container
    actors: list[Actor]
    home_resident: str
    residents: dict[str, str] = field(default_factory=dict)


def _enrol(c: Container, seq: itertools.count, grid: str) -> str:  # type: ignore[type-arg]
    from moralbank.residents import service as residents
    from moralbank.residents.idnumber import make

    n = next(seq)
    with c.uow() as uow:
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name=f"居民{n}",
            grid=grid,
            consent_text_version="v1",
            id_number=make("330281", date(1970, 1, 1 + (n // 1000) % 28), n % 1000),
            phone=f"139{n:08d}",
        )
        uow.commit()
    return rid


def build_world(c: Container) -> World:
    """The tree above, one resident per grid (two in the home grid), one account per role."""
    seq = itertools.count(1)
    with c.uow() as uow:
        for code, name, level, parent in UNITS:
            orgs.create(uow, code=code, name_zh=name, level=level, parent=parent, actor="test")
        uow.commit()
    r = {
        "home": _enrol(c, seq, HOME_GRID),
        "neighbour": _enrol(c, seq, HOME_GRID),
        "grid2": _enrol(c, seq, "330281001001-G02"),
        "village2": _enrol(c, seq, "330281001002-G01"),
        "town2": _enrol(c, seq, "330281002001-G01"),
    }
    accounts = [  # (role, unit, outside resident, outside unit)
        (Role.CITY_ADMIN, None, None, None),
        (Role.TOWNSHIP_OFFICER, "330281001", r["town2"], "330281002001-G01"),
        (Role.VILLAGE_OFFICER, "330281001001", r["village2"], "330281001002-G01"),
        (Role.GRID_WORKER, HOME_GRID, r["grid2"], "330281001001-G02"),
        (Role.AUDITOR, None, None, None),
        (Role.BANK_STAFF, "330281", r["town2"], None),
        (Role.PROVIDER_STAFF, "330281", r["town2"], None),
    ]
    actors = [Actor("anonymous", None, None, lambda write, fresh=False: ({}, r["home"]))]
    with c.uow() as uow:
        for role, unit, _, _ in accounts:
            auth.create_user(
                uow,
                username=role.value.replace("_", "-"),
                display_name=role.value,
                role=role,
                unit_code=unit,
                password="matrix test password",
            )
        feed_token, _ = auth.create_token(
            uow,
            name="文明办",
            role=Role.DEPARTMENT_FEED,
            scopes={"feeds:push:volunteer_hours"},
            unit_code="330281",
        )
        uow.commit()

    def staff_credentials(username: str) -> Callable[[bool], tuple[dict[str, str], str]]:
        sessions: list[str] = []

        def credentials(write: bool, fresh: bool = False) -> tuple[dict[str, str], str]:
            if fresh or not sessions:  # a route may have signed the session out
                with c.uow() as uow:
                    sessions[:] = [auth.user_session(uow, username=username).token]
                    uow.commit()
            target = _enrol(c, seq, HOME_GRID) if write else r["home"]
            return {"cookie": f"{SESSION_COOKIE}={sessions[0]}"}, target

        return credentials

    def resident_credentials(write: bool, fresh: bool = False) -> tuple[dict[str, str], str]:
        rid = _enrol(c, seq, HOME_GRID) if write else r["home"]
        with c.uow() as uow:
            sign = auth.resident_session(uow, resident_id=rid)
            uow.commit()
        return {"cookie": f"{SESSION_COOKIE}={sign.token}"}, rid

    with c.uow() as uow:
        for role, _unit, outside_resident, outside_unit in accounts:
            username = role.value.replace("_", "-")
            principal = auth.user_session(uow, username=username).principal
            actors.append(
                Actor(
                    role.value,
                    role,
                    principal,
                    staff_credentials(username),
                    outside_resident=outside_resident,
                    outside_unit=outside_unit,
                )
            )
        feed = auth.principal_for_token(uow, token=feed_token)
        actors.append(
            Actor(
                "department_feed",
                Role.DEPARTMENT_FEED,
                feed,
                lambda write, fresh=False: ({"authorization": f"Bearer {feed_token}"}, r["home"]),
                outside_resident=r["town2"],
            )
        )
        me = auth.resident_session(uow, resident_id=r["home"]).principal
        actors.append(
            Actor(
                "resident",
                Role.RESIDENT,
                me,
                resident_credentials,
                outside_resident=r["neighbour"],
                outside_unit="330281001001-G02",
            )
        )
    return World(container=c, actors=actors, home_resident=r["home"], residents=r)


def _is_api(route: Any) -> bool:
    return isinstance(getattr(route, "original_route", route), APIRoute)


def _params(route: Any) -> list[str]:
    return re.findall(r"{(\w+)(?::\w+)?}", route.path)


def lint_declarations(app: FastAPI) -> list[str]:
    """Problems with what routes declare (no request needed)."""
    problems = []
    everyone = frozenset(Role)
    for route in routes(app):
        path = getattr(route, "path", "") or ""
        if not _is_api(route):
            if path not in FRAMEWORK_ROUTES:
                problems.append(f"{path}: not an API route and not a framework route; declare its access")
            continue
        if path in FRAMEWORK_ROUTES:
            continue
        access = access_of(route)
        where = f"{','.join(sorted(route.methods))} {path} ({route.endpoint.__module__}.{route.name})"
        if access is None:
            problems.append(f"{where}: declares no access (use require_roles(...) or public)")
            continue
        params = set(_params(route))
        if access.public and params & RESIDENT_PARAMS:
            problems.append(f"{where}: a public route takes a resident id")
        if not access.public and access.roles != everyone:
            partners = access.roles & PARTNER_ROLES
            if partners and not access.scope:
                problems.append(f"{where}: admits {sorted(partners)} without declaring the scope they need")
            if Role.DEPARTMENT_FEED in access.roles and not path.startswith("/api/feeds"):
                problems.append(f"{where}: department feeds may only push to /api/feeds")
    return problems


def _reads(c: Container, resident_id: str) -> int:
    """How many reads of the resident's data the access log holds."""
    from moralbank.audit import service as audit

    with c.uow(write=False) as uow:
        return len(audit.list_for_resident(uow, resident_id=resident_id, limit=100_000))


def _expected_allowed(access: Access, actor: Actor, write: bool, values: dict[str, str]) -> bool:
    if access.public:
        return True
    assert actor.role is not None and actor.principal is not None
    if actor.role not in access.roles:
        return False
    if write and actor.role == Role.AUDITOR:
        return False
    if actor.role in PARTNER_ROLES and access.scope:
        return actor.principal.has_scope(access.scope.format(**values))
    return True


def check_app(app: FastAPI, world: World, only: str = "") -> tuple[list[str], int]:
    """Send the matrix of requests (for routes whose path starts with ``only``); return (problems,
    number of requests)."""
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    problems: list[str] = []
    sent = 0
    for route in routes(app):
        if not _is_api(route) or route.path in FRAMEWORK_ROUTES or not route.path.startswith(only):
            continue
        access = access_of(route)
        if access is None:
            continue  # reported by lint_declarations
        params = _params(route)
        resident_params = {p for p in params if p in RESIDENT_PARAMS or p == access.resident}
        unit_params = {p for p in params if p in UNIT_PARAMS or p == access.unit}
        for method in sorted(route.methods - {"HEAD"}):
            write = method not in SAFE_METHODS
            for actor in world.actors:
                values = {p: SAMPLE_PARAMS.get(p, "0") for p in params}
                allowed = actor.role is not None and _expected_allowed(access, actor, write, values)
                # a write that will run goes to a fresh resident; a refused one cannot change anything
                headers, inside = actor.credentials(write and allowed)
                values.update({p: inside for p in resident_params})
                values.update({p: actor.inside_unit for p in unit_params})
                url = route.path_format.format(**values)
                watch = (
                    inside
                    if (
                        resident_params
                        and not write
                        and access.personal_data
                        and actor.role not in (None, Role.RESIDENT)
                    )
                    else None
                )
                reads_before = _reads(world.container, watch) if watch else 0
                status = client.request(method, url, headers=headers).status_code
                sent += 1
                if watch and status == 200 and _reads(world.container, watch) == reads_before:
                    problems.append(
                        f"{method} {url} as {actor.name}: 200 with a resident's data but no "
                        "access-log entry (audit.service.log_read)"
                    )
                if status == 401 and actor.role is not None:  # the session may have been signed out
                    headers, _ = actor.credentials(False, fresh=True)
                    status = client.request(method, url, headers=headers).status_code
                    sent += 1
                label = f"{method} {url} as {actor.name}"
                if status >= 500:
                    problems.append(f"{label}: {status} (server error)")
                    continue
                if access.public:
                    continue  # anyone may call it; sign-in routes answer 401 to wrong credentials
                if actor.role is None:
                    if status != 401:
                        problems.append(f"{label}: {status}, expected 401 (not signed in)")
                    continue
                if not allowed:
                    if status != 403:
                        problems.append(
                            f"{label}: {status}, expected 403 (declared roles {sorted(access.roles)})"
                        )
                    continue
                if status == 401 and client.get("/api/auth/me", headers=headers).status_code == 200:
                    pass  # signed in fine: the route wants more (e.g. a feed push's body signature)
                elif status in (401, 403):
                    problems.append(f"{label}: {status}, expected the route to admit this role")
                # Another resident's / another unit's object by id: 404, like an id that does not exist.
                outside = dict(values)
                probe = False
                if resident_params and actor.outside_resident:
                    outside.update({p: actor.outside_resident for p in resident_params})
                    probe = True
                if unit_params and actor.outside_unit:
                    outside.update({p: actor.outside_unit for p in unit_params})
                    probe = True
                if probe and not access.public:
                    headers, _ = actor.credentials(False)
                    url = route.path_format.format(**outside)
                    status = client.request(method, url, headers=headers).status_code
                    sent += 1
                    if status != 404:
                        problems.append(
                            f"{method} {url} as {actor.name} (outside their scope): {status}, expected 404"
                        )
    return problems, sent
