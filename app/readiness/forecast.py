"""Forecast of a unit's readiness on the due date (pure).

Method ("deadline pace"): the people not yet ready are assumed to become ready at a daily rate
that rises as the due date approaches, in proportion to 1 / (days left + 5), the pattern of
most mandatory-training campaigns (slow start, rush before the due date). The one parameter,
how strongly the unit follows that pattern, is fitted to the unit's last 14 days of daily
snapshots and today's live number, and pulled towards the pattern of a typical campaign
while the unit has had few new ready people (three people's worth of evidence); a unit where
nobody became ready in the last 7 days is forecast to stay where it is (stalled). The
forecast is bounded: never below today's number, never above the people assigned.

Too early to tell: a forecast is given only once there are at least `MIN_DATA_DAYS` (7) days
with data (daily snapshots plus today) and half of the time from the assignment date to the
due date has passed; before that the page says "too early to tell" (on launch day, a unit
with nobody ready yet is not "at risk"). The rule comes from `benchmarks/forecast.py`, which
measures forecasts made at different moments (seed 2027, mean absolute error in points):
after 3, 5 or 7 days 52, 47 and 42; after 25 % of the time 35, after 40 % 26, after half
24 (today's share: 40); 14 days before the due date 15. Before half-way a forecast is off by
26 to 52 points and is not shown. Even half-way it is no better than
guessing the average outcome of all simulated branches (17, known only in hindsight): its
worth is following each branch's own pace, and its range says how unsure it is.

Confidence: an 80 % range around the forecast (±1.28 standard deviations), bounded like the
forecast. The deviation adds three parts: the binomial spread of the people not yet ready (each
becomes ready with the forecast's probability), the residuals of the fitted curve over the
window, and a model error of 30 % of the people not yet ready, the amount that makes the range
hold the known outcome in about 8 of 10 simulated branches (81-86 % on three seeds of
`benchmarks/forecast.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.i18n_markers import N_

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
TOO_EARLY = "too_early"
CLOSED = "closed"
SUM = "sum"

METHOD_SENTENCE = N_(
    "How the forecast works: for each branch we assume that the people not yet ready become "
    "ready at a pace that rises as the due date approaches, as in most campaigns, fitted to "
    "the branch's daily figures of the last 14 days (a branch where nobody became ready in "
    "the last 7 days is assumed to stay where it is). A region's forecast is the sum of its "
    "branches'. The range is where the number is expected to end up 8 times out of 10. On "
    "simulated campaigns, forecasts made 14 days before the due date were off by "
    "%(error)s percentage points on average. Until there are %(days)s days of figures and "
    "half of the time to the due date has passed, the page says it is too early to tell."
)
BENCHMARK_MAE_POINTS = 15  # mean absolute error measured by benchmarks/forecast.py (seed 2027)


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
) -> Projection:
    """Project the number of ready people on `due_day` from today's numbers and the history."""
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
