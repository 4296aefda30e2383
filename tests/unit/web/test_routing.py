"""A prefixed router turns away other paths without changing what matches."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

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
