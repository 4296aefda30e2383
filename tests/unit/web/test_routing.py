"""A prefixed router turns away other paths without changing what matches."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from moralbank.web.deps import declares
from moralbank.web.routing import PrefixRouter


def test_prefix_router_matches_as_a_plain_router_does() -> None:
    first, second = PrefixRouter(prefix="/api/a"), PrefixRouter(prefix="/api/b")

    @first.get("/{x}")
    def a(x: str) -> dict:
        return {"a": x}

    @second.get("/{x}")
    def b(x: str) -> dict:
        return {"b": x}

    app = FastAPI()
    app.include_router(first)
    app.include_router(second)
    c = TestClient(app)
    assert c.get("/api/a/1").json() == {"a": "1"} and c.get("/api/b/2").json() == {"b": "2"}
    assert c.post("/api/b/2").status_code == 405  # a partial match (path, not method) still answers 405
    assert c.get("/api/c/3").status_code == 404


def test_a_declared_route_is_served_by_a_plain_route_in_front_and_documented_once() -> None:
    from fastapi import Request
    from fastapi.responses import JSONResponse

    from moralbank.errors import NotAuthenticated
    from moralbank.web.deps import iter_routes, public
    from moralbank.web.routing import DeclaredRoute, serve_declared_routes_first

    router = PrefixRouter(prefix="/api/hot")
    seen: list[object] = []

    @router.post("/echo")
    @declares(public)
    async def echo(request: Request) -> JSONResponse:
        seen.append(request.scope.get("route"))
        body = await request.json()
        if body.get("who") is None:
            raise NotAuthenticated("who?")
        return JSONResponse({"who": body["who"]})

    @router.get("/plain")
    def plain() -> dict:
        return {"plain": True}

    app = FastAPI()

    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=401)

    app.include_router(router)
    serve_declared_routes_first(app)
    first = app.router.routes[0]
    assert isinstance(first, DeclaredRoute) and first.path == "/api/hot/echo"
    assert first.serves.endpoint is echo
    c = TestClient(app)
    assert c.post("/api/hot/echo", json={"who": "李"}).json() == {"who": "李"}
    assert seen == [first]  # served by the plain route in front, not by the APIRoute behind it
    assert c.post("/api/hot/echo", json={}).json() == {"error": "who?"}  # app-level handlers apply
    assert c.get("/api/hot/echo").status_code == 405
    assert c.get("/api/hot/plain").json() == {"plain": True}
    assert sum(getattr(r, "path", "") == "/api/hot/echo" for r in iter_routes(app)) == 1
    assert list(c.get("/openapi.json").json()["paths"]) == ["/api/hot/echo", "/api/hot/plain"]
