"""Residents, households and consent: the pure rules. Stdlib only.

* Enrolment is opt-in: it needs the version of the consent text the resident agreed to. Below the
  policy's minimum age nobody enrols; under 14 (PIPL Art. 31) a guardian's consent is recorded.
* Consent is given per data interface (a department feed) and per purpose (e.g. sharing a score
  with a bank). Consent records are appended, never changed: the current state of a subject is the
  newest record for it, and the whole history stays readable.
* A correction request is open until staff accept or reject it.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass
from datetime import date, datetime

from moralbank.errors import Conflict, InvalidInput, Problem

GUARDIAN_AGE = 14
"""Under this age a guardian consents for the resident (PIPL Art. 31)."""
DEFAULT_MIN_AGE = 0
"""The minimum enrolment age when the policy names none."""

ENROLLED = "enrolled"
WITHDRAWN = "withdrawn"

INTERFACE = "interface"
PURPOSE = "purpose"
CONSENT_KINDS = (INTERFACE, PURPOSE)

# Purposes a resident can consent to, with zh/en names. Data interfaces come from the feeds
# capability (their YAML files); DEFAULT_INTERFACES (the 18 shipped with it) is the fallback when the
# feeds capability is not installed.
PURPOSES: dict[str, tuple[str, str]] = {
    "bank_credit": (
        "向合作银行提供道德积分用于道德贷授信",
        "Share my score with partner banks for moral loans",
    ),
    "courtesy": ("向礼遇服务提供方出示绿码等级", "Show my green-code tier to courtesy providers"),
    "public_credit": (
        "与市公共信用平台共享积分记录",
        "Share my records with the city's public credit platform",
    ),
    "honour_roll": ("在村（社区）公示榜上公示我的善行", "Show my good deeds on the village honour roll"),
}
DEFAULT_INTERFACES: dict[str, tuple[str, str]] = {
    "agriculture": ("农业农村", "Agriculture and rural affairs"),
    "bank_repayment": ("银行还款记录", "Bank repayment records"),
    "blood_donation": ("无偿献血", "Blood donation"),
    "civil_affairs_honour": ("民政表彰", "Civil affairs honours"),
    "court_enforcement": ("法院失信被执行人", "Court enforcement (dishonest judgment debtors)"),
    "culture_tourism": ("文明旅游与文化志愿", "Culture and tourism"),
    "education": ("教育", "Education"),
    "environment": ("生态环境与垃圾分类", "Environment and waste sorting"),
    "healthcare": ("医保诚信", "Healthcare insurance integrity"),
    "market_supervision": ("市场监管荣誉与处罚", "Market supervision honours and penalties"),
    "public_security_commendation": ("公安见义勇为与表彰", "Public security commendations"),
    "rent": ("公租房租金", "Public housing rent"),
    "social_security": ("社会保险缴费", "Social security contributions"),
    "tax_credit": ("纳税信用等级", "Tax credit grades"),
    "transport": ("交通文明出行", "Transport conduct"),
    "utilities_payment": ("水电燃气缴费", "Utilities payments"),
    "veterans_affairs": ("退役军人事务", "Veterans' affairs"),
    "volunteer_hours": ("志愿服务时长", "Volunteer service hours"),
}
SUBJECT_RE = re.compile(r"^[a-z][a-z0-9_.-]{1,63}$")

CORRECTABLE = ("name", "phone", "household", "other")
"""Fields a correction request may name; ``other`` is free text that staff handle by hand."""
OPEN, ACCEPTED, REJECTED = "open", "accepted", "rejected"

NAME_MAX = 50

HASH_BYTES = 16
"""Keyed hashes (HMAC-SHA256) are kept to their first 128 bits: ample for finding and for uniqueness
(a chance collision among a billion residents is about 10^-21), and half the index of a full digest,
which is most of the cost of enrolling 600,000 residents."""


# -- ages and enrolment ---------------------------------------------------------------------------


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Guardian:
    name: str
    id_number: str | None = None
    relation: str = ""


def check_enrolment(
    *,
    name: str,
    birth: date,
    today: date,
    min_age: int,
    consent_text_version: str,
    guardian: Guardian | None,
    guardian_below: int = GUARDIAN_AGE,
    row: int | None = None,
) -> list[Problem]:
    """Everything wrong with enrolling this person today (empty: fine).

    ``guardian_below`` comes from the policy; it can raise the guardian age, never lower it below 14.
    """
    guardian_below = max(guardian_below, GUARDIAN_AGE)
    problems: list[Problem] = []
    if not name or not name.strip():
        problems.append(Problem("a name is required", field="name", row=row))
    elif len(name.strip()) > NAME_MAX:
        problems.append(Problem(f"name longer than {NAME_MAX} characters", field="name", row=row))
    if not consent_text_version or not consent_text_version.strip():
        problems.append(
            Problem(
                "enrolment is opt-in: the consent text version the resident agreed to is required",
                field="consent_text_version",
                row=row,
            )
        )
    if birth > today:
        problems.append(Problem("birth date in the future", field="id_number", row=row))
        return problems
    age = age_on(birth, today)
    if age < min_age:
        problems.append(
            Problem(f"aged {age}: the policy enrols residents from age {min_age}", field="id_number", row=row)
        )
    elif age < guardian_below and (guardian is None or not guardian.name.strip()):
        problems.append(
            Problem(
                f"aged {age}: under {guardian_below} a guardian's consent is required (guardian name)",
                field="guardian_name",
                row=row,
            )
        )
    return problems


# -- consent --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentRecord:
    kind: str
    subject: str
    granted: bool
    at: datetime
    seq: int = 0


def check_subject(kind: str, subject: str) -> None:
    if kind not in CONSENT_KINDS:
        raise InvalidInput(
            Problem(f"consent is per {' or '.join(CONSENT_KINDS)}, not {kind!r}", field="kind")
        )
    if not SUBJECT_RE.match(subject or ""):
        raise InvalidInput(Problem(f"not a {kind} code: {subject!r}", field=kind))


def current_consents(records: list[ConsentRecord]) -> dict[tuple[str, str], bool]:
    """(kind, subject) → granted, from the newest record of each subject."""
    state: dict[tuple[str, str], tuple[tuple[datetime, int], bool]] = {}
    for r in records:
        key = (r.kind, r.subject)
        order = (r.at, r.seq)
        if key not in state or order >= state[key][0]:
            state[key] = (order, r.granted)
    return {k: v for k, (_, v) in state.items()}


def consent_given(records: list[ConsentRecord], *, interface: str | None, purpose: str | None) -> bool:
    """Whether the newest records grant every subject asked about."""
    state = current_consents(records)
    wanted = [(INTERFACE, interface)] if interface else []
    wanted += [(PURPOSE, purpose)] if purpose else []
    return all(state.get(w, False) for w in wanted)  # type: ignore[arg-type]


# -- corrections ----------------------------------------------------------------------------------


def check_correction(field: str, value: str, reason: str) -> None:
    problems = []
    if field not in CORRECTABLE:
        problems.append(Problem(f"a correction names one of {', '.join(CORRECTABLE)}", field="field"))
    if not (value or "").strip():
        problems.append(Problem("say what the correct value is", field="value"))
    if len(value or "") > 500 or len(reason or "") > 2000:
        problems.append(Problem("too long", field="value"))
    if problems:
        raise InvalidInput(problems)


def decide_correction(status: str, *, accept: bool) -> str:
    if status != OPEN:
        raise Conflict(f"this request was already {status}")
    return ACCEPTED if accept else REJECTED


# -- pseudonymous ids -----------------------------------------------------------------------------

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TO_CROCKFORD = str.maketrans(_B32, _CROCKFORD)


def pseudonyms(n: int, *, prefix: str = "R", rng: random.Random | None = None) -> list[str]:
    """``n`` ids like ``R7K3Q9X2M4P0A`` (12 Crockford base32 characters, 60 random bits).

    Made in one pass over one block of random bytes: enrolling 600,000 residents must not spend
    seconds on ids. With ``rng`` the ids are reproducible (the demo city).
    """
    if n <= 0:
        return []
    import os

    raw = rng.randbytes(10 * n) if rng is not None else os.urandom(10 * n)
    text = base64.b32encode(raw).decode().translate(_TO_CROCKFORD)
    return [prefix + text[i : i + 12] for i in range(0, 16 * n, 16)]


def mask_name(name: str) -> str:
    """张三丰 → 张** (what lists show to those who may not see the full name)."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""
