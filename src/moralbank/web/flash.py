"""What an action did ("#12 discarded"), said once on the page it redirects to: a message code and
its values in a short-lived signed cookie.

Not in the address (``?msg=…``), where a link could put any words in a page's official status box,
and a message worded before the redirect stays in the language it was worded in. Here the page words
the code in its own language when it shows it, so only the messages a page knows can appear on it;
a link to the page shows none.

The cookie is signed (HMAC-SHA256 under the key ring's ``flash`` secret) over the message, its expiry
and the browser's session, lives ``MAX_AGE`` seconds and only on the page's path, and is cleared by
the page that shows it.

Use::

    return flash.redirect(request, "/staff/feeds/quarantine?page=2", "discarded", id=12)  # the action

    said = flash.take(request)  # the page: None, or the code and values to word
    response = render(...)
    flash.clear(request, response)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from moralbank.web.deps import SESSION_COOKIE

__all__ = ["COOKIE", "MAX_AGE", "Flash", "clear", "redirect", "take"]

COOKIE = "mb_flash"
MAX_AGE = 60
"""Seconds: the browser follows the redirect at once; a message found later is stale."""


@dataclass(frozen=True)
class Flash:
    code: str
    values: dict[str, str | int]


def redirect(request: Request, to: str, code: str, **values: str | int) -> RedirectResponse:
    """A 303 to ``to`` (a path on this site) that says ``code`` with ``values`` there."""
    expires = int(_now(request)) + MAX_AGE
    body = _b64(json.dumps({"code": code, "values": values, "expires": expires}, ensure_ascii=False))
    response = RedirectResponse(to, status_code=303)
    response.set_cookie(
        COOKIE,
        f"{body}.{_signature(request, body)}",
        max_age=MAX_AGE,
        path=urlsplit(to).path,
        httponly=True,
        samesite="lax",
        secure=request.app.state.container.settings.session_secure_cookie,
    )
    return response


def take(request: Request) -> Flash | None:
    """The message set for this page, if there is one this server signed for this browser's session
    and it has not expired."""
    body, _, signature = request.cookies.get(COOKIE, "").partition(".")
    if not body or not signature.isascii() or not hmac.compare_digest(signature, _signature(request, body)):
        return None
    try:
        said = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None
    if not isinstance(said, dict) or not said.get("expires", 0) > _now(request):
        return None
    return Flash(str(said.get("code", "")), dict(said.get("values") or {}))


def clear(request: Request, response: Response) -> None:
    """Forget the message once the page has been shown (whether or not it could be read)."""
    if COOKIE in request.cookies:
        response.delete_cookie(COOKIE, path=request.url.path, httponly=True, samesite="lax")


def _signature(request: Request, body: str) -> str:
    key = request.app.state.container.keys.secret("flash")
    session = request.cookies.get(SESSION_COOKIE, "")
    return hmac.new(key, f"{session}\n{body}".encode(), hashlib.sha256).hexdigest()


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def _now(request: Request) -> float:
    return request.app.state.container.clock.now().timestamp()
