"""Policy use cases: apply a new version, read the active one or any old one, list and diff versions.

Every ledger entry records the policy version that produced it, so every version is kept whole and
``get`` works for any of them. Parsed policies are cached per (version, hash) in ``uow.deps.cache``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from moralbank.db.uow import UnitOfWork
from moralbank.errors import Conflict, InvalidInput, NotFound
from moralbank.policy import domain, repository
from moralbank.policy import source as policy_source
from moralbank.policy.domain import Change, Policy
from moralbank.policy.models import PolicyVersion

DEFAULT_FILE = Path(__file__).with_name("default_policy.yaml")
DEFAULT_AUTHOR = "system"


def default_text() -> str:
    """The default policy shipped with moralbank (modelled on Yuyao)."""
    return DEFAULT_FILE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class VersionInfo:
    version: int
    sha256: str
    author: str
    created_at: datetime
    note: str | None
    active: bool = False


@dataclass(frozen=True)
class Applied:
    """What ``apply`` did: ``created`` is False when the text equals the active version."""

    version: VersionInfo
    created: bool
    message: str


def _info(row: PolicyVersion, active_version: int | None) -> VersionInfo:
    return VersionInfo(
        row.version, row.sha256, row.author, row.created_at, row.note, row.version == active_version
    )


def _cache_key(version: int, sha256: str) -> str:
    return f"policy:{version}:{sha256}"


def _parsed(uow: UnitOfWork, row: PolicyVersion) -> Policy:
    key = _cache_key(row.version, row.sha256)
    policy = uow.deps.cache.get(key)
    if policy is None:
        policy = policy_source.load(row.source, f"policy version {row.version}", version=row.version)
        uow.deps.cache[key] = policy
    return policy


def _by_key(uow: UnitOfWork, key: tuple[int, str] | None) -> Policy | None:
    """The cached policy for (version, sha256), reading the text only on a cache miss."""
    if key is None:
        return None
    policy = uow.deps.cache.get(_cache_key(*key))
    if policy is not None:
        return policy
    row = repository.get(uow.db, key[0])
    return _parsed(uow, row) if row is not None else None


def active(uow: UnitOfWork) -> Policy:
    """The policy in force: the newest applied version.

    On a database where no policy was ever applied, the shipped default is installed as version 1
    (flushed into this unit of work; committed when the caller commits).
    """
    policy = _by_key(uow, repository.latest_key(uow.db))
    if policy is None:
        policy = _parsed(uow, _install_default(uow))
    return policy


def ensure_installed(uow: UnitOfWork) -> Policy:
    """Like ``active``; for set-up steps that commit afterwards so version 1 is stored for good."""
    return active(uow)


def _install_default(uow: UnitOfWork) -> PolicyVersion:
    text = default_text()
    row = PolicyVersion(
        version=1,
        sha256=policy_source.sha256_of(text),
        author=DEFAULT_AUTHOR,
        created_at=uow.clock.now(),
        source=text,
        note="default policy shipped with moralbank",
    )
    try:
        with uow.db.begin_nested():
            repository.add(uow.db, row)
    except IntegrityError:  # another process installed it first
        existing = repository.latest(uow.db)
        if existing is None:
            raise
        return existing
    return row


def get(uow: UnitOfWork, *, version: int) -> Policy:
    """Any version ever applied (ledger entries name theirs)."""
    policy = _by_key(uow, repository.key_of(uow.db, version))
    if policy is None:
        raise NotFound(f"policy version {version}")
    return policy


def source(uow: UnitOfWork, *, version: int | None = None) -> str:
    """The text of a version as it was applied (the active one when ``version`` is None)."""
    row = repository.get(uow.db, version) if version is not None else repository.latest(uow.db)
    if row is None:
        if version is None:
            return _install_default(uow).source
        raise NotFound(f"policy version {version}")
    return row.source


def info(uow: UnitOfWork, *, version: int) -> VersionInfo:
    row = repository.get(uow.db, version)
    if row is None:
        raise NotFound(f"policy version {version}")
    return _info(row, repository.latest_number(uow.db))


def list_versions(uow: UnitOfWork) -> list[VersionInfo]:
    """Every version, oldest first; the newest is the active one."""
    rows = repository.list_all(uow.db)
    newest = rows[-1].version if rows else None
    return [_info(r, newest) for r in rows]


def check(text: str, *, filename: str | None = None) -> list[domain.Problem]:
    """Every problem in a policy text (see ``policy.source.validate``)."""
    return policy_source.validate(text, filename)


def apply(
    uow: UnitOfWork, *, text: str, author: str, note: str | None = None, filename: str | None = None
) -> Applied:
    """Validate ``text`` and store it as the next version, unless it equals the active version.

    Raises ``InvalidInput`` with every problem (line and field) when the text is not a valid policy.
    """
    if not author.strip():
        raise InvalidInput(domain.Problem("an author is required", field="author"))
    problems = policy_source.validate(text, filename)
    if problems:
        raise InvalidInput(problems)
    digest = policy_source.sha256_of(text)
    current = repository.latest(uow.db)
    if current is not None and current.sha256 == digest:
        return Applied(
            _info(current, current.version),
            False,
            f"unchanged: the text equals the active version {current.version}; no new version",
        )
    number = (current.version if current else 0) + 1
    row = PolicyVersion(
        version=number,
        sha256=digest,
        author=author.strip(),
        created_at=uow.clock.now(),
        source=text,
        note=note,
    )
    try:
        with uow.db.begin_nested():
            repository.add(uow.db, row)
    except IntegrityError:
        raise Conflict(f"policy version {number} was applied by someone else meanwhile; try again") from None
    return Applied(_info(row, number), True, f"applied as version {number}")


def diff(uow: UnitOfWork, *, old: int, new: int) -> list[Change]:
    """Indicator-level (and section-level) changes from version ``old`` to version ``new``."""
    return domain.diff(get(uow, version=old), get(uow, version=new))
