"""Benchmark of the readiness forecast on simulated campaign histories with known outcomes.

Simulates branches (5-40 people, campaigns of 28-56 days) whose people become ready along one
of four curves, a quarter each:

- start-slow: completion days drawn late-leaning (Beta(2.5, 1.2) of the campaign), 60-100 %
  of the people finish at all;
- steady: completion days uniform over the campaign (up to 15 % past the due date);
- late-rush: 30-60 % of the finishers finish in the last 10 days, the others uniformly;
- stalled: 20-70 % of the people finish, all before a stop at 30-60 % of the campaign.

Noise comes from the individual draws and from missed snapshot days (each day's snapshot is
missing with 10 % chance). Every branch also has 3 earlier campaigns, drawn apart (own seed,
length and parameters, size within 3 people): the reference class the platform would read from
its snapshots. An earlier campaign follows the same curve as the evaluated one with chance
`--keep` (default 0: branches do not repeat themselves beyond chance), otherwise any of the four.
The forecast is made `--horizon` (14) days before the due date with the real
`app.readiness.forecast.project` (given the earlier curves, and once without them: the deadline
pace); the outcome is the share ready on the due date.
Prints the mean absolute error in percentage points, per curve, against a naive baseline
(today's share), against an oracle that knows each branch's true curve and parameters (what
is left is the chance of who finishes; it knows what no history shows) and against guessing
the average outcome of all branches for every branch (hindsight too), the coverage of the 80 %
range, and the error of forecasts made earlier (the data behind the "too early to tell" rule).

With `--floor` it also prints the error of the best forecast that sees only the branch's
history: the posterior median over this simulator's own four curves and parameter ranges
(Bayes, with the true prior: no method that learns the curves from data can do better on
average). That is the limit the target has to be judged against; it takes a few seconds more.

    .venv/bin/python benchmarks/forecast.py [--branches 200] [--seed 2027 | --seeds 2027,2028]
        [--horizon 14] [--keep 0.0] [--floor]
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.readiness.forecast import DayCount, Projection, project  # noqa: E402
from app.readiness.forecast_reference import (  # noqa: E402
    ReferenceClass,
    ReferenceCurve,
    reference_curve,
)

SHAPES = ("start_slow", "steady", "late_rush", "stalled")
START = date(2027, 1, 4)
MISSED_SNAPSHOT = 0.10
PAST_CAMPAIGNS = 3  # earlier campaigns of every branch, the reference class
KEEP = 0.0  # chance that an earlier campaign of a branch followed the same curve as the new one


@dataclass(frozen=True)
class Curve:
    """How the people of one branch become ready: a curve and its drawn parameters."""

    shape: str
    length: int
    finish: float  # chance that a person finishes at all
    spread: float = 1.0  # steady: how far past the due date the pace stretches
    rush: float = 0.0  # late-rush: share of the finishers who finish in the last 10 days
    stop: float = 0.0  # stalled: the day after which nobody finishes

    def person_day(self, rng: random.Random) -> float | None:
        """Draw the day one person becomes ready (None: never)."""
        if rng.random() >= self.finish:
            return None
        length = self.length
        if self.shape == "steady":
            return rng.uniform(0, length * self.spread)
        if self.shape == "start_slow":
            return length * rng.betavariate(2.5, 1.2) * rng.uniform(0.95, 1.1)
        if self.shape == "late_rush":
            late = rng.random() < self.rush
            return length - rng.uniform(0, 10) if late else rng.uniform(0, length)
        return rng.uniform(0, self.stop)


@dataclass(frozen=True)
class Branch:
    """A simulated branch: its people, campaign length and the day each person became ready."""

    shape: str
    people: int
    length: int  # days from the assignment to the due date
    ready_days: tuple[float, ...]  # day (from the start) each finisher became ready
    missed: frozenset[int]  # days without a snapshot
    curve: Curve | None = None

    @property
    def due_day(self) -> date:
        """The due date."""
        return START + timedelta(days=self.length)

    def ready_on(self, day: int) -> int:
        """People ready at the end of day `day` (0 = the assignment day)."""
        return sum(1 for d in self.ready_days if d <= day)

    @property
    def outcome(self) -> float:
        """The known share ready on the due date."""
        return self.ready_on(self.length) / self.people


def simulate(rng: random.Random, shape: str, people: int | None = None) -> Branch:
    """Draw one branch's campaign with the given completion curve (and size, if given)."""
    if shape not in SHAPES:
        raise ValueError(f"unknown curve {shape!r}")
    people = rng.randint(5, 40) if people is None else people
    length = rng.randint(28, 56)
    if shape == "stalled":
        curve = Curve(shape, length, rng.uniform(0.2, 0.7), stop=length * rng.uniform(0.3, 0.6))
    elif shape == "late_rush":
        curve = Curve(shape, length, rng.uniform(0.6, 1.0), rush=rng.uniform(0.3, 0.6))
    elif shape == "steady":
        curve = Curve(shape, length, rng.uniform(0.6, 1.0), spread=rng.uniform(0.95, 1.15))
    else:
        curve = Curve(shape, length, rng.uniform(0.6, 1.0))
    drawn = (curve.person_day(rng) for _ in range(people))
    days = sorted(d for d in drawn if d is not None)
    missed = frozenset(d for d in range(length) if rng.random() < MISSED_SNAPSHOT)
    return Branch(shape, people, length, tuple(days), missed, curve)


def oracle_share(branch: Branch, day: int, draws: int = 4000) -> float:
    """The best guess of someone who knows the branch's true curve: today's ready people plus
    the expected finishers among the others (their chance estimated from `draws` draws)."""
    assert branch.curve is not None
    rng = random.Random(branch.people * 1_000 + branch.length)
    sample = [branch.curve.person_day(rng) for _ in range(draws)]
    later = sum(1 for d in sample if d is None or d > day)
    in_time = sum(1 for d in sample if d is not None and day < d <= branch.length)
    chance = in_time / later if later else 0.0
    ready = branch.ready_on(day)
    return (ready + (branch.people - ready) * chance) / branch.people


def snapshots(branch: Branch, until: int) -> list[DayCount]:
    """The daily snapshots the platform would hold of a branch before day `until`."""
    return [
        DayCount(START + timedelta(days=d), branch.ready_on(d), branch.people)
        for d in range(until)
        if d not in branch.missed
    ]


def _start_slow_sample(draws: int = 20_000) -> list[float]:
    """Sorted draws of a start-slow finisher's day as a fraction of the campaign."""
    rng = random.Random(1)
    return sorted(rng.betavariate(2.5, 1.2) * rng.uniform(0.95, 1.1) for _ in range(draws))


def _hypotheses(length: int) -> list[tuple[float, Curve]]:
    """The simulator's curves on a grid of their parameters, with prior weights (sum 1)."""

    def grid(low: float, high: float, count: int) -> list[float]:
        return [low + (high - low) * (i + 0.5) / count for i in range(count)]

    high_f, low_f = grid(0.6, 1.0, 20), grid(0.2, 0.7, 25)
    families = {
        "start_slow": [Curve("start_slow", length, f) for f in high_f],
        "steady": [
            Curve("steady", length, f, spread=x) for f in high_f for x in grid(0.95, 1.15, 5)
        ],
        "late_rush": [
            Curve("late_rush", length, f, rush=x) for f in high_f for x in grid(0.3, 0.6, 7)
        ],
        "stalled": [
            Curve("stalled", length, f, stop=length * x) for f in low_f for x in grid(0.3, 0.6, 13)
        ],
    }
    return [(0.25 / len(curves), c) for curves in families.values() for c in curves]


def _cdf(curve: Curve, day: float, slow: list[float]) -> float:
    """The chance that a person of `curve` is ready at the end of `day`."""
    length = curve.length
    if curve.shape == "steady":
        share = min(max(day / (length * curve.spread), 0.0), 1.0)
    elif curve.shape == "start_slow":
        share = bisect.bisect_right(slow, day / length) / len(slow)
    elif curve.shape == "late_rush":
        early = min(max(day / length, 0.0), 1.0)
        late = min(max((day - (length - 10)) / 10, 0.0), 1.0)
        share = (1 - curve.rush) * early + curve.rush * late
    else:
        share = min(max(day / curve.stop, 0.0), 1.0)
    return curve.finish * share


def bayes_floor_share(branch: Branch, day: int, slow: list[float]) -> float:
    """The best forecast from the branch's snapshots alone: the posterior median of the
    outcome over the simulator's own curves (it knows the family and its priors)."""
    observed = [d for d in range(day) if d not in branch.missed] + [day]
    counts = [branch.ready_on(d) for d in observed]
    people, ready = branch.people, counts[-1]
    posterior = []
    for prior, curve in _hypotheses(branch.length):
        log_p, before, count_before = math.log(prior), 0.0, 0
        for d, count in zip(observed, counts, strict=True):
            now = _cdf(curve, d, slow)
            if count > count_before:
                log_p += (count - count_before) * math.log(max(now - before, 1e-12))
            before, count_before = now, count
        log_p += (people - ready) * math.log(max(1.0 - before, 1e-12))
        chance = (_cdf(curve, branch.length, slow) - before) / max(1.0 - before, 1e-12)
        posterior.append((log_p, chance))
    top = max(lp for lp, _c in posterior)
    weights = [(math.exp(lp - top), c) for lp, c in posterior]
    total = sum(w for w, _c in weights)
    remaining = people - ready
    pmf = [0.0] * (remaining + 1)
    for weight, chance in weights:
        if weight / total < 1e-6:
            continue
        for k in range(remaining + 1):
            pmf[k] += (
                weight
                / total
                * math.comb(remaining, k)
                * chance**k
                * (1 - chance) ** (remaining - k)
            )
    running = 0.0
    for k, p in enumerate(pmf):
        running += p
        if running >= 0.5:
            return (ready + k) / people
    return 1.0


def forecast_at(
    branch: Branch,
    day: int,
    references: ReferenceClass | list[ReferenceCurve] | None = None,
    unit_id: int | None = None,
    **options: float,
) -> Projection:
    """The real forecast, made at the end of `day` from the snapshots before it."""
    return project(
        snapshots(branch, day),
        today=START + timedelta(days=day),
        due_day=branch.due_day,
        start_day=START,
        ready=branch.ready_on(day),
        assigned=branch.people,
        references=references or (),
        unit_id=unit_id,
        **options,  # type: ignore[arg-type]
    )


def past_campaigns(
    seed: int, branches: list[Branch], *, keep: float = KEEP, count: int = PAST_CAMPAIGNS
) -> list[ReferenceCurve]:
    """Earlier campaigns of the same branches, as the platform keeps them: their curves.

    Drawn apart from the evaluated campaigns (their own seed, length and parameters), so no
    evaluated outcome leaks into them. A branch's earlier campaign follows the same curve as
    its new one with chance `keep` (otherwise any of the four), and has about as many people.
    """
    rng = random.Random(f"past-{seed}")
    curves = []
    for index, branch in enumerate(branches):
        for _ in range(count):
            shape = branch.shape if rng.random() < keep else rng.choice(SHAPES)
            people = max(5, branch.people + rng.randint(-3, 3))
            past = simulate(rng, shape, people)
            curve = reference_curve(
                snapshots(past, past.length + 1),
                start_day=START,
                due_day=past.due_day,
                unit_id=index,
            )
            if curve is not None:
                curves.append(curve)
    return curves


@dataclass(frozen=True)
class Result:
    """Errors of one run, in percentage points."""

    forecast_mae: float
    pace_mae: float
    naive_mae: float
    oracle_mae: float
    constant_mae: float
    floor_mae: float | None
    by_shape: dict[str, tuple[float, float]]
    coverage: float
    bounded: bool
    count: int


def evaluate(
    branches: list[Branch],
    horizon: int = 14,
    references: list[ReferenceCurve] | None = None,
    *,
    floor: bool = False,
) -> Result:
    """Forecast each branch `horizon` days before its due date; compare with the outcome.

    With `references` (earlier campaigns' curves, branch i's as unit i) the app's forecast uses
    them; the deadline pace (what the app does without earlier campaigns) is measured too.
    """
    errors: dict[str, list[tuple[float, float]]] = {shape: [] for shape in SHAPES}
    oracle = pace = best = 0.0
    prepared = ReferenceClass(references or [])  # read once, as the app does for a report
    slow = _start_slow_sample() if floor else []
    inside = 0
    bounded = True
    for index, branch in enumerate(branches):
        day = branch.length - horizon
        projection = forecast_at(branch, day, prepared, unit_id=index)
        pace += abs((forecast_at(branch, day).share or 0.0) - branch.outcome) * 100
        share = projection.share or 0.0
        today = branch.ready_on(day) / branch.people
        bounded &= today - 1e-9 <= share <= 1.0 + 1e-9
        low = projection.low_share if projection.low_share is not None else share
        high = projection.high_share if projection.high_share is not None else share
        inside += int(low - 1e-9 <= branch.outcome <= high + 1e-9)
        oracle += abs(oracle_share(branch, day) - branch.outcome) * 100
        if floor:
            best += abs(bayes_floor_share(branch, day, slow) - branch.outcome) * 100
        errors[branch.shape].append(
            (abs(share - branch.outcome) * 100, abs(today - branch.outcome) * 100)
        )
    flat = [pair for pairs in errors.values() for pair in pairs]
    count = len(flat)
    return Result(
        forecast_mae=sum(f for f, _n in flat) / count,
        pace_mae=pace / count,
        naive_mae=sum(n for _f, n in flat) / count,
        oracle_mae=oracle / count,
        constant_mae=_constant_error(branches),
        floor_mae=best / count if floor else None,
        by_shape={
            shape: (sum(f for f, _n in pairs) / len(pairs), sum(n for _f, n in pairs) / len(pairs))
            for shape, pairs in errors.items()
            if pairs
        },
        coverage=inside / count,
        bounded=bounded,
        count=count,
    )


def _constant_error(branches: list[Branch]) -> float:
    """Error of guessing the average outcome of all branches for each (knows the outcomes)."""
    mean = sum(b.outcome for b in branches) / len(branches)
    return sum(abs(mean - b.outcome) for b in branches) / len(branches) * 100


def branches_for(seed: int, count: int) -> list[Branch]:
    """`count` branches, the four curves in turn, from a fixed seed."""
    rng = random.Random(seed)
    return [simulate(rng, SHAPES[index % len(SHAPES)]) for index in range(count)]


def earlier_errors(
    branches: list[Branch], references: list[ReferenceCurve] | None = None
) -> list[tuple[str, float, float]]:
    """Error of forecasts made after N days or a share of the campaign (no too-early rule),
    with the naive error at the same moment."""
    rows = []
    prepared = ReferenceClass(references or [])
    for label, pick in (
        ("after 3 days", lambda b: 3),
        ("after 5 days", lambda b: 5),
        ("after 7 days", lambda b: 7),
        ("after 10 % of the campaign", lambda b: round(b.length * 0.10)),
        ("after 25 % of the campaign", lambda b: round(b.length * 0.25)),
        ("after 40 % of the campaign", lambda b: round(b.length * 0.40)),
        ("after 50 % of the campaign", lambda b: round(b.length * 0.50)),
    ):
        total = naive = 0.0
        for index, branch in enumerate(branches):
            day = pick(branch)
            projection = forecast_at(
                branch, day, prepared, unit_id=index, min_data_days=2, min_elapsed=0.0
            )
            total += abs((projection.share or 0.0) - branch.outcome) * 100
            naive += abs(branch.ready_on(day) / branch.people - branch.outcome) * 100
        rows.append((label, total / len(branches), naive / len(branches)))
    return rows


def run(
    seed: int,
    count: int,
    horizon: int,
    keep: float,
    *,
    earlier: bool = True,
    floor: bool = False,
) -> Result:
    """Simulate one network (earlier campaigns and the evaluated one), print its figures."""
    branches = branches_for(seed, count)
    references = past_campaigns(seed, branches, keep=keep)
    result = evaluate(branches, horizon, references, floor=floor)
    print(
        f"{result.count} simulated branches, seed {seed}, forecast {horizon} days before the "
        f"due date; {len(references)} curves of earlier campaigns (same curve kept: {keep:.0%})"
    )
    print(f"  forecast MAE (reference class): {result.forecast_mae:5.1f} points")
    print(f"  deadline pace (no earlier campaigns): {result.pace_mae:5.1f} points")
    print(f"  naive (today's share): {result.naive_mae:5.1f} points")
    print(f"  oracle (knows each branch's true curve): {result.oracle_mae:5.1f} points")
    print(f"  average outcome for every branch:        {result.constant_mae:5.1f} points")
    if result.floor_mae is not None:
        print(f"  best possible from the history (Bayes):  {result.floor_mae:5.1f} points")
    for shape, (forecast_mae, naive_mae) in result.by_shape.items():
        print(f"    {shape:<11} forecast {forecast_mae:5.1f}   naive {naive_mae:5.1f}")
    print(f"  outcome inside the 80 % range: {100 * result.coverage:.0f} % of branches")
    print(f"  forecast bounded (today's share .. 100 %): {result.bounded}")
    if earlier:
        print("  forecasts made earlier (no too-early rule), MAE:")
        for label, mae, naive in earlier_errors(branches, references):
            print(f"    {label:<27} forecast {mae:5.1f}   naive {naive:5.1f} points")
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark for one or several seeds and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument(
        "--seeds", type=lambda text: [int(s) for s in text.split(",")], help="e.g. 2027,2028"
    )
    parser.add_argument("--horizon", type=int, default=14)
    parser.add_argument(
        "--keep", type=float, default=KEEP, help="chance an earlier campaign kept the curve"
    )
    parser.add_argument("--floor", action="store_true", help="also the best possible error")
    args = parser.parse_args(argv)
    seeds = args.seeds or [args.seed]
    results = [
        run(
            seed,
            args.branches,
            args.horizon,
            args.keep,
            earlier=len(seeds) == 1,
            floor=args.floor,
        )
        for seed in seeds
    ]
    if len(results) > 1:

        def mean(values: list[float]) -> float:
            return sum(values) / len(values)

        print(f"mean of {len(results)} seeds:")
        print(f"  forecast MAE:  {mean([r.forecast_mae for r in results]):5.1f} points")
        print(f"  deadline pace: {mean([r.pace_mae for r in results]):5.1f} points")
        print(f"  naive:         {mean([r.naive_mae for r in results]):5.1f} points")
        print(f"  oracle:        {mean([r.oracle_mae for r in results]):5.1f} points")
        floors = [r.floor_mae for r in results if r.floor_mae is not None]
        if floors:
            print(f"  best possible: {mean(floors):5.1f} points")
        print(f"  80 % range coverage: {100 * mean([r.coverage for r in results]):.0f} %")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
