"""Sign-in pages: staff (username + password), residents (phone + one-time code), sign-out, and the
access-log page for auditors and the city admin."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from moralbank.audit import service as audit
from moralbank.auth import service as auth
from moralbank.auth.domain import OVERSIGHT, Principal, Role
from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput, NotAuthenticated, RateLimited, Unavailable
from moralbank.kernel.clock import CHINA
from moralbank.web.app import language_of, render
from moralbank.web.deps import SESSION_COOKIE, get_uow, public, require_roles
from moralbank.web.i18n import translator

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: ``/x`` yes, ``//evil.example`` and ``https://…`` no."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def _signed_in(request: Request, uow: UnitOfWork, sign: auth.SignIn, target: str) -> Response:
    """Commit the new session (ending the browser's previous one) and set its cookie."""
    if previous := request.cookies.get(SESSION_COOKIE):
        auth.sign_out(uow, token=previous)
    uow.commit()
    response = RedirectResponse(target, status_code=303)
    settings = request.app.state.container.settings
    max_age = int((sign.expires_at - request.app.state.container.clock.now()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        sign.token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=settings.session_secure_cookie,
        path="/",
    )
    return response


# -- staff --------------------------------------------------------------------------------------------


@router.get("/login", dependencies=[Depends(public)])
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
    if safe_next(next).startswith("/me"):  # a resident's page: residents sign in with their phone
        return RedirectResponse("/login/resident", status_code=303)
    return render(request, "auth/login.html", {"next": safe_next(next), "username": "", "error": None})


@router.post("/login", dependencies=[Depends(public)])
def login_submit(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:  # noqa: A002
    _ = translator(language_of(request))
    client = request.client.host if request.client else None
    try:
        sign = auth.sign_in(uow, username=username, password=password, client=client)
    except NotAuthenticated:
        uow.commit()  # the failed attempt counts towards the lockout
        return render(
            request,
            "auth/login.html",
            {"next": safe_next(next), "username": username, "error": _("用户名或密码错误")},
            status_code=401,
        )
    except RateLimited:
        return render(
            request,
            "auth/login.html",
            {"next": safe_next(next), "username": username, "error": _("失败次数过多，请15分钟后再试")},
            status_code=429,
        )
    return _signed_in(request, uow, sign, safe_next(next))


@router.post("/logout", dependencies=[Depends(public)])
def logout(request: Request, uow: UnitOfWork = Depends(get_uow)) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth.sign_out(uow, token=token)
        uow.commit()
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- residents ------------------------------------------------------------------------------------------


@router.get("/login/resident", dependencies=[Depends(public)])
def resident_form(request: Request) -> Response:
    return render(request, "auth/login_resident.html", {"phone": "", "sent": False, "error": None})


@router.get("/login/resident/code", dependencies=[Depends(public)])
def resident_code_get(request: Request) -> Response:
    """Reached by a language switch on the code page: start again (the code, if sent, stays valid)."""
    return RedirectResponse("/login/resident", status_code=303)


@router.post("/login/resident/code", dependencies=[Depends(public)])
def resident_code(request: Request, phone: str = Form(""), uow: UnitOfWork = Depends(get_uow)) -> Response:
    """Send a code. The page says the same whether or not the phone belongs to an enrolled resident."""
    _ = translator(language_of(request))
    try:
        auth.request_code(uow, phone=phone)
    except InvalidInput:
        return render(
            request,
            "auth/login_resident.html",
            {"phone": phone, "sent": False, "error": _("请输入11位手机号码")},
            status_code=422,
        )
    except RateLimited:
        return render(
            request,
            "auth/login_resident.html",
            {"phone": phone, "sent": True, "error": _("发送太频繁，请稍后再试")},
            status_code=429,
        )
    except Unavailable:  # the SMS platform did not take it: no code was kept, ask again
        return render(
            request,
            "auth/login_resident.html",
            {"phone": phone, "sent": False, "error": _("短信发送失败，请稍后再试")},
            status_code=503,
        )
    uow.commit()
    return render(request, "auth/login_resident.html", {"phone": phone, "sent": True, "error": None})


@router.post("/login/resident", dependencies=[Depends(public)])
def resident_submit(
    request: Request, phone: str = Form(""), code: str = Form(""), uow: UnitOfWork = Depends(get_uow)
) -> Response:
    _ = translator(language_of(request))
    try:
        sign = auth.verify_code(uow, phone=phone, code=code)
    except (NotAuthenticated, InvalidInput):
        uow.commit()  # the attempt counts
        return render(
            request,
            "auth/login_resident.html",
            {"phone": phone, "sent": True, "error": _("验证码错误或已过期")},
            status_code=401,
        )
    return _signed_in(request, uow, sign, "/me")


# -- the access log ----------------------------------------------------------------------------------------


@router.get("/audit/access-log")
def access_log_page(
    request: Request,
    resident_id: str = "",
    actor: str = "",
    since: str = "",
    principal: Principal = Depends(require_roles(*OVERSIGHT)),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    """Who read which resident's data (auditors, city admin); filter by resident, actor, date."""
    _ = translator(language_of(request))
    error = None
    rows: list[audit.AccessRecord] = []
    try:
        start = datetime.fromisoformat(since) if since else None
        if start is not None and start.tzinfo is None:
            start = start.replace(tzinfo=CHINA)
        rows = audit.list(
            uow,
            principal=principal,
            resident_id=resident_id.strip() or None,
            actor=actor.strip() or None,
            since=start,
            limit=200,
        )
    except ValueError:
        error = _("日期格式应为 YYYY-MM-DD")
    except InvalidInput:
        error = _("请输入居民编号")
    shown = [(r, r.at.astimezone(CHINA)) for r in rows]  # times as people in Yuyao read them
    return render(
        request,
        "auth/access_log.html",
        {"rows": shown, "resident_id": resident_id, "actor": actor, "since": since, "error": error},
    )


@router.get("/me/access-log")
def my_access_log_page(
    request: Request,
    principal: Principal = Depends(require_roles(Role.RESIDENT)),
    uow: UnitOfWork = Depends(get_uow),
) -> Response:
    """The resident's own page of who read their data, when, what and why (newest first)."""
    rows = audit.list_for_resident(uow, resident_id=principal.resident_id or "", limit=200)
    return render(request, "auth/my_access_log.html", {"rows": [(r, r.at.astimezone(CHINA)) for r in rows]})
