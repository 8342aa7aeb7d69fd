"""The calendar rules (pure): local days, fair due dates, reminder steps and catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.campaigns.schedule_rules import (
    add_years,
    late_joiner_due,
    latest_step,
    parse_reminder_days,
    steps_for,
)
from app.timekeeping.days import day_end, day_start, zone

TZ = zone("Europe/Zurich")
DUE = day_end(date(2027, 3, 1), TZ)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_a_due_date_means_the_end_of_that_local_day():
    assert utc("2027-03-01T22:59:59") == DUE
    assert day_start(date(2027, 7, 1), TZ) == utc("2027-06-30T22:00")  # summer time


def test_late_joiners_get_the_later_of_the_due_date_and_join_plus_n_days():
    assert late_joiner_due(DUE, utc("2027-02-01T10:00"), 14, TZ) == DUE
    assert late_joiner_due(DUE, utc("2027-03-05T10:00"), 14, TZ) == day_end(date(2027, 3, 19), TZ)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2027-02-07T12:00", None),
        ("2027-02-07T23:00", "before:21:2027-03-01"),  # 8 Feb has begun in Zurich
        ("2027-02-21T23:30", "before:7:2027-03-01"),
        ("2027-02-28T08:00", "before:2:2027-03-01"),  # after downtime: only the latest step
        ("2027-03-01T22:00", "before:2:2027-03-01"),  # still the due day
        ("2027-03-02T08:00", "overdue:1:2027-03-01"),
        ("2027-03-08T08:00", "overdue:1:2027-03-01"),
        ("2027-03-09T08:00", "overdue:2:2027-03-01"),
        ("2027-04-30T08:00", "overdue:9:2027-03-01"),
    ],
)
def test_the_latest_step_that_has_come(now, expected):
    step = latest_step(DUE, [21, 7, 2], weekly_overdue=True, now=utc(now), tz=TZ)
    assert (step.key if step else None) == expected


def test_no_weekly_steps_when_switched_off():
    step = latest_step(DUE, [21, 7, 2], weekly_overdue=False, now=utc("2027-04-30T08:00"), tz=TZ)
    assert step.key == "before:2:2027-03-01"


def test_steps_are_in_firing_order():
    steps = steps_for(DUE, [2, 21, 7, 7], weekly_overdue=True, until=utc("2027-03-10T00:00"), tz=TZ)
    assert [s.key.split(":")[0] + ":" + s.key.split(":")[1] for s in steps] == [
        "before:21",
        "before:7",
        "before:2",
        "overdue:1",
        "overdue:2",
    ]


def test_reminder_days_are_read_leniently_and_checked():
    assert parse_reminder_days("21, 7,2") == [21, 7, 2]
    assert parse_reminder_days("2;7;7") == [7, 2]
    assert parse_reminder_days("") == []
    for bad in ("seven", "0", "400", "-1"):
        with pytest.raises(ValueError):
            parse_reminder_days(bad)


def test_next_year_keeps_the_local_calendar_day():
    assert add_years(utc("2027-01-31T23:00"), 1, TZ) == utc("2028-01-31T23:00")
    assert add_years(day_end(date(2028, 2, 29), TZ), 1, TZ) == day_end(date(2029, 2, 28), TZ)
    # 1 March 2027 ends at 22:59:59 UTC (winter); so does 1 March 2028.
    assert add_years(DUE, 1, TZ) == utc("2028-03-01T22:59:59")
