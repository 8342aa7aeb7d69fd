"""The forecast (pure) and the readiness rule and status (pure)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.readiness.forecast import CLOSED, FLAT, RATE, TREND, DayCount, project, slope
from app.readiness.rules import Rule, Status, classify

TODAY = date(2027, 2, 15)
DUE = date(2027, 3, 1)  # 14 days left
START = date(2027, 2, 1)


def history(*ready, assigned=20):
    """Snapshots of the days before today, oldest first."""
    n = len(ready)
    return [DayCount(TODAY - timedelta(days=n - i), r, assigned) for i, r in enumerate(ready)]


def test_linear_trend_over_the_last_fourteen_days():
    # One more person ready every day: 14 days left → 14 more.
    projection = project(
        history(2, 3, 4, 5), today=TODAY, due_day=DUE, start_day=START, ready=6, assigned=30
    )
    assert projection.method == TREND
    assert projection.per_day == pytest.approx(1.0)
    assert projection.ready == pytest.approx(20.0)
    assert projection.share == pytest.approx(20 / 30)


def test_projection_is_capped_at_the_people_assigned_and_at_zero():
    up = project(
        history(0, 10, 20), today=TODAY, due_day=DUE, start_day=START, ready=20, assigned=25
    )
    assert up.ready == 25
    down = project(
        history(9, 6, 3), today=TODAY, due_day=DUE, start_day=START, ready=0, assigned=25
    )
    assert down.ready == 0


def test_old_snapshots_are_ignored():
    old = [DayCount(TODAY - timedelta(days=30 + i), 0, 20) for i in range(5)]
    projection = project(old, today=TODAY, due_day=DUE, start_day=START, ready=7, assigned=20)
    assert projection.method == RATE  # nothing in the window: the average since the start


def test_rate_since_assignment_with_little_history():
    projection = project([], today=TODAY, due_day=DUE, start_day=START, ready=7, assigned=20)
    assert projection.method == RATE
    assert projection.per_day == pytest.approx(0.5)  # 7 people in 14 days
    assert projection.ready == pytest.approx(14.0)


def test_flat_on_the_first_day_and_closed_after_the_due_date():
    first = project([], today=START, due_day=DUE, start_day=START, ready=0, assigned=20)
    assert first.method == FLAT and first.ready == 0
    after = project([], today=DUE, due_day=DUE, start_day=START, ready=5, assigned=20)
    assert after.method == CLOSED and after.days_left == 0 and after.ready == 5


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
