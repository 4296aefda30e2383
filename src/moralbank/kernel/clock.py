"""Time, injected so tests are deterministic.

All times are timezone-aware UTC; calendar dates are local (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock tests move by hand."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **kwargs: float) -> None:
        self._at = self._at + timedelta(**kwargs)


def local_date(at: datetime) -> date:
    """The calendar date in China for an instant."""
    return at.astimezone(CHINA).date()


def as_utc(at: datetime) -> datetime:
    """Aware UTC for values SQLite returns naive."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
