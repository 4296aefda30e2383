"""The policy's `calendar:` section: the holiday schedule of years the working-day package does not know."""

from __future__ import annotations

import json
from datetime import date

from moralbank.policy import domain, source
from moralbank.policy.service import default_text

DEFAULT = default_text()
EMPTY = "calendar:\n  holidays: []\n  workdays: []\n"


def with_calendar(holidays: str, workdays: str) -> str:
    assert EMPTY in DEFAULT
    return DEFAULT.replace(EMPTY, f"calendar:\n  holidays: {holidays}\n  workdays: {workdays}\n")


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_default_ships_an_empty_schedule() -> None:
    cal = source.load(DEFAULT).calendar
    assert cal == domain.WorkCalendar() and cal.years() == frozenset()


def test_days_plain_or_quoted_are_read_as_dates() -> None:
    p = source.load(with_calendar('[2027-01-01, "2027-02-05"]', "[2027-02-06]"))
    assert p.calendar.holidays == {date(2027, 1, 1), date(2027, 2, 5)}
    assert p.calendar.workdays == {date(2027, 2, 6)}
    assert p.calendar.years() == {2027}
    assert p.calendar.says(date(2027, 2, 5)) is False and p.calendar.says(date(2027, 2, 6)) is True
    assert p.calendar.says(date(2027, 2, 4)) is None  # not listed: the package or Monday-Friday decides


def test_every_mistake_is_named_with_its_line_and_field() -> None:
    text = with_calendar(
        "[2027-01-01, 2027-13-01, 20270101, 2027-01-01]", "[2027-02-08, 2027-01-02, 2027-01-02]"
    )
    found = {(p.line, p.field, p.reason) for p in source.validate(text, "city.yaml")}
    hl, wl = line_of(text, "  holidays: [2027"), line_of(text, "  workdays: [2027")
    assert found == {
        (hl, "calendar.holidays", "must be a date written YYYY-MM-DD (got '2027-13-01')"),
        (hl, "calendar.holidays", "must be a date written YYYY-MM-DD (got '20270101')"),
        (hl, "calendar.holidays", "2027-01-01 is listed twice"),
        (
            wl,
            "calendar.workdays",
            "2027-02-08 is a weekday: make-up working days are the Saturdays and Sundays worked",
        ),
        (wl, "calendar.workdays", "2027-01-02 is listed twice"),
    }


def test_a_day_cannot_be_both_off_and_worked() -> None:
    text = with_calendar("[2027-02-06]", "[2027-02-06]")
    [p] = source.validate(text, "city.yaml")
    assert (p.field, p.reason) == ("calendar.workdays", "2027-02-06 is listed as a holiday too")


def test_unknown_keys_are_refused() -> None:
    text = DEFAULT.replace(EMPTY, "calendar:\n  holiday: [2027-01-01]\n")
    [p] = source.validate(text, "city.yaml")
    assert p.field == "calendar.holiday" and "unknown key" in p.reason


def test_a_schedule_change_shows_in_the_diff_and_as_json() -> None:
    old, new = source.load(DEFAULT), source.load(with_calendar("[2027-01-01]", "[]"))
    [change] = domain.diff(old, new)
    assert (change.kind, change.what, change.code) == ("changed", "section", "calendar")
    assert change.fields == (("holidays", [], ["2027-01-01"]),)
    as_json = json.loads(json.dumps(domain.as_dict(new)))
    assert as_json["calendar"] == {"holidays": ["2027-01-01"], "workdays": []}
