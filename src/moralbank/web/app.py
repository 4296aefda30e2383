"""The FastAPI application: JSON API under /api, server-rendered pages, local static assets."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from moralbank import errors
from moralbank.auth.domain import PARTNER_ROLES, Role
from moralbank.bootstrap import Container
from moralbank.web.i18n import error_text, pick_language, translator
from moralbank.web.routing import serve_declared_routes_first

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))

# Every router of the app, in the order they are mounted. Each module exposes ``router``.
# FastAPI tries routers in this order, and a request pays for every route in front of its own (a
# ``PrefixRouter`` turns away paths outside its prefix in about 2 µs): the JSON API first, the routers
# a city serves most at the head, then the pages. No page path starts with /api, so the order changes
# no match. (The hottest routes, marked ``declares``, are served in front of all of these.)
API_MODULES = (
    "moralbank.web.api.greencode",
    "moralbank.web.api.scoring",
    "moralbank.web.api.auth",
    "moralbank.web.api.orgs",
    "moralbank.web.api.residents",
    "moralbank.web.api.policy",
    "moralbank.web.api.ledger",
    "moralbank.web.api.evaluation",
    "moralbank.web.api.feeds",
)
PAGE_MODULES = (
    "moralbank.web.pages.auth",
    "moralbank.web.pages.orgs",
    "moralbank.web.pages.residents",
    "moralbank.web.pages.policy",
    "moralbank.web.pages.ledger",
    "moralbank.web.pages.evaluation",
    "moralbank.web.pages.feeds",
    "moralbank.web.pages.scoring",
    "moralbank.web.pages.greencode",
    "moralbank.web.pages.home",
)
ROUTER_MODULES = API_MODULES + PAGE_MODULES

STATUS = {
    errors.NotAuthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.InvalidInput: 422,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}


def status_of(error: errors.MoralbankError) -> int:
    """The HTTP status of a domain error (``STATUS``; 400 for any other)."""
    return next((code for cls, code in STATUS.items() if isinstance(error, cls)), 400)


def language_of(request: Request) -> str:
    # Parses the query string and cookies only when they can name a language (this runs on every
    # page and on each green-code check).
    query = request.query_params.get("lang") if b"lang=" in request.scope["query_string"] else None
    cookie = request.cookies.get("lang") if "cookie" in request.headers else None
    return pick_language(query, cookie, None, request.app.state.container.settings.default_language)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a page in the request's language; remembers a ``?lang=`` choice in a cookie."""
    lang = language_of(request)
    ctx = {
        "lang": lang,
        "_": translator(lang),
        "error_text": lambda message: error_text(str(message), lang),
        "switch_language": _switch_language(request, "zh-CN" if lang == "en" else "en"),
        "menu": _menu(request),
        "principal": getattr(request.state, "principal", None),
        "demo_banner": request.app.state.container.cache.get("demo", False),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if request.query_params.get("lang") in ("zh-CN", "en"):
        response.set_cookie("lang", request.query_params["lang"], samesite="lax", max_age=365 * 86400)
    return response


def _switch_language(request: Request, lang: str) -> str:
    """This page in the other language: the same path and query (filters, page), ``lang`` replaced.

    A page answering a form (a POST, e.g. a refused form shown again) links to the page the form was
    on, as the browser's Referer names it on this site, since its own address takes no GET."""
    path, query = request.url.path, request.url.query
    if request.method != "GET":
        ref = urlsplit(request.headers.get("referer", ""))
        same_site = ref.netloc in ("", request.url.netloc) and ref.path.startswith("/")
        path, query = (ref.path, ref.query) if same_site else ("/", "")
    params = [(k, v) for k, v in parse_qsl(query) if k != "lang"]
    return f"{path}?{urlencode([*params, ('lang', lang)])}"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "translated later"
    """Marks a message for translation where it is defined; it is translated where it is shown."""
    return message


# The menus, in this order; each link is shown to the roles its route admits (``web.deps``
# declarations), so a menu follows the access rules rather than repeating them.
STAFF_MENU = (
    ("/orgs", N_("组织架构")),
    ("/residents", N_("居民名单")),
    ("/residents/corrections", N_("更正申请")),
    ("/evaluation/review", N_("评议队列")),
    ("/evaluation/confirm", N_("待确认")),
    ("/evaluation/submit", N_("代录善行")),
    ("/evaluation/deduction", N_("扣分事项")),
    ("/evaluation/overdue", N_("逾期事项")),
    ("/staff/feeds", N_("数据接口")),
    ("/staff/feeds/quarantine", N_("隔离区")),
    ("/audit/access-log", N_("查阅记录")),
    ("/policy", N_("公示目录")),
)
PARTNER_MENU = (("/verify", N_("核验绿码")), ("/policy", N_("公示目录")))
RESIDENT_MENU = (
    ("/me/portrait", N_("道德画像")),
    ("/me/greencode", N_("我的绿码")),
    ("/me/ledger", N_("积分账本")),
    ("/evaluation/submit", N_("提交善行")),
    ("/evaluation/me", N_("我的评议")),
    ("/evaluation/confirm", N_("邻里互评")),
    ("/evaluation/inbox", N_("消息")),
    ("/me", N_("我的信息")),
    ("/me/data-interfaces", N_("数据授权")),
    ("/me/access-log", N_("查阅记录")),
)


def _menu(request: Request) -> list[tuple[str, str]]:
    """The menu of the signed-in person (resident, staff member or partner): the entries of their menu
    whose GET route admits their role."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return []
    app = request.app
    if not hasattr(app.state, "get_access"):
        from moralbank.web.deps import route_table

        app.state.get_access = {r["path"]: r for r in route_table(app) if "GET" in r["methods"]}
    if principal.role is Role.RESIDENT:
        entries = RESIDENT_MENU
    else:
        entries = PARTNER_MENU if principal.role in PARTNER_ROLES else STAFF_MENU
    access = app.state.get_access
    return [
        (path, label)
        for path, label in entries
        if path in access and (access[path]["public"] or principal.role.value in access[path]["roles"])
    ]


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


NUMBER_OUT_OF_RANGE = errors.Problem("a number in the request is out of range")


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="moralbank",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        description="道德银行 · Moral Bank API. See docs/api.md.",
    )
    app.state.container = container
    # A data directory built by `moralbank demo` holds invented people: say so on every page.
    container.cache.setdefault("demo", (container.settings.data_dir / "DEMO").exists())
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.get("/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI from the app's own static files (FastAPI's default loads it from a CDN)."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="moralbank API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.exception_handler(errors.MoralbankError)
    async def domain_error(request: Request, exc: errors.MoralbankError) -> Response:
        status = status_of(exc)
        if status == 401 and _wants_html(request):
            from fastapi.responses import RedirectResponse

            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        body: dict[str, Any] = {"error": type(exc).__name__, "detail": str(exc)}
        if isinstance(exc, errors.InvalidInput):
            body["problems"] = [p.__dict__ for p in exc.problems]
        if _wants_html(request):
            _ = translator(language_of(request))
            title = {403: _("没有权限"), 404: _("未找到")}.get(status, _("出错了"))
            detail = error_text(str(exc), language_of(request))
            return render(request, "error.html", {"title": title, "detail": detail}, status_code=status)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown address (or a method a page does not take) gets the error page in a browser; the
        API and programs keep Starlette's JSON."""
        if not _wants_html(request):
            return await http_exception_handler(request, exc)
        _ = translator(language_of(request))
        title = {404: _("未找到"), 405: _("出错了")}.get(exc.status_code, _("出错了"))
        detail = {404: _("没有这个页面。"), 405: _("这个地址不能这样打开，请从页面上的链接进入。")}.get(
            exc.status_code, str(exc.detail)
        )
        return render(request, "error.html", {"title": title, "detail": detail}, status_code=exc.status_code)

    @app.exception_handler(OverflowError)
    async def number_too_large(request: Request, exc: OverflowError) -> Response:
        """An id or size beyond a 64-bit integer (``/api/evaluation/items/10000000000000000000000``)
        names nothing; SQLite's driver cannot even bind it. Refused like any other bad input."""
        return await domain_error(request, errors.InvalidInput(NUMBER_OUT_OF_RANGE))

    @app.exception_handler(DataError)
    async def value_the_database_refuses(request: Request, exc: DataError) -> Response:
        """PostgreSQL refuses, while comparing, what the request carried: a number beyond the column's
        integer type, or text with a NUL character. Any other data error is the server's own."""
        if getattr(exc.orig, "sqlstate", None) == "22003":  # numeric_value_out_of_range
            return await domain_error(request, errors.InvalidInput(NUMBER_OUT_OF_RANGE))
        if "NUL (0x00)" in str(exc.orig):
            return await domain_error(
                request, errors.InvalidInput(errors.Problem("text with a NUL character"))
            )
        raise exc

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        """A page asked with a malformed query or form (``?page=abc``) gets a page saying which value is
        wrong; the API keeps FastAPI's 422 JSON (with a body that is not UTF-8 shown as text, which
        FastAPI's own handler cannot encode)."""
        if not _wants_html(request):
            problems = [
                {**e, "input": e["input"].decode("utf-8", "replace")}
                if isinstance(e.get("input"), bytes)
                else e
                for e in exc.errors()
            ]
            return await request_validation_exception_handler(request, RequestValidationError(problems))
        _ = translator(language_of(request))
        where = ("query", "body", "path")
        wrong = ", ".join(str(e["loc"][-1]) for e in exc.errors() if e.get("loc") and e["loc"][0] in where)
        detail = _("请求中的值不对：{names}", names=wrong or "?")
        return render(request, "error.html", {"title": _("出错了"), "detail": detail}, status_code=422)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:  # async: no thread hop (also the benchmarks' trivial endpoint)
        return {"status": "ok"}

    for name in ROUTER_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:
                continue  # that capability has no routes (yet)
            raise
        app.include_router(module.router)
    serve_declared_routes_first(app)
    return app
