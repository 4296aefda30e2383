"""The home page: sends each role to where its work starts; a visitor sees the two ways to sign in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from moralbank.auth.domain import Principal, Role
from moralbank.web.app import render
from moralbank.web.deps import optional_principal

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


@router.get("/")
def home(request: Request, principal: Principal | None = Depends(optional_principal)) -> Response:
    if principal is not None and principal.role in START:
        return RedirectResponse(START[principal.role], status_code=303)
    return render(request, "home/home.html", {})
