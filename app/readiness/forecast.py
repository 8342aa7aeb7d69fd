"""Forecast of a unit's readiness on the due date (pure).

Method 1, "reference class": see `app.readiness.forecast_reference` (used once the branches
have `MIN_REFERENCES` (20) curves from earlier campaigns).

Method 2, "deadline pace" (no earlier campaigns yet): the people not yet ready are assumed to
become ready at a daily rate that rises as the due date approaches, in proportion to
1 / (days left + 5), the pattern of most mandatory-training campaigns (slow start, rush before
the due date). The one parameter, how strongly the unit follows that pattern, is fitted to the
unit's last 14 days of daily snapshots and today's live number, and pulled towards the pattern
of a typical campaign while the unit has had few new ready people (three people's worth of
evidence); a unit where nobody became ready in the last 7 days is forecast to stay where it is
(stalled). Its 80 % range is ±1.28 standard deviations: the binomial spread of the people not
yet ready, the residuals of the fitted curve and a model error of 30 % of the people not yet
ready (the amount that makes the range hold the outcome in 81-86 % of simulated branches).
Both methods are bounded: never below today's number, never above the people assigned.

Measured by `benchmarks/forecast.py --seeds 2027,2028,2029 --floor` (200 simulated branches,
each with 3 earlier campaigns drawn apart from the evaluated one; forecast 14 days before the
due date; mean absolute error in points): reference class 13.2/13.0/13.9 (mean 13.4), range
holding the outcome in 81/76/78 % of branches; deadline pace 15.3/15.2/15.2; today's share
30.6/30.1/31.2. The issue's target, 10, is not met, and no forecast from a branch's history can
meet it on this simulation: the best possible one (Bayes: the posterior median over the
simulator's own four curves and parameter ranges, knowing their true prior) is off by
12.1/11.8/12.5, because 14 days before the due date a late rush (which starts 10 days before
it) does not show yet and such a branch looks like a steady one. Only an oracle that knows each
branch's curve and parameters gets 5.3/5.0/5.4. If earlier campaigns of a branch followed the
same curve as the new one (`--keep 1.0`), the reference class gets 12.1 (half the time: 12.7).

Too early to tell: a forecast is given only once there are at least `MIN_DATA_DAYS` (7) days
with data (daily snapshots plus today) and half of the time from the assignment date to the
due date has passed; before that the page says "too early to tell" (on launch day, a unit
with nobody ready yet is not "at risk"). Measured on seed 2027: the reference class made after
3, 5 or 7 days, or after 10, 25, 40 or 50 % of the time is off by 16-17 points, no better than
guessing the average outcome of all branches (17, known only in hindsight): before half-way it
says nothing about the branch itself. The deadline pace is off by 24-52 points then.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.i18n.markers import N_
from app.readiness.forecast_reference import (
    MIN_REFERENCES,
    ReferenceClass,
    ReferenceCurve,
    carried_share,
    checkpoints,
    reference_projection,
)

WINDOW_DAYS = 14
QUIET_DAYS = 7
MIN_DATA_DAYS = 7
MIN_ELAPSED = 0.5
DEADLINE_OFFSET = 5.0  # c in rate ∝ 1 / (days left + c): how sharp the rush before the due date
TYPICAL_PULL = 1.0  # the pull of a typical campaign (exponent 1: an even pace to the due date)
PRIOR_WEIGHT = 3.0  # newly ready people's worth of evidence that the typical pattern counts as
Z_80 = 1.2816
MODEL_SPREAD = 0.3  # model error, as a share of the people not yet ready (see the docstring)


DEADLINE_PACE = "deadline_pace"
REFERENCE_CLASS = "reference_class"
TOO_EARLY = "too_early"
CLOSED = "closed"
SUM = "sum"

METHOD_SENTENCE = N_(
    "How the forecast works: we compare each branch's daily figures so far with the same "
    "branches' figures in earlier campaigns and expect the people not yet ready to do as in "
    "the earlier campaigns that looked most alike (without earlier campaigns, we assume a pace "
    "that rises as the due date approaches, fitted to the branch's last 14 days). A region's "
    "forecast is the sum of its branches'. The range is where the number is expected to end "
    "up 8 times out of 10. On simulated campaigns, forecasts made 14 days before the due date "
    "were off by %(error)s percentage points on average. Until there are %(days)s days of "
    "figures and half of the time to the due date has passed, the page says it is too early "
    "to tell."
)
BENCHMARK_MAE_POINTS = 13  # mean absolute error of benchmarks/forecast.py (seeds 2027-2029)


@dataclass(frozen=True)
class DayCount:
    """What a snapshot knew on one day: ready and assigned people."""

    day: date
    ready: int
    assigned: int


@dataclass(frozen=True)
class Projection:
    """The projected number of ready people on the due date, its 80 % range and method."""

    method: str
    ready: float
    assigned: int
    per_day: float
    days_left: int
    low: float | None = None
    high: float | None = None

    @property
    def is_known(self) -> bool:
        """Tell whether there is a forecast at all (not "too early to tell")."""
        return self.method != TOO_EARLY

    @property
    def share(self) -> float | None:
        """The projected share of ready people (None when nobody is assigned)."""
        return self.ready / self.assigned if self.assigned else None

    @property
    def low_share(self) -> float | None:
        """The low end of the range as a share (None when unknown)."""
        return self.low / self.assigned if self.assigned and self.low is not None else None

    @property
    def high_share(self) -> float | None:
        """The high end of the range as a share (None when unknown)."""
        return self.high / self.assigned if self.assigned and self.high is not None else None


def slope(points: list[tuple[float, float]]) -> float:
    """Return the least-squares slope of y over x (0 when x does not vary)."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _y in points)
    if sxx == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sxx


def is_too_early(
    *,
    data_days: int,
    today: date,
    start_day: date,
    due_day: date,
    min_data_days: int = MIN_DATA_DAYS,
    min_elapsed: float = MIN_ELAPSED,
) -> bool:
    """Tell whether there is too little history for a forecast (the rule in the docstring)."""
    span = (due_day - start_day).days
    elapsed = (today - start_day).days
    if data_days < min_data_days:
        return True
    return span > 0 and elapsed < min_elapsed * span


def _factor(days_left: float) -> float:
    """The deadline curve: (days left + c), whose log the remaining people follow."""
    return days_left + DEADLINE_OFFSET


def pace_exponent(points: Sequence[tuple[int, int]], assigned: int, due_ordinal: int) -> float:
    """Fit how strongly the remaining people follow the deadline curve (0 = stalled).

    `points` are (day ordinal, ready) oldest first, today last. The remaining share
    R(t) = R(t0) · ((due - t + c) / (due - t0 + c)) ** a, so a is read from the first and last
    point of the window, then pulled towards the typical pattern by the evidence it rests on.
    """
    first_day, first_ready = points[0]
    last_day, last_ready = points[-1]
    remaining_then = assigned - first_ready
    remaining_now = assigned - last_ready
    if remaining_then <= 0 or last_day == first_day:
        return TYPICAL_PULL
    x = math.log(_factor(due_ordinal - last_day) / _factor(due_ordinal - first_day))
    fitted = max(math.log(max(remaining_now, 1e-9) / remaining_then) / x, 0.0) if x else 0.0
    quiet_since = last_day - QUIET_DAYS
    before_quiet = max((r for d, r in points if d <= quiet_since), default=first_ready)
    if last_ready - before_quiet <= 0:
        return 0.0  # nobody became ready lately: the unit is assumed to stay where it is
    gained = max(last_ready - first_ready, 0)
    return (fitted * gained + TYPICAL_PULL * PRIOR_WEIGHT) / (gained + PRIOR_WEIGHT)


def _residual_sd(
    points: Sequence[tuple[int, int]], assigned: int, due_ordinal: int, exponent: float
) -> float:
    """Standard deviation of the ready counts around the curve fitted through today's point."""
    last_day, last_ready = points[-1]
    remaining_now = assigned - last_ready
    if len(points) < 3:
        return 0.0
    squares = []
    for day, ready in points[:-1]:
        ratio = _factor(due_ordinal - day) / _factor(due_ordinal - last_day)
        expected = assigned - remaining_now * ratio**exponent
        squares.append((ready - expected) ** 2)
    return math.sqrt(sum(squares) / max(len(squares) - 1, 1))


def project(
    history: Iterable[DayCount],
    *,
    today: date,
    due_day: date,
    start_day: date,
    ready: int,
    assigned: int,
    window_days: int = WINDOW_DAYS,
    min_data_days: int = MIN_DATA_DAYS,
    min_elapsed: float = MIN_ELAPSED,
    references: ReferenceClass | Sequence[ReferenceCurve] = (),
    unit_id: int | None = None,
) -> Projection:
    """Project the number of ready people on `due_day` from today's numbers and the history.

    With at least `MIN_REFERENCES` curves of earlier campaigns the reference class is used,
    otherwise the deadline pace.
    """
    days_left = (due_day - today).days
    if days_left <= 0:
        return Projection(CLOSED, float(ready), assigned, 0.0, max(days_left, 0))
    known = {p.day: p.ready for p in history if start_day <= p.day < today}
    known[today] = ready
    if is_too_early(
        data_days=len(known),
        today=today,
        start_day=start_day,
        due_day=due_day,
        min_data_days=min_data_days,
        min_elapsed=min_elapsed,
    ):
        return Projection(TOO_EARLY, float(ready), assigned, 0.0, days_left)
    if assigned <= 0:
        return Projection(DEADLINE_PACE, 0.0, 0, 0.0, days_left, 0.0, 0.0)
    if len(references) >= MIN_REFERENCES:
        if not isinstance(references, ReferenceClass):
            references = ReferenceClass(references)
        return _reference_class(
            known, today, start_day, due_day, ready, assigned, references, unit_id
        )
    since = today.toordinal() - window_days
    points = sorted(
        (day.toordinal(), min(n, assigned)) for day, n in known.items() if day.toordinal() >= since
    )
    due = due_day.toordinal()
    exponent = pace_exponent(points, assigned, due)
    remaining = assigned - min(ready, assigned)
    kept = (DEADLINE_OFFSET / _factor(days_left)) ** exponent  # share of the remaining still left
    gained = remaining * (1.0 - kept)
    projected = min(max(float(ready) + gained, float(ready), 0.0), float(assigned))
    spread = math.sqrt(
        remaining * kept * (1.0 - kept)
        + (MODEL_SPREAD * remaining) ** 2
        + _residual_sd(points, assigned, due, exponent) ** 2 * days_left / max(len(points), 1)
    )
    low = min(max(projected - Z_80 * spread, float(ready)), projected)
    high = max(min(projected + Z_80 * spread, float(assigned)), projected)
    per_day = (projected - ready) / days_left
    return Projection(DEADLINE_PACE, projected, assigned, per_day, days_left, low, high)


def _reference_class(
    known: dict[date, int],
    today: date,
    start_day: date,
    due_day: date,
    ready: int,
    assigned: int,
    references: ReferenceClass,
    unit_id: int | None,
) -> Projection:
    """The reference-class forecast of `project` (its history already checked)."""
    span = (due_day - start_day).days
    start = start_day.toordinal()
    fraction = (today - start_day).days / span
    days = sorted(known)
    ordinals = [day.toordinal() for day in days]
    shares = [min(known[day] / assigned, 1.0) for day in days]
    own = [
        (point, carried_share(ordinals, shares, start + point * span))
        for point in checkpoints(fraction)
    ]
    projected, low, high = reference_projection(
        own,
        fraction=fraction,
        ready=min(ready, assigned),
        assigned=assigned,
        references=references,
        unit_id=unit_id,
    )
    days_left = (due_day - today).days
    per_day = (projected - ready) / days_left
    return Projection(REFERENCE_CLASS, projected, assigned, per_day, days_left, low, high)


def add_up(parts: Sequence[Projection], *, days_left: int) -> Projection:
    """A subtree's forecast: the sum of its parts' (known only when every part is known).

    Ranges add as independent errors (root of the sum of squared half-widths), an honest
    middle between assuming that every branch misses together and that errors cancel out.
    """
    assigned = sum(p.assigned for p in parts)
    ready = sum(p.ready for p in parts)
    if not parts or days_left <= 0:
        return Projection(CLOSED if days_left <= 0 else SUM, ready, assigned, 0.0, days_left)
    if any(not p.is_known for p in parts if p.assigned > 0):
        return Projection(TOO_EARLY, ready, assigned, 0.0, days_left)
    below = math.sqrt(
        sum((p.ready - (p.low if p.low is not None else p.ready)) ** 2 for p in parts)
    )
    above = math.sqrt(
        sum(((p.high if p.high is not None else p.ready) - p.ready) ** 2 for p in parts)
    )
    per_day = sum(p.per_day for p in parts)
    return Projection(SUM, ready, assigned, per_day, days_left, ready - below, ready + above)
