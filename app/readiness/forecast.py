"""Forecast of a unit's readiness on the due date (pure).

The projection continues the straight-line trend (least squares) of the number of ready people
over the daily snapshots of the last 14 days, today's live number included, from today's
number to the due date. With fewer than three days of history it uses the average number of
people who became ready per day since the assignments went out. The projection never goes
below zero nor above the number of people assigned today.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.i18n_markers import N_

WINDOW_DAYS = 14
MIN_TREND_DAYS = 3

TREND = "trend"
RATE = "rate"
FLAT = "flat"
CLOSED = "closed"

METHOD_SENTENCE = N_(
    "How the forecast works: for each unit we continue the straight-line trend of its number "
    "of ready people over the daily snapshots of the last 14 days to the due date (with fewer "
    "than 3 days of snapshots, the average number of people who became ready per day since "
    "the assignments went out); a unit is at risk when that projection misses the readiness "
    "rule while there is still time to act."
)


@dataclass(frozen=True)
class DayCount:
    """What a snapshot knew on one day: ready and assigned people."""

    day: date
    ready: int
    assigned: int


@dataclass(frozen=True)
class Projection:
    """The projected number of ready people on the due date and how it was reached."""

    method: str
    ready: float
    assigned: int
    per_day: float
    days_left: int

    @property
    def share(self) -> float | None:
        """The projected share of ready people (None when nobody is assigned)."""
        return self.ready / self.assigned if self.assigned else None


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


def project(
    history: Iterable[DayCount],
    *,
    today: date,
    due_day: date,
    start_day: date,
    ready: int,
    assigned: int,
    window_days: int = WINDOW_DAYS,
    min_trend_days: int = MIN_TREND_DAYS,
) -> Projection:
    """Project the number of ready people on `due_day` from today's numbers and the history."""
    days_left = (due_day - today).days
    if days_left <= 0:
        return Projection(CLOSED, float(ready), assigned, 0.0, max(days_left, 0))
    since = today.toordinal() - window_days
    by_day = {
        point.day: point.ready
        for point in history
        if since <= point.day.toordinal() < today.toordinal()
    }
    by_day[today] = ready
    if len(by_day) >= min_trend_days:
        per_day = slope([(float(day.toordinal()), float(n)) for day, n in by_day.items()])
        method = TREND
    else:
        elapsed = (today - start_day).days
        if elapsed >= 1:
            per_day = ready / elapsed
            method = RATE
        else:
            per_day = 0.0
            method = FLAT
    projected = min(max(ready + per_day * days_left, 0.0), float(max(assigned, 0)))
    return Projection(method, projected, assigned, per_day, days_left)
