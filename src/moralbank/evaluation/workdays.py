"""The Chinese working-day calendar: public holidays and make-up working days (调休).

Three sources; the first that knows a day answers:

1. the active policy's ``calendar`` section: the holidays and make-up working days the programme office
   enters when the State Council publishes a year's schedule (each November), so a new year never
   waits for a package upgrade;
2. the chinese_calendar package, for the years it ships (2004–2026 in 1.11);
3. Monday to Friday, logged once per year, so a deadline is never lost, only approximate.

``moralbank policy check`` says which source covers this year and the next.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache

import chinese_calendar

from moralbank.evaluation.domain import IsWorkday, weekdays_only
from moralbank.policy.domain import WorkCalendar

log = logging.getLogger("moralbank.evaluation")
_warned: set[int] = set()

POLICY, PACKAGE, WEEKDAYS = "policy", "chinese_calendar", "weekdays"


@lru_cache(maxsize=64)
def package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=4096)
def is_workday(d: date) -> bool:
    """By the package, or Monday to Friday for a year it does not know (no policy schedule)."""
    if package_knows(d.year):
        return chinese_calendar.is_workday(d)
    if d.year not in _warned:
        _warned.add(d.year)
        log.warning("no holiday schedule for %s (policy or chinese_calendar): counting Monday-Friday", d.year)
    return weekdays_only(d)


def for_calendar(calendar: WorkCalendar) -> IsWorkday:
    """``is_workday`` with the policy's schedule first."""
    if not calendar.holidays and not calendar.workdays:
        return is_workday

    def workday(d: date) -> bool:
        said = calendar.says(d)
        return is_workday(d) if said is None else said

    return workday


def source_of(calendar: WorkCalendar, year: int) -> str:
    """Which source answers for ``year``: the policy's schedule, the package, or Monday to Friday."""
    if year in calendar.years():
        return POLICY
    return PACKAGE if package_knows(year) else WEEKDAYS
