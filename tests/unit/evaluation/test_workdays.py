"""Deadlines across Chinese holiday weeks and their make-up working days (chinese_calendar 1.11)."""

from datetime import date

from moralbank.evaluation import domain as d
from moralbank.evaluation import workdays
from moralbank.evaluation.workdays import for_calendar, is_workday
from moralbank.policy.domain import WorkCalendar


def test_national_day_2026_week_and_make_up_saturday():
    # Oct 1-7 are holidays; Sat Oct 10 is a make-up working day; Sun Sep 20 too.
    assert not is_workday(date(2026, 10, 5)) and is_workday(date(2026, 10, 10))
    assert is_workday(date(2026, 9, 20))
    # An objection on Wed Sep 30: marked disputed within 1 working day = Thu Oct 8 (after the holiday).
    assert d.add_working_days(date(2026, 9, 30), 1, is_workday) == date(2026, 10, 8)
    # Decision within 5 working days: Oct 8, 9, 10 (make-up Saturday), 12, 13.
    assert d.add_working_days(date(2026, 9, 30), 5, is_workday) == date(2026, 10, 13)
    # The same count on a plain weekday calendar would land a week earlier.
    assert d.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 7)


def test_spring_festival_2026():
    # Sat Feb 14 is a make-up working day, Feb 15-23 the holiday, Sat Feb 28 a make-up day.
    assert d.add_working_days(date(2026, 2, 13), 1, is_workday) == date(2026, 2, 14)
    assert d.add_working_days(date(2026, 2, 14), 1, is_workday) == date(2026, 2, 24)
    assert d.add_working_days(date(2026, 2, 24), 4, is_workday) == date(2026, 2, 28)
    assert d.working_days_between(date(2026, 2, 13), date(2026, 2, 24), is_workday) == 2


def test_years_beyond_the_package_fall_back_to_weekdays():
    assert is_workday(date(2027, 1, 4)) and not is_workday(date(2027, 1, 9))


def test_the_policy_schedule_answers_first_then_the_package_then_weekdays():
    cal = WorkCalendar(
        holidays=frozenset({date(2027, 2, 8), date(2026, 10, 12)}), workdays=frozenset({date(2027, 2, 6)})
    )
    workday = for_calendar(cal)
    assert not workday(date(2027, 2, 8)) and is_workday(date(2027, 2, 8))  # a Monday off by the policy
    assert workday(date(2027, 2, 6)) and not is_workday(date(2027, 2, 6))  # a make-up Saturday
    assert workday(date(2027, 2, 9)) and not workday(date(2027, 2, 7))  # not listed: Monday-Friday
    assert not workday(date(2026, 10, 12))  # a correction to a year the package knows
    assert not workday(date(2026, 10, 5)) and workday(date(2026, 10, 10))  # otherwise the package's
    # One working day from Fri Feb 5 is the make-up Saturday, from Sun Feb 7 the Tuesday after the Monday
    # off; without the schedule both would be Mon Feb 8.
    assert d.add_working_days(date(2027, 2, 5), 1, workday) == date(2027, 2, 6)
    assert d.add_working_days(date(2027, 2, 7), 1, workday) == date(2027, 2, 9)
    assert d.add_working_days(date(2027, 2, 5), 1, is_workday) == date(2027, 2, 8)
    assert d.add_working_days(date(2027, 2, 7), 1, is_workday) == date(2027, 2, 8)


def test_an_empty_schedule_is_the_package_itself():
    assert for_calendar(WorkCalendar()) is is_workday


def test_source_of_each_year():
    cal = WorkCalendar(holidays=frozenset({date(2027, 1, 1)}))
    assert workdays.source_of(cal, 2026) == workdays.PACKAGE
    assert workdays.source_of(cal, 2027) == workdays.POLICY
    assert workdays.source_of(cal, 2028) == workdays.WEEKDAYS
