"""The Chinese working-day calendar (public holidays and make-up working days) from chinese_calendar.

chinese_calendar knows the State Council's schedule only for the years it ships (2004–2026 in 1.11);
beyond that we fall back to Monday–Friday and log it once, so a deadline is never lost, only
approximate until the package is upgraded.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import lru_cache

import chinese_calendar

from moralbank.evaluation.domain import weekdays_only

log = logging.getLogger("moralbank.evaluation")
_warned: set[int] = set()


@lru_cache(maxsize=4096)
def is_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:
        if d.year not in _warned:
            _warned.add(d.year)
            log.warning("chinese_calendar has no schedule for %s; counting Monday-Friday", d.year)
        return weekdays_only(d)
