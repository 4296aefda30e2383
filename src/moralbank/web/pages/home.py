"""The home page: sends each role to where its work starts; a visitor sees the two ways to sign in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from moralbank.auth.domain import Principal, Role
from moralbank.web.app import render
from moralbank.web.deps import iter_routes, optional_principal

router = APIRouter(include_in_schema=False)

START = {
    Role.CITY_ADMIN: "/orgs",
    Role.TOWNSHIP_OFFICER: "/residents",
    Role.VILLAGE_OFFICER: "/residents",
    Role.GRID_WORKER: "/residents",
    Role.AUDITOR: "/audit/access-log",
    Role.RESIDENT: "/me",
}
"""Each role's start page. Partners (bank, provider) get the home page with what their scopes allow."""


PARTNER_LINKS = (
    ("greencode:verify", "/verify", "核验绿码"),
    ("credit:read", "/credit", "道德信贷"),
    ("courtesy:redeem", "/courtesy", "道德礼遇"),
)
"""What a partner (bank, provider) may open, by scope; shown only where the page exists."""


@router.get("/")
def home(request: Request, principal: Principal | None = Depends(optional_principal)) -> Response:
    if principal is not None and principal.role in START:
        return RedirectResponse(START[principal.role], status_code=303)
    links = []
    if principal is not None:
        pages = {getattr(r, "path", None) for r in iter_routes(request.app)}
        links = [
            (path, label)
            for scope, path, label in PARTNER_LINKS
            if path in pages and principal.has_scope(scope)
        ]
    return render(request, "home/home.html", {"links": links})
