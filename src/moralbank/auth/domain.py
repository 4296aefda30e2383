"""Who is acting and what they may do: roles, the principal, and the access rules. Pure, stdlib only.

Every authorisation decision of moralbank is made by :func:`decide` (objects: a resident's data, an
organisation unit) and :func:`role_allowed` (routes), so the rules can be read in one page and tested
without a database. ``auth.service`` only fetches the facts (where a resident lives, whether they
consented) and calls these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from moralbank.errors import InvalidInput, Problem


class Role(StrEnum):
    CITY_ADMIN = "city_admin"
    TOWNSHIP_OFFICER = "township_officer"
    VILLAGE_OFFICER = "village_officer"
    GRID_WORKER = "grid_worker"
    AUDITOR = "auditor"
    RESIDENT = "resident"
    PROVIDER_STAFF = "provider_staff"
    BANK_STAFF = "bank_staff"
    DEPARTMENT_FEED = "department_feed"


STAFF_ROLES = frozenset(
    {Role.CITY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER, Role.GRID_WORKER, Role.AUDITOR}
)
PARTNER_ROLES = frozenset({Role.PROVIDER_STAFF, Role.BANK_STAFF, Role.DEPARTMENT_FEED})

# Role groups routes declare their access with (``require_roles(*OFFICERS)`` …).
OFFICERS = (Role.CITY_ADMIN, Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER, Role.GRID_WORKER)
"""Staff who act on residents' records in their organisation subtree."""
STAFF = (*OFFICERS, Role.AUDITOR)
"""Officers plus the (read-only) auditor."""
OVERSIGHT = (Role.CITY_ADMIN, Role.AUDITOR)
"""Who may read the access log and other oversight views."""
EVERYONE = tuple(Role)
"""Any signed-in principal."""

# The organisation level a scoped staff role works at (checked when a user is created or moved).
ROLE_LEVEL: dict[Role, str] = {
    Role.TOWNSHIP_OFFICER: "township",
    Role.VILLAGE_OFFICER: "village",
    Role.GRID_WORKER: "grid",
}

# Scopes a partner user or token gets when none are given. A scope is ``capability:verb[:object]``;
# ``*`` as the last part matches anything (``feeds:push:*``).
DEFAULT_SCOPES: dict[Role, frozenset[str]] = {
    Role.BANK_STAFF: frozenset({"credit:read", "credit:decide", "greencode:verify"}),
    Role.PROVIDER_STAFF: frozenset({"greencode:verify", "courtesy:redeem"}),
    Role.DEPARTMENT_FEED: frozenset(),
}
SCOPE_RE = re.compile(r"^[a-z][a-z0-9_]*(:[a-z0-9_*.-]+){1,3}$")


@dataclass(frozen=True)
class Principal:
    """The authenticated actor of a request or command.

    ``unit_path`` is the materialised path of the organisation unit the actor is scoped to
    (``/330281/330281001/``); ``resident_id`` is set for residents; ``scopes`` for partners.
    """

    kind: str  # "user" | "resident" | "token" | "system"
    id: str
    role: Role
    display_name: str = ""
    unit_code: str | None = None
    unit_path: str | None = None
    resident_id: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def actor(self) -> str:
        """How the ledger and audit trail name this actor: ``user:42``, ``resident:R…``, ``token:7``."""
        return f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner(self) -> bool:
        return self.role in PARTNER_ROLES

    def covers(self, unit_path: str | None) -> bool:
        """Whether a unit (by materialised path) lies in this principal's organisation subtree."""
        if self.role in (Role.CITY_ADMIN, Role.AUDITOR) and self.unit_path is None:
            return True
        return bool(unit_path and self.unit_path and unit_path.startswith(self.unit_path))

    def has_scope(self, scope: str) -> bool:
        """Whether one of the principal's scopes grants ``scope`` (a trailing ``*`` matches anything)."""
        return any(scope_matches(granted, scope) for granted in self.scopes)


SYSTEM = Principal(kind="system", id="moralbank", role=Role.CITY_ADMIN, display_name="system")


def scope_matches(granted: str, wanted: str) -> bool:
    if granted == wanted:
        return True
    if granted.endswith(":*"):
        return wanted.startswith(granted[:-1])
    return False


# -- decisions on objects ---------------------------------------------------------------------------


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


@dataclass(frozen=True)
class Target:
    """The object a principal acts on, reduced to the facts the rules need.

    ``unit_path`` is where it lives in the organisation tree (a resident: their grid's path);
    ``resident_id`` is whose data it is (None for a unit); ``consented`` whether the resident gave
    consent for the purpose/interface the caller states (what partners need for personal data).
    """

    kind: str  # "resident" | "unit" | another capability's object kind
    unit_path: str | None
    resident_id: str | None = None
    consented: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def decide(principal: Principal, action: Action, target: Target) -> Decision:
    """The one rule book: may ``principal`` do ``action`` on ``target``?

    * city admin: everything;
    * auditor: reads in their scope (the whole city when unscoped), never writes;
    * township/village officers and grid workers: reads and writes in their organisation subtree;
    * a resident: their own data only;
    * bank and provider staff: a resident's data only when that resident consented to the purpose,
      and only to read (what they may do beyond that is decided by their scopes on the route);
    * department feeds: never read personal data; write only where the resident consented to the
      feed's interface.
    """
    role = principal.role
    if role == Role.CITY_ADMIN and principal.unit_path is None:
        return Decision(True, "city admin")
    if role in (Role.CITY_ADMIN, *ROLE_LEVEL):
        if principal.covers(target.unit_path):
            return Decision(True, "in organisation subtree")
        return Decision(False, "outside organisation subtree")
    if role == Role.AUDITOR:
        if action != Action.READ:
            return Decision(False, "auditors are read-only")
        if principal.covers(target.unit_path):
            return Decision(True, "auditor read in scope")
        return Decision(False, "outside organisation subtree")
    if role == Role.RESIDENT:
        if target.resident_id is not None and target.resident_id == principal.resident_id:
            return Decision(True, "own data")
        return Decision(False, "not the resident's own data")
    if role in (Role.BANK_STAFF, Role.PROVIDER_STAFF):
        if target.resident_id is None:
            return Decision(False, "partners see no organisation data")
        if action != Action.READ:
            return Decision(False, "partners do not change residents' data")
        if not target.consented:
            return Decision(False, "no consent for this purpose")
        return Decision(True, "consented purpose")
    if role == Role.DEPARTMENT_FEED:
        if action == Action.WRITE and target.resident_id is not None and target.consented:
            return Decision(True, "consented interface")
        return Decision(False, "department feeds only push records of consenting residents")
    return Decision(False, "unknown role")


def role_allowed(
    principal: Principal, allowed: frozenset[Role] | set[Role], *, write: bool, scope: str | None = None
) -> Decision:
    """Route-level check: is the principal's role among the route's roles (and scoped for it)?

    ``scope`` applies to partners only (staff and residents are governed by role): a bank user on a
    ``credit:read`` route needs that scope. Auditors never get a writing route, whatever it declares.
    """
    if principal.role not in allowed:
        return Decision(False, f"role {principal.role} not allowed here")
    if write and principal.role == Role.AUDITOR:
        return Decision(False, "auditors are read-only")
    if scope and principal.is_partner and not principal.has_scope(scope):
        return Decision(False, f"missing scope {scope}")
    return Decision(True, "role allowed")


# -- accounts ---------------------------------------------------------------------------------------

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 10


def check_account(
    *, username: str, role: Role, unit_level: str | None, has_unit: bool, scopes: frozenset[str]
) -> None:
    """The rules for a staff account: a sane username, a unit at the level the role works at."""
    problems: list[Problem] = []
    if not USERNAME_RE.match(username):
        problems.append(Problem("username: lowercase letters, digits, . _ - (2–63)", field="username"))
    if role == Role.RESIDENT or role == Role.DEPARTMENT_FEED:
        problems.append(
            Problem(
                f"{role} is not a staff account role (residents use the phone; feeds use API tokens)",
                field="role",
            )
        )
    if role in ROLE_LEVEL:
        if not has_unit:
            problems.append(Problem(f"a {role} needs a unit", field="unit"))
        elif unit_level != ROLE_LEVEL[role]:
            problems.append(
                Problem(f"a {role} works at a {ROLE_LEVEL[role]}, not a {unit_level}", field="unit")
            )
    elif role in PARTNER_ROLES and not has_unit:
        problems.append(Problem(f"a {role} needs a unit (usually the city)", field="unit"))
    if scopes and role not in PARTNER_ROLES:
        problems.append(Problem("only partner accounts carry scopes", field="scopes"))
    problems.extend(
        Problem(f"bad scope {s!r}", field="scopes") for s in sorted(scopes) if not SCOPE_RE.match(s)
    )
    if problems:
        raise InvalidInput(problems)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(Problem(f"at least {MIN_PASSWORD} characters", field="password"))


def check_token(*, role: Role, scopes: frozenset[str]) -> None:
    problems: list[Problem] = []
    if role not in PARTNER_ROLES:
        problems.append(
            Problem("API tokens are for partner systems (bank, provider, department feed)", field="role")
        )
    if not scopes:
        problems.append(Problem("a token needs at least one scope", field="scopes"))
    problems.extend(
        Problem(f"bad scope {s!r}", field="scopes") for s in sorted(scopes) if not SCOPE_RE.match(s)
    )
    if role == Role.DEPARTMENT_FEED:
        problems.extend(
            Problem(f"a department feed token only pushes its interface, not {s!r}", field="scopes")
            for s in sorted(scopes)
            if not s.startswith("feeds:push:")
        )
    if problems:
        raise InvalidInput(problems)


# -- throttling -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throttle:
    """At most ``limit`` failures per ``window``; then locked until the window has passed."""

    limit: int
    window: timedelta

    def locked_until(self, failures: list[datetime], now: datetime) -> datetime | None:
        recent = sorted(t for t in failures if now - t < self.window)
        if len(recent) < self.limit:
            return None
        return recent[-self.limit] + self.window


STAFF_LOGIN = Throttle(limit=5, window=timedelta(minutes=15))
"""Five wrong passwords for a username in 15 minutes lock it for the rest of the window."""
CLIENT_LOGIN = Throttle(limit=30, window=timedelta(minutes=15))
"""Thirty failures from one client address in 15 minutes (trying many usernames) lock that address."""
OTP_REQUESTS = Throttle(limit=5, window=timedelta(hours=1))
"""Five codes per phone per hour."""
OTP_RESEND_GAP = timedelta(seconds=60)
OTP_LIFETIME = timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5
OTP_DIGITS = 6

STAFF_SESSION = timedelta(hours=12)
RESIDENT_SESSION = timedelta(days=7)

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_phone(phone: str) -> str:
    """A mainland mobile number as 11 digits (spaces, dashes and a +86/0086 prefix removed)."""
    digits = re.sub(r"[\s-]", "", phone or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    if not PHONE_RE.match(digits):
        raise InvalidInput(Problem("not a mainland mobile number", field="phone"))
    return digits
