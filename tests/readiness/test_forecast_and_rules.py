"""The forecast (pure) and the readiness rule and status (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.readiness.forecast import (
    CLOSED,
    DEADLINE_PACE,
    SUM,
    TOO_EARLY,
    DayCount,
    Projection,
    add_up,
    is_too_early,
    project,
    slope,
)
from app.readiness.rules import Rule, Status, classify

TODAY = date(2027, 2, 15)
DUE = date(2027, 3, 1)  # 14 days left
START = date(2027, 2, 1)  # 14 days since the assignment: half-way


def history(*ready, assigned=20):
    """Snapshots of the days before today, oldest first."""
    n = len(ready)
    return [DayCount(TODAY - timedelta(days=n - i), r, assigned) for i, r in enumerate(ready)]


def test_a_steady_unit_is_forecast_to_keep_going_within_bounds():
    # One more person ready every day for two weeks.
    projection = project(
        history(*range(0, 14), assigned=30),
        today=TODAY,
        due_day=DUE,
        start_day=START,
        ready=14,
        assigned=30,
    )
    assert projection.method == DEADLINE_PACE and projection.is_known
    assert 20 < projection.ready <= 30
    assert 14 <= projection.low <= projection.ready <= projection.high <= 30


def test_a_stalled_unit_stays_where_it_is():
    projection = project(
        history(2, 4, 6, 6, 6, 6, 6, 6, 6, 6),
        today=TODAY,
        due_day=DUE,
        start_day=START,
        ready=6,
        assigned=20,
    )
    assert projection.ready == pytest.approx(6)


def test_the_forecast_is_never_below_today_nor_above_the_people_assigned():
    up = project(
        history(*range(0, 20, 2)), today=TODAY, due_day=DUE, start_day=START, ready=20, assigned=20
    )
    assert up.ready == 20 and up.high == 20
    down = project(
        history(9, 9, 9, 9, 8, 7, 6, 5, 4, 3),
        today=TODAY,
        due_day=DUE,
        start_day=START,
        ready=3,
        assigned=25,
    )
    assert 3 <= down.ready <= 25 and down.low >= 3


def test_too_early_on_launch_day_and_with_few_days_of_figures():
    launch = project([], today=START, due_day=DUE, start_day=START, ready=0, assigned=20)
    assert launch.method == TOO_EARLY and not launch.is_known
    assert launch.ready == 0 and launch.low is None
    few = project(history(0, 1, 2), today=TODAY, due_day=DUE, start_day=START, ready=3, assigned=20)
    assert few.method == TOO_EARLY  # 4 days of figures, fewer than 7


def test_too_early_rule():
    # 8 days of figures, but only 10 of 40 days (25 %) have passed: too early.
    start = TODAY - timedelta(days=10)
    due = start + timedelta(days=40)
    assert is_too_early(data_days=8, today=TODAY, start_day=start, due_day=due)
    # Half-way (20 of 40 days) with 8 days of figures: a forecast.
    start = TODAY - timedelta(days=20)
    due = start + timedelta(days=40)
    assert not is_too_early(data_days=8, today=TODAY, start_day=start, due_day=due)
    # Half-way with only 6 days of figures (the scheduler missed days): too early.
    assert is_too_early(data_days=6, today=TODAY, start_day=start, due_day=due)


def test_old_snapshots_before_the_start_do_not_count_as_figures():
    old = [DayCount(START - timedelta(days=30 + i), 0, 20) for i in range(10)]
    projection = project(old, today=TODAY, due_day=DUE, start_day=START, ready=7, assigned=20)
    assert projection.method == TOO_EARLY


def test_closed_after_the_due_date():
    after = project([], today=DUE, due_day=DUE, start_day=START, ready=5, assigned=20)
    assert after.method == CLOSED and after.days_left == 0 and after.ready == 5


def test_add_up_sums_ready_and_assigned_and_widens_the_range_by_root_sum_square():
    a = Projection(DEADLINE_PACE, 8.0, 10, 0.1, 14, 6.0, 10.0)
    b = Projection(DEADLINE_PACE, 15.0, 20, 0.1, 14, 12.0, 19.0)
    total = add_up([a, b], days_left=14)
    assert total.method == SUM and total.assigned == 30 and total.ready == pytest.approx(23)
    assert total.low == pytest.approx(23 - (2**2 + 3**2) ** 0.5)
    assert total.high == pytest.approx(23 + (2**2 + 4**2) ** 0.5)
    early = Projection(TOO_EARLY, 1.0, 10, 0.0, 14)
    assert not add_up([a, early], days_left=14).is_known


def test_slope():
    assert slope([(0, 1), (1, 3), (2, 5)]) == pytest.approx(2)
    assert slope([(1, 1)]) == 0
    assert slope([(1, 1), (1, 5)]) == 0


@pytest.mark.parametrize(
    ("rule", "ready", "assigned", "short", "expected"),
    [
        (Rule(80, None), 8, 10, 0, True),
        (Rule(80, None), 7.99, 10, 0, False),
        (Rule(80, None), 0, 0, 0, False),
        (Rule(None, 2), 2, 50, 0, True),
        (Rule(None, 2), 2, 50, 1, False),
        (Rule(50, 2), 5, 10, 0, True),
        (Rule(None, None), 9, 10, 0, False),
        (Rule(None, None), 10, 10, 0, True),
    ],
)
def test_rule(rule, ready, assigned, short, expected):
    assert rule.met(ready, assigned, short) is expected


def test_minimum():
    assert Rule(None, 2).meets_minimum(2) and not Rule(None, 2).meets_minimum(1)
    assert Rule(80, None).meets_minimum(0)


@pytest.mark.parametrize(
    ("assigned", "met", "will", "days", "status"),
    [
        (0, False, False, 5, Status.NO_ONE),
        (5, True, False, 5, Status.READY),
        (5, True, False, -1, Status.READY),
        (5, False, True, 5, Status.ON_TRACK),
        (5, False, False, 5, Status.AT_RISK),
        (5, False, True, 0, Status.NOT_READY),
        (5, False, False, -3, Status.NOT_READY),
    ],
)
def test_classify(assigned, met, will, days, status):
    assert classify(assigned=assigned, is_met=met, will_meet=will, days_left=days) == status


@pytest.mark.parametrize(
    ("known", "will", "below", "status"),
    [
        (False, False, [], Status.TOO_EARLY),
        (True, True, [Status.ON_TRACK, Status.AT_RISK], Status.AT_RISK),
        (True, True, [Status.ON_TRACK, Status.READY], Status.ON_TRACK),
        (True, True, [Status.ON_TRACK, Status.TOO_EARLY], Status.TOO_EARLY),
        (False, False, [Status.TOO_EARLY, Status.AT_RISK], Status.AT_RISK),
        (True, False, [Status.READY, Status.READY], Status.AT_RISK),
    ],
)
def test_a_region_never_contradicts_the_units_below_it(known, will, below, status):
    result = classify(
        assigned=10, is_met=False, will_meet=will, days_left=5, is_known=known, below=below
    )
    assert result == status


def test_a_region_that_meets_the_rule_today_is_ready():
    result = classify(assigned=10, is_met=True, will_meet=True, days_left=5, below=[Status.AT_RISK])
    assert result == Status.READY
