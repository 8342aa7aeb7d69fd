"""The reference-class forecast: earlier campaigns' curves of the same branches (pure).

Method 1, "reference class" (used once the branches have `MIN_REFERENCES` (20) curves from
earlier campaigns): each earlier campaign's curve of a branch (share ready at every 2.5 % of
its time, `reference_curve`) says which share of its people not yet ready at this point of
the campaign became ready by its due date. Each curve is weighted by how likely the branch's
own figures so far would have been had it followed that curve (binomial chances of the people
who became ready between a few checkpoints; an earlier campaign of the same branch counts
`OWN_WEIGHT` times), and the branch's people not yet ready are expected to do as the curves
did, in proportion to those weights. The forecast is the median of that mixture (binomial per
curve), the 80 % range its 20th to 80th percentiles: the curves spread wider than the outcomes
(the 10th to 90th held the outcome in about 95 % of the branches of the tuning seeds 1-4, on
which the constants below were chosen, apart from the seeds reported here).

Used by `app.readiness.forecast.project`; the constants below were tuned with
`benchmarks/forecast.py`.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.readiness.forecast import DayCount

GRID_STEPS = 40  # a reference curve keeps its share ready at every 2.5 % of the campaign's time
MIN_REFERENCES = 20  # fewer earlier curves than this: the deadline pace is used instead
CHECKPOINTS_BACK = (0.0, 0.1, 0.2, 0.35, 1.0)  # fractions of time before today
SMOOTHING = 0.5  # people's worth by which a reference curve's shares are pulled towards a half
OWN_WEIGHT = 30.0  # an earlier campaign of the same unit counts as much as this many others
RANGE_LOW = 0.2  # the range runs from this quantile of the matching curves' outcomes to 1 - it
MAX_REFERENCES = 600  # curves of other units a unit is compared with (an even sample)
EXACT_LIMIT = 400  # above this many people not yet ready, the binomial spread is left out


@dataclass(frozen=True)
class ReferenceCurve:
    """An earlier campaign's readiness curve of one unit: share ready at each step of its time."""

    unit_id: int | None
    people: int
    shares: tuple[float, ...]  # share ready at fractions 0, 1/GRID_STEPS, ..., 1 of the campaign

    def at(self, fraction: float) -> float:
        """The share ready at a fraction of the campaign's time (linear between the steps)."""
        position = min(max(fraction, 0.0), 1.0) * GRID_STEPS
        below = min(int(position), GRID_STEPS - 1)
        weight = position - below
        return self.shares[below] * (1.0 - weight) + self.shares[below + 1] * weight


def carried_share(days: Sequence[int], shares: Sequence[float], ordinal: float) -> float:
    """The share known at `ordinal`: the latest snapshot on or before it (the first before any)."""
    index = bisect.bisect_right(days, ordinal) - 1
    return shares[max(index, 0)]


def reference_curve(
    history: Iterable[DayCount], *, start_day: date, due_day: date, unit_id: int | None = None
) -> ReferenceCurve | None:
    """Turn a finished campaign's daily snapshots of one unit into its curve.

    None when the campaign has no length, nobody was assigned on the last snapshot, or the
    snapshots stop before the last tenth of its time (the outcome would be unknown).
    """
    span = (due_day - start_day).days
    known = sorted(
        (p.day.toordinal(), p.ready, p.assigned)
        for p in history
        if start_day <= p.day <= due_day and p.assigned > 0
    )
    if span <= 0 or not known:
        return None
    last_day, _ready, people = known[-1]
    if last_day < due_day.toordinal() - span * 0.1:
        return None
    days = [day for day, _r, _a in known]
    shares = [min(ready / assigned, 1.0) for _d, ready, assigned in known]
    start = start_day.toordinal()
    grid = tuple(
        carried_share(days, shares, start + span * step / GRID_STEPS)
        for step in range(GRID_STEPS + 1)
    )
    return ReferenceCurve(unit_id, people, grid)


def checkpoints(fraction: float) -> list[float]:
    """The moments at which a unit's history is compared with the reference curves."""
    return sorted({max(fraction - back, 0.0) for back in CHECKPOINTS_BACK})


def _hazard(before: float, after: float) -> float:
    """The share of the people not ready at one moment who were ready at a later one."""
    return min(max((after - before) / (1.0 - before), 0.0), 1.0) if before < 1.0 else 0.0


def _smoothed(share: float, people: float) -> float:
    """A curve's share or pace, pulled towards a half by `SMOOTHING` people's worth (never 0
    or 1: a curve of five people that saw nobody finish does not rule out that one does)."""
    return (share * people + SMOOTHING / 2.0) / (people + SMOOTHING)


@dataclass(frozen=True)
class _Prepared:
    """One curve read at a unit's checkpoints: log-chances of each step, and its outcome."""

    unit_id: int | None
    logs: tuple[tuple[float, float], ...]  # (log p, log(1 - p)) of the level, then each pace
    chance: float  # share of its people not ready today who were ready on the due date


class ReferenceClass:
    """Curves of earlier campaigns, read once per set of checkpoints for a whole report.

    A unit is compared with its own earlier curves and with at most `MAX_REFERENCES` curves
    of other units (an even sample), so a report of a thousand branches stays quick.
    """

    def __init__(self, curves: Sequence[ReferenceCurve]) -> None:
        """Keep the curves; nothing is computed before the first forecast."""
        self.curves = tuple(curves)
        step = max(len(self.curves) / MAX_REFERENCES, 1.0)
        self._sample = sorted({int(i * step) for i in range(min(len(self.curves), MAX_REFERENCES))})
        self._by_unit: dict[int | None, list[int]] = defaultdict(list)
        for index, curve in enumerate(self.curves):
            self._by_unit[curve.unit_id].append(index)
        self._tables: dict[tuple[float, ...], list[_Prepared]] = {}

    def __len__(self) -> int:
        """The number of curves."""
        return len(self.curves)

    def table(self, fractions: Sequence[float], fraction: float) -> list[_Prepared]:
        """Every curve read at the checkpoints `fractions` (oldest first, today's last)."""
        key = (*fractions, fraction)
        if key not in self._tables:
            self._tables[key] = [_prepare(c, fractions, fraction) for c in self.curves]
        return self._tables[key]

    def for_unit(
        self, table: list[_Prepared], unit_id: int | None
    ) -> list[tuple[_Prepared, float]]:
        """The curves a unit is compared with, each with its prior weight."""
        own = self._by_unit.get(unit_id, []) if unit_id is not None else []
        others = [(table[i], 1.0) for i in self._sample if not own or table[i].unit_id != unit_id]
        return others + [(table[i], OWN_WEIGHT) for i in own]


def _prepare(curve: ReferenceCurve, fractions: Sequence[float], fraction: float) -> _Prepared:
    """Read one curve at the checkpoints: the smoothed chance of each step, as logs."""
    theirs = [curve.at(point) for point in fractions]
    chances = [_smoothed(theirs[0], curve.people)]
    for before, after in itertools.pairwise(theirs):
        chances.append(_smoothed(_hazard(before, after), curve.people * (1.0 - before)))
    now_share, end_share = curve.at(fraction), curve.at(1.0)
    chance = (end_share - now_share) / (1.0 - now_share) if now_share < 1.0 else 0.0
    return _Prepared(
        curve.unit_id,
        tuple((math.log(p), math.log(1.0 - p)) for p in chances),
        min(max(chance, 0.0), 1.0),
    )


def reference_weights(
    own: Sequence[tuple[float, float]],
    people: int,
    candidates: Sequence[tuple[_Prepared, float]],
) -> list[float]:
    """How likely the unit's history would have been on each reference curve (weights, sum 1).

    `own` is (fraction of the campaign's time, share ready) at the checkpoints, oldest first.
    The likelihood multiplies the binomial chance of the share ready at the first checkpoint
    and of the unit's newly ready people between checkpoints, given the curve's pace there,
    so a small branch matches more curves than a large one; `candidates` carry their prior
    weight (an earlier campaign of the same unit counts `OWN_WEIGHT` times).
    """
    counts = [(own[0][1] * people, people)]
    for (_f, before), (_g, after) in itertools.pairwise(own):
        counts.append((max(after - before, 0.0) * people, (1.0 - before) * people))
    logs = []
    for row, prior in candidates:
        total = math.log(prior)
        for (newly, at_risk), (log_p, log_q) in zip(counts, row.logs, strict=True):
            total += newly * log_p + (at_risk - newly) * log_q
        logs.append(total)
    top = max(logs)
    raw = [math.exp(value - top) for value in logs]
    weight_sum = sum(raw)
    return [value / weight_sum for value in raw]


def _binomial_pmf(trials: int, chance: float) -> list[float]:
    """P(k successes) for k = 0..trials."""
    chance = min(max(chance, 0.0), 1.0)
    if chance <= 0.0 or chance >= 1.0:
        pmf = [0.0] * (trials + 1)
        pmf[trials if chance >= 1.0 else 0] = 1.0
        return pmf
    # In logs: (1 - chance) ** trials alone underflows for 400 people and a chance near 1.
    log_p = trials * math.log(1.0 - chance)
    log_odds = math.log(chance / (1.0 - chance))
    pmf = [math.exp(log_p)]
    for k in range(trials):
        log_p += math.log((trials - k) / (k + 1)) + log_odds
        pmf.append(math.exp(log_p))
    return pmf


def _mixture_quantiles(
    remaining: int, chances: Sequence[tuple[float, float]], levels: Sequence[float]
) -> list[float]:
    """Quantiles of the newly ready people when each `(weight, chance)` is one binomial.

    Chances are merged per whole percent first: the same answer, a hundred binomials at most.
    """
    merged: dict[int, float] = defaultdict(float)
    for weight, chance in chances:
        merged[round(chance * 100)] += weight
    kept = [(w, q / 100) for q, w in merged.items() if w > 1e-6]
    total = sum(w for w, _q in kept)
    if remaining > EXACT_LIMIT:
        # Many people: the binomial spread is small beside the spread between curves.
        ordered = sorted((q, w / total) for w, q in kept)
        result = []
        for level in levels:
            running = 0.0
            for chance, weight in ordered:
                running += weight
                if running >= level:
                    result.append(remaining * chance)
                    break
            else:
                result.append(remaining * ordered[-1][0])
        return result
    pmf = [0.0] * (remaining + 1)
    for weight, chance in kept:
        for k, p in enumerate(_binomial_pmf(remaining, chance)):
            pmf[k] += weight / total * p
    cumulative = list(itertools.accumulate(pmf))
    return [float(min(bisect.bisect_left(cumulative, level), remaining)) for level in levels]


def reference_projection(
    own: Sequence[tuple[float, float]],
    *,
    fraction: float,
    ready: int,
    assigned: int,
    references: ReferenceClass,
    unit_id: int | None = None,
) -> tuple[float, float, float]:
    """Projected ready people on the due date, with its 80 % range, from matching curves.

    Each reference curve says which share of its people not yet ready at this point of the
    campaign became ready by its due date; the unit's people not yet ready are expected to do
    the same, weighted by how well each curve matches the unit so far. The forecast is the
    median of that mixture, the range its `RANGE_LOW` and 1 - `RANGE_LOW` quantiles.
    """
    remaining = assigned - min(ready, assigned)
    table = references.table([point for point, _share in own], fraction)
    candidates = references.for_unit(table, unit_id)
    weights = reference_weights(own, assigned, candidates)
    chances = [(w, row.chance) for w, (row, _prior) in zip(weights, candidates, strict=True)]
    low, middle, high = _mixture_quantiles(remaining, chances, (RANGE_LOW, 0.5, 1.0 - RANGE_LOW))
    return ready + middle, ready + low, ready + high
