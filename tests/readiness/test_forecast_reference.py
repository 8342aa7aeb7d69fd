"""The reference-class forecast: earlier campaigns' curves tell how a branch will end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.readiness.forecast import DEADLINE_PACE, REFERENCE_CLASS, DayCount, project
from app.readiness.forecast_reference import (
    GRID_STEPS,
    MIN_REFERENCES,
    ReferenceCurve,
    reference_curve,
)

START = date(2027, 3, 1)
DUE = START + timedelta(days=40)


def curve(shape, *, people=20, unit_id=None) -> ReferenceCurve:
    """A reference curve from a function of the fraction of time."""
    return ReferenceCurve(unit_id, people, tuple(shape(s / GRID_STEPS) for s in range(41)))


def history(shape, people: int, until: int) -> list[DayCount]:
    """Daily snapshots of a branch whose share ready follows `shape`, before day `until`."""
    return [
        DayCount(START + timedelta(days=d), round(shape(d / 40) * people), people)
        for d in range(until)
    ]


def forecast(shape, people: int, day: int, references, unit_id=None):
    """The forecast made on `day` for a branch following `shape`."""
    return project(
        history(shape, people, day),
        today=START + timedelta(days=day),
        due_day=DUE,
        start_day=START,
        ready=round(shape(day / 40) * people),
        assigned=people,
        references=references,
        unit_id=unit_id,
    )


def steady(t: float) -> float:
    """Ready at an even pace, 80 % by the due date."""
    return 0.8 * t


def stalled(t: float) -> float:
    """30 % ready by a third of the time, then nobody more."""
    return min(t, 0.3)


def test_a_branch_that_follows_the_typical_curve_is_forecast_near_its_outcome():
    references = [curve(steady, people=p) for p in range(10, 40)]
    projection = forecast(steady, 30, 26, references)
    assert projection.method == REFERENCE_CLASS
    outcome = 0.8 * 30
    assert abs(projection.ready - outcome) <= 1.5
    assert projection.low <= outcome <= projection.high


def test_a_stalled_branch_stays_where_it_is_when_stalled_curves_match():
    references = [curve(steady) for _ in range(20)] + [curve(stalled) for _ in range(20)]
    projection = forecast(stalled, 20, 26, references)
    today = round(0.3 * 20)
    assert today <= projection.ready <= today + 0.5
    # A branch still moving is matched to the moving curves instead.
    moving = forecast(steady, 20, 26, references)
    assert moving.ready >= 15


def test_the_forecast_stays_between_today_and_the_people_assigned():
    def rush(t: float) -> float:
        return 0.2 * t if t < 0.8 else 1.0

    references = [curve(rush) for _ in range(30)]
    projection = forecast(lambda t: 0.2 * t, 10, 28, references)
    assert 1 <= projection.ready <= 10 and projection.high <= 10
    assert projection.low >= round(0.2 * 28 / 40 * 10)


def test_earlier_campaigns_of_the_same_branch_count_more():
    def late_rush(t: float) -> float:
        return 0.3 * t if t < 0.8 else 0.9

    others = [curve(steady_low) for _ in range(30)]
    own = [curve(late_rush, unit_id=7) for _ in range(2)]
    without = forecast(steady_low, 20, 26, others + own)
    with_own = forecast(steady_low, 20, 26, others + own, unit_id=7)
    assert with_own.ready > without.ready + 1


def steady_low(t: float) -> float:
    """The first 80 % of the time of `late_rush` in the test above: 30 % of the time's share."""
    return 0.3 * t


def test_without_enough_earlier_curves_the_deadline_pace_is_used():
    references = [curve(steady) for _ in range(MIN_REFERENCES - 1)]
    assert forecast(steady, 20, 26, references).method == DEADLINE_PACE
    assert forecast(steady, 20, 26, references + [curve(steady)]).method == REFERENCE_CLASS


def test_too_early_to_tell_wins_over_the_reference_class():
    references = [curve(steady) for _ in range(30)]
    assert not forecast(steady, 20, 5, references).is_known


def test_a_reference_curve_carries_missing_days_and_needs_the_end_of_the_campaign():
    points = [DayCount(START + timedelta(days=d), d // 4, 10) for d in range(0, 41) if d % 10]
    made = reference_curve(points, start_day=START, due_day=DUE, unit_id=3)
    assert made is not None and made.unit_id == 3 and made.people == 10
    assert len(made.shares) == GRID_STEPS + 1
    # Day 10 has no snapshot: its share is day 9's (2 of 10), not day 11's.
    assert made.at(10 / 40) == pytest.approx(0.2)
    # The due date has no snapshot either: the outcome is day 39's (9 of 10).
    assert made.at(1.0) == pytest.approx(0.9)
    early_stop = [p for p in points if p.day < START + timedelta(days=30)]
    assert reference_curve(early_stop, start_day=START, due_day=DUE) is None
    assert reference_curve([], start_day=START, due_day=DUE) is None


def test_a_large_unit_gets_a_forecast_and_a_range_too():
    references = [curve(steady, people=p) for p in range(200, 230)]
    projection = forecast(steady, 600, 26, references)
    assert abs(projection.ready - 0.8 * 600) <= 15
    assert projection.low <= 0.8 * 600 <= projection.high


def test_a_unit_keeps_its_own_curves_among_many_others():
    from app.readiness.forecast_reference import MAX_REFERENCES, OWN_WEIGHT, ReferenceClass

    others = [curve(steady, unit_id=n) for n in range(MAX_REFERENCES * 3)]
    own = [curve(stalled, unit_id=-7) for _ in range(2)]
    many = ReferenceClass(others + own)
    table = many.table([0.0, 0.5], 0.6)
    compared = many.for_unit(table, -7)
    # An even sample of the others (a report of a thousand branches stays quick), and its own.
    assert len(compared) == MAX_REFERENCES + 2
    assert [prior for row, prior in compared if row.unit_id == -7] == [OWN_WEIGHT] * 2
    assert len(many.for_unit(table, None)) == MAX_REFERENCES
