"""Every route of the app × every role, against the access each route declares (see matrix.py).

Other capabilities' routes are picked up from ``app.routes``: declaring a route's access with
``require_roles(...)``/``public`` (docs/auth.md) is all their authors do.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from moralbank.auth.domain import OFFICERS, Principal, Role
from moralbank.bootstrap import Container
from moralbank.web.app import create_app
from moralbank.web.deps import public, require_roles
from tests.integration.auth.matrix import build_world, check_app, lint_declarations


def test_every_route_declares_its_access_sensibly(container: Container) -> None:
    problems = lint_declarations(create_app(container))
    assert not problems, "\n".join(problems)


def test_every_route_answers_every_role_as_declared(container: Container) -> None:
    world = build_world(container)
    problems, sent = check_app(create_app(container), world)
    assert sent > 0
    assert not problems, f"{len(problems)} of {sent} requests:\n" + "\n".join(problems)


def _toy_app(container: Container, router: APIRouter) -> FastAPI:
    app = create_app(container)
    app.include_router(router)
    return app


def test_the_matrix_catches_undeclared_routes_and_unscoped_handlers(container: Container) -> None:
    """The checker itself must fail on the mistakes it exists to catch."""
    router = APIRouter()

    @router.get("/api/toy/undeclared")
    def undeclared() -> dict:
        return {}

    @router.get("/api/toy/residents/{resident_id}")  # admits officers but forgets resident="resident_id"
    def leaky(resident_id: str, _: Principal = Depends(require_roles(*OFFICERS))) -> dict:
        return {"id": resident_id}

    @router.get("/api/toy/quiet/{resident_id}")  # scoped, and says it returns nothing personal
    def quiet(
        resident_id: str,
        _: Principal = Depends(require_roles(*OFFICERS, resident="resident_id", personal_data=False)),
    ) -> dict:
        return {"known": True}

    @router.post("/api/toy/open/{resident_id}", dependencies=[Depends(public)])
    def public_with_resident(resident_id: str) -> dict:
        return {}

    @router.get("/api/toy/bank")  # admits bank staff without saying which scope
    def bank(_: Principal = Depends(require_roles(Role.BANK_STAFF))) -> dict:
        return {}

    @router.get("/api/toy/declared-but-refuses")  # says residents may come, then refuses them
    def liar(p: Principal = Depends(require_roles(Role.RESIDENT, Role.CITY_ADMIN))) -> dict:
        from moralbank.errors import PermissionDenied

        if p.role == Role.RESIDENT:
            raise PermissionDenied("no")
        return {}

    app = _toy_app(container, router)
    lint = "\n".join(lint_declarations(app))
    assert "/api/toy/undeclared" in lint and "declares no access" in lint
    assert "/api/toy/open/{resident_id}" in lint and "public route takes a resident id" in lint
    assert "/api/toy/bank" in lint and "without declaring the scope" in lint

    world = build_world(container)
    problems, _ = check_app(app, world, only="/api/toy/")
    text = "\n".join(problems)
    assert (
        f"/api/toy/residents/{world.residents['village2']} as village_officer (outside their scope): 200"
        in text
    )
    assert "GET /api/toy/declared-but-refuses as resident: 403, expected the route to admit" in text
    unlogged = f"GET /api/toy/residents/{world.home_resident} as grid_worker: 200 with a resident's data"
    assert f"{unlogged} but no access-log entry" in text
    assert "/api/toy/quiet" not in text  # declared personal_data=False
    # 3 officers see outside their scope; 4 officers read without a log entry; 1 liar; nothing else
    assert len(problems) == 8, text
