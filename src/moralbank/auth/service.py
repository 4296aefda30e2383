"""Sign-in, accounts, API tokens, and the authorisation checks every capability calls.

* Staff: username + password (argon2id), a server-side session; five failures in 15 minutes lock the
  username for the rest of the window, thirty from one client address lock that address.
* Residents: phone + one-time code sent through ``uow.deps.sms``; the code is kept as an HMAC,
  expires in 5 minutes and allows 5 attempts; the resident is found by the phone's keyed hash.
* Partner systems: API tokens with a role, scopes, a unit, an expiry; revocable.
* :func:`authorize`: may this principal read/write this resident's or unit's data? Out of scope is
  reported as :class:`NotFound`, the same as a missing object, so ids cannot be probed.

Services never commit: the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moralbank.auth import repository as repo
from moralbank.auth.domain import (
    CLIENT_LOGIN,
    DEFAULT_SCOPES,
    OTP_DIGITS,
    OTP_LIFETIME,
    OTP_MAX_ATTEMPTS,
    OTP_REQUESTS,
    OTP_RESEND_GAP,
    RESIDENT_SESSION,
    STAFF_LOGIN,
    STAFF_SESSION,
    Action,
    Principal,
    Role,
    Target,
    check_account,
    check_password,
    check_token,
    decide,
    normalise_phone,
)
from moralbank.auth.models import ApiToken, AuthSession, LoginAttempt, OneTimeCode, StaffUser
from moralbank.db.uow import UnitOfWork
from moralbank.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Problem,
    RateLimited,
    Unavailable,
)
from moralbank.kernel.gateways import GatewayError

log = logging.getLogger("moralbank.auth")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong username costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def token_hash(token: str) -> str:
    """Session and API tokens carry 256 random bits, so a plain SHA-256 is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def phone_hash(uow: UnitOfWork, phone: str) -> str:
    """The keyed hash a resident's phone is found by (the same one ``residents`` stores)."""
    return uow.keys.keyed_hash(normalise_phone(phone), name="phone")


# -- views -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffUserView:
    id: int
    username: str
    display_name: str
    role: Role
    unit_code: str | None
    scopes: list[str]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, u: StaffUser) -> StaffUserView:
        return cls(
            u.id,
            u.username,
            u.display_name,
            Role(u.role),
            u.unit_code,
            sorted(u.scopes or []),
            u.active,
            u.created_at,
        )


@dataclass(frozen=True)
class TokenView:
    id: int
    name: str
    role: Role
    scopes: list[str]
    unit_code: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: ApiToken) -> TokenView:
        return cls(
            t.id,
            t.name,
            Role(t.role),
            sorted(t.scopes or []),
            t.unit_code,
            t.created_at,
            t.created_by,
            t.expires_at,
            t.revoked_at,
        )


@dataclass(frozen=True)
class SignIn:
    """A new session: ``token`` goes into the cookie, ``expires_at`` is its end."""

    token: str
    principal: Principal
    expires_at: datetime


# -- organisation facts (through the orgs and residents services) ------------------------------------


def _unit(uow: UnitOfWork, code: str | None) -> tuple[str | None, str | None]:
    """(level, path) of a unit, or raise InvalidInput when there is no such unit."""
    if code is None:
        return None, None
    from moralbank.orgs import service as orgs

    try:
        unit = orgs.get(uow, code=code)
    except NotFound:
        raise InvalidInput(Problem(f"no organisation unit {code!r}", field="unit")) from None
    return unit.level, unit.path


def _path_of(uow: UnitOfWork, code: str | None) -> str | None:
    if code is None:
        return None
    from moralbank.orgs import service as orgs

    return orgs.path_of(uow, code=code)


# -- staff users ---------------------------------------------------------------------------------------


def create_user(
    uow: UnitOfWork,
    *,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
    unit_code: str | None = None,
    scopes: set[str] | frozenset[str] | None = None,
) -> StaffUserView:
    """Create a staff account (officers, auditor, and bank/provider staff who use the web pages)."""
    role = Role(role)
    username = username.strip().lower()
    if scopes is None:
        scopes = DEFAULT_SCOPES.get(role, frozenset())
    level, _ = _unit(uow, unit_code)
    check_account(
        username=username,
        role=role,
        unit_level=level,
        has_unit=unit_code is not None,
        scopes=frozenset(scopes),
    )
    check_password(password)
    if repo.user_by_username(uow.db, username):
        raise Conflict(f"user {username!r} exists")
    now = uow.clock.now()
    user = StaffUser(
        username=username,
        display_name=display_name.strip() or username,
        role=role.value,
        unit_code=unit_code,
        scopes=sorted(scopes),
        password_hash=_hasher.hash(password),
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    repo.add(uow.db, user)
    return StaffUserView.of(user)


def _user(uow: UnitOfWork, username: str) -> StaffUser:
    user = repo.user_by_username(uow.db, username.strip().lower())
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def get_user(uow: UnitOfWork, *, username: str) -> StaffUserView:
    return StaffUserView.of(_user(uow, username))


def list_users(uow: UnitOfWork, *, include_inactive: bool = True) -> list[StaffUserView]:
    return [StaffUserView.of(u) for u in repo.list_users(uow.db, include_inactive=include_inactive)]


def set_role(
    uow: UnitOfWork,
    *,
    username: str,
    role: Role | str,
    unit_code: str | None = None,
    scopes: set[str] | frozenset[str] | None = None,
) -> StaffUserView:
    """Change what a user is (and where): their open sessions end, so the change applies at once."""
    role = Role(role)
    user = _user(uow, username)
    if scopes is None:
        scopes = DEFAULT_SCOPES.get(role, frozenset())
    level, _ = _unit(uow, unit_code)
    check_account(
        username=user.username,
        role=role,
        unit_level=level,
        has_unit=unit_code is not None,
        scopes=frozenset(scopes),
    )
    user.role, user.unit_code, user.scopes = role.value, unit_code, sorted(scopes)
    repo.end_sessions_of_user(uow.db, user.id, uow.clock.now())
    uow.flush()
    return StaffUserView.of(user)


def disable(uow: UnitOfWork, *, username: str) -> StaffUserView:
    """Disable an account and end its sessions. Accounts are never deleted (the audit trail names them)."""
    user = _user(uow, username)
    user.active = False
    repo.end_sessions_of_user(uow.db, user.id, uow.clock.now())
    uow.flush()
    return StaffUserView.of(user)


def enable(uow: UnitOfWork, *, username: str) -> StaffUserView:
    user = _user(uow, username)
    user.active = True
    uow.flush()
    return StaffUserView.of(user)


def reset_password(uow: UnitOfWork, *, username: str, password: str) -> StaffUserView:
    """Set a new password, end every session of the user and lift a lockout."""
    check_password(password)
    user = _user(uow, username)
    now = uow.clock.now()
    user.password_hash, user.password_changed_at = _hasher.hash(password), now
    repo.end_sessions_of_user(uow.db, user.id, now)
    repo.clear_failures(uow.db, f"user:{user.username}")
    uow.flush()
    return StaffUserView.of(user)


def _user_principal(uow: UnitOfWork, user: StaffUser) -> Principal:
    return Principal(
        kind="user",
        id=str(user.id),
        role=Role(user.role),
        display_name=user.display_name,
        unit_code=user.unit_code,
        unit_path=_path_of(uow, user.unit_code),
        scopes=frozenset(user.scopes or []),
    )


def _throttled(uow: UnitOfWork, key: str, client: str | None) -> None:
    now = uow.clock.now()
    until = STAFF_LOGIN.locked_until(repo.failures(uow.db, key, now - STAFF_LOGIN.window), now)
    if client and until is None:
        until = CLIENT_LOGIN.locked_until(repo.failures_from(uow.db, client, now - CLIENT_LOGIN.window), now)
    if until is not None:
        raise RateLimited(f"too many failed sign-ins; try again after {until:%H:%M} UTC")


def sign_in(uow: UnitOfWork, *, username: str, password: str, client: str | None = None) -> SignIn:
    """Check a staff password and open a session.

    Wrong username and wrong password give the same error. A failure is added to the unit of work
    before NotAuthenticated is raised: the caller commits after catching it, so the failure counts
    towards the lockout (``web/pages/auth.py`` does).
    """
    key = f"user:{username.strip().lower()}"
    _throttled(uow, key, client)
    user = repo.user_by_username(uow.db, username.strip().lower())
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        uow.db.add(LoginAttempt(key=key, at=uow.clock.now(), client=client))
        uow.flush()
        raise NotAuthenticated("wrong username or password")
    repo.clear_failures(uow.db, key)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _open_session(uow, kind="user", principal=_user_principal(uow, user), user_id=user.id)


def _open_session(
    uow: UnitOfWork,
    *,
    kind: str,
    principal: Principal,
    user_id: int | None = None,
    resident_id: str | None = None,
) -> SignIn:
    now = uow.clock.now()
    expires = now + (STAFF_SESSION if kind == "user" else RESIDENT_SESSION)
    token = secrets.token_urlsafe(32)
    repo.add(
        uow.db,
        AuthSession(
            token_hash=token_hash(token),
            kind=kind,
            user_id=user_id,
            resident_id=resident_id,
            created_at=now,
            expires_at=expires,
        ),
    )
    return SignIn(token=token, principal=principal, expires_at=expires)


def user_session(uow: UnitOfWork, *, username: str) -> SignIn:
    """Open a staff session without a password: for trusted entry points (a provincial single sign-on
    that already checked the person) and tests. Never reachable from a web form."""
    user = _user(uow, username)
    if not user.active:
        raise NotAuthenticated("account disabled")
    return _open_session(uow, kind="user", principal=_user_principal(uow, user), user_id=user.id)


def sign_out(uow: UnitOfWork, *, token: str) -> None:
    row = repo.session_by_hash(uow.db, token_hash(token))
    if row is not None and row.ended_at is None:
        row.ended_at = uow.clock.now()
        uow.flush()


def principal_for_session(uow: UnitOfWork, *, token: str) -> Principal:
    """The principal of a session cookie; NotAuthenticated when it is unknown, ended or expired."""
    row = repo.session_by_hash(uow.db, token_hash(token))
    now = uow.clock.now()
    if row is None or row.ended_at is not None or row.expires_at <= now:
        raise NotAuthenticated("session expired; sign in again")
    if row.kind == "user" and row.user_id is not None:
        user = repo.user_by_id(uow.db, row.user_id)
        if user is None or not user.active:
            raise NotAuthenticated("account disabled")
        return _user_principal(uow, user)
    if row.kind == "resident" and row.resident_id:
        return _resident_principal(uow, row.resident_id)
    raise NotAuthenticated("session expired; sign in again")


def prune(uow: UnitOfWork, *, keep_days: int = 30) -> dict[str, int]:
    """Delete sessions, codes and failed-attempt records that ended more than ``keep_days`` ago.

    Nothing here is evidence (the access log and the ledger are); a daily run keeps the tables small.
    """
    cutoff = uow.clock.now() - timedelta(days=keep_days)
    # The throttles look back at most an hour; never prune inside that window.
    cutoff = min(cutoff, uow.clock.now() - max(STAFF_LOGIN.window, OTP_REQUESTS.window))
    return {
        "sessions": repo.delete_sessions_before(uow.db, cutoff),
        "codes": repo.delete_codes_before(uow.db, cutoff),
        "failed_sign_ins": repo.delete_failures_before(uow.db, cutoff),
    }


# -- residents: phone + one-time code -----------------------------------------------------------------


def _code_hash(uow: UnitOfWork, phone_h: str, code: str) -> str:
    return hmac.new(uow.keys.secret("otp"), f"{phone_h}:{code}".encode(), hashlib.sha256).hexdigest()


def _resident_principal(uow: UnitOfWork, resident_id: str) -> Principal:
    from moralbank.residents import service as residents

    grid = residents.grid_of(uow, resident_id=resident_id)
    me = Principal(
        kind="resident",
        id=resident_id,
        role=Role.RESIDENT,
        display_name=resident_id,
        unit_code=grid,
        unit_path=_path_of(uow, grid),
        resident_id=resident_id,
    )
    # Their own name for the page header (a resident reading their own data is not logged).
    name = residents.get(uow, resident_id=resident_id, principal=me, purpose="sign-in").name
    return replace(me, display_name=name or resident_id)


def _resident_by_phone(uow: UnitOfWork, phone: str) -> str | None:
    """The enrolled resident with this phone, through the residents service."""
    from moralbank.residents import service as residents

    return residents.find_by_phone(uow, phone=phone)


def request_code(uow: UnitOfWork, *, phone: str) -> None:
    """Send a sign-in code to a resident's phone.

    The answer is the same whether or not an enrolled resident has that phone (no enumeration);
    a code is only texted when one has. Throttled: one per minute, five per hour per phone.
    """
    phone = normalise_phone(phone)
    phone_h = phone_hash(uow, phone)
    now = uow.clock.now()
    last = repo.latest_code(uow.db, phone_h)
    if last is not None and now - last.created_at < OTP_RESEND_GAP:
        raise RateLimited("a code was sent less than a minute ago")
    if OTP_REQUESTS.locked_until(repo.code_times(uow.db, phone_h, now - OTP_REQUESTS.window), now):
        raise RateLimited("too many codes for this phone; try again later")
    resident_id = _resident_by_phone(uow, phone)
    code = "".join(secrets.choice("0123456789") for _ in range(OTP_DIGITS))
    repo.add(
        uow.db,
        OneTimeCode(
            phone_hash=phone_h,
            resident_id=resident_id,
            code_hash=_code_hash(uow, phone_h, code),
            created_at=now,
            expires_at=now + OTP_LIFETIME,
            attempts=0,
        ),
    )
    if resident_id is not None:
        minutes = int(OTP_LIFETIME.total_seconds() // 60)
        try:
            uow.deps.sms.send(phone, f"【道德银行】登录验证码 {code}，{minutes}分钟内有效。请勿告诉他人。")
        except GatewayError as e:  # the code is not kept (the unit of work rolls back): ask again
            log.error("sign-in code not sent: %s", e)
            raise Unavailable("the SMS platform did not take the sign-in code; try again later") from None


def verify_code(uow: UnitOfWork, *, phone: str, code: str) -> SignIn:
    """Check a one-time code and open a resident session.

    A wrong code counts an attempt on the latest code (the caller commits that even when this
    raises); after five, or five minutes, the code is dead and a new one must be requested.
    """
    phone_h = phone_hash(uow, phone)
    now = uow.clock.now()
    row = repo.latest_code(uow.db, phone_h)
    if row is None or row.used_at is not None or row.expires_at <= now or row.attempts >= OTP_MAX_ATTEMPTS:
        raise NotAuthenticated("no valid code for this phone; request a new one")
    row.attempts += 1
    uow.flush()
    expected = _code_hash(uow, phone_h, code.strip())
    if row.resident_id is None or not hmac.compare_digest(row.code_hash, expected):
        raise NotAuthenticated("wrong code")
    row.used_at = now
    return _open_session(
        uow, kind="resident", principal=_resident_principal(uow, row.resident_id), resident_id=row.resident_id
    )


def resident_session(uow: UnitOfWork, *, resident_id: str) -> SignIn:
    """Open a resident session directly (tests and trusted entry points such as a provincial SSO)."""
    return _open_session(
        uow, kind="resident", principal=_resident_principal(uow, resident_id), resident_id=resident_id
    )


# -- API tokens ---------------------------------------------------------------------------------------------


def create_token(
    uow: UnitOfWork,
    *,
    name: str,
    role: Role | str,
    scopes: set[str] | frozenset[str],
    unit_code: str | None = None,
    expires_at: datetime | None = None,
    created_by: str = "system",
    token: str | None = None,
) -> tuple[str, TokenView]:
    """A partner system's token. The plain token is returned once and never stored.

    ``token`` lets the demo city use a known token derived from its seed; everyone else leaves it
    out and gets 256 random bits.
    """
    role = Role(role)
    check_token(role=role, scopes=frozenset(scopes))
    _unit(uow, unit_code)
    if expires_at is not None and expires_at <= uow.clock.now():
        raise InvalidInput(Problem("expiry is in the past", field="expires_at"))
    if token is not None and len(token) < 32:
        raise InvalidInput(Problem("a chosen token needs at least 32 characters", field="token"))
    plain = token or "mbt_" + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name.strip(),
        role=role.value,
        scopes=sorted(scopes),
        unit_code=unit_code,
        token_hash=token_hash(plain),
        created_at=uow.clock.now(),
        created_by=created_by,
        expires_at=expires_at,
    )
    repo.add(uow.db, row)
    return plain, TokenView.of(row)


def list_tokens(uow: UnitOfWork) -> list[TokenView]:
    return [TokenView.of(t) for t in repo.list_tokens(uow.db)]


def revoke_token(uow: UnitOfWork, *, token_id: int) -> TokenView:
    row = repo.token_by_id(uow.db, token_id)
    if row is None:
        raise NotFound(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        uow.flush()
    return TokenView.of(row)


def principal_for_token(uow: UnitOfWork, *, token: str) -> Principal:
    row = repo.token_by_hash(uow.db, token_hash(token))
    now = uow.clock.now()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise NotAuthenticated("invalid, expired or revoked API token")
    return Principal(
        kind="token",
        id=str(row.id),
        role=Role(row.role),
        display_name=row.name,
        unit_code=row.unit_code,
        unit_path=_path_of(uow, row.unit_code),
        scopes=frozenset(row.scopes or []),
    )


# -- authorisation --------------------------------------------------------------------------------------


def resident_target(
    uow: UnitOfWork, *, resident_id: str, purpose: str | None = None, interface: str | None = None
) -> Target:
    """The facts :func:`decide` needs about a resident: their grid's path and the stated consent."""
    from moralbank.residents import service as residents

    try:
        grid = residents.grid_of(uow, resident_id=resident_id)
    except NotFound:
        raise NotFound(f"no resident {resident_id}") from None
    consented = False
    if purpose is not None or interface is not None:
        consented = residents.has_consent(uow, resident_id=resident_id, interface=interface, purpose=purpose)
    return Target(
        kind="resident", unit_path=_path_of(uow, grid), resident_id=resident_id, consented=consented
    )


def unit_target(uow: UnitOfWork, *, unit_code: str) -> Target:
    from moralbank.orgs import service as orgs

    return Target(kind="unit", unit_path=orgs.path_of(uow, code=unit_code))


def authorize(
    uow: UnitOfWork,
    principal: Principal,
    action: Action | str,
    *,
    resident_id: str | None = None,
    unit_code: str | None = None,
    purpose: str | None = None,
    interface: str | None = None,
    target: Target | None = None,
) -> Target:
    """Raise unless ``principal`` may do ``action`` on the resident/unit; return the target checked.

    Outside the caller's scope we raise :class:`NotFound` ("no resident R…") exactly as for an id
    that does not exist, so nobody learns which ids exist elsewhere. Only when the caller may see the
    object but not do this to it (an auditor writing) do we raise :class:`PermissionDenied`.
    """
    action = Action(action)
    if target is None:
        if resident_id is not None:
            target = resident_target(uow, resident_id=resident_id, purpose=purpose, interface=interface)
        elif unit_code is not None:
            target = unit_target(uow, unit_code=unit_code)
        else:
            raise ValueError("authorize needs resident_id, unit_code or target")
    decision = decide(principal, action, target)
    if decision:
        return target
    if action == Action.WRITE and decide(principal, Action.READ, target):
        raise PermissionDenied(decision.reason)
    what = f"resident {target.resident_id}" if target.resident_id else f"unit {unit_code or target.unit_path}"
    raise NotFound(f"no {what}")


def can(uow: UnitOfWork, principal: Principal, action: Action | str, **kwargs: object) -> bool:
    """:func:`authorize` as a yes/no (for showing or hiding a button)."""
    try:
        authorize(uow, principal, action, **kwargs)  # type: ignore[arg-type]
    except (NotFound, PermissionDenied):
        return False
    return True
