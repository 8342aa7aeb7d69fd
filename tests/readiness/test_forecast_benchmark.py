"""Smoke test of the forecast benchmark: its simulator and the real forecast on a few branches."""

from __future__ import annotations

import random

from app.readiness.forecast import REFERENCE_CLASS
from benchmarks.forecast import SHAPES, branches_for, evaluate, forecast_at, main, simulate


def test_simulated_branches_have_known_outcomes_and_the_forecast_is_bounded():
    branches = branches_for(seed=5, count=8)
    assert {b.shape for b in branches} == set(SHAPES)
    for branch in branches:
        assert 5 <= branch.people <= 40 and 28 <= branch.length <= 56
        assert 0.0 <= branch.outcome <= 1.0
        projection = forecast_at(branch, branch.length - 14)
        today = branch.ready_on(branch.length - 14)
        assert today <= projection.ready <= branch.people
        assert projection.low <= projection.ready <= projection.high
    result = evaluate(branches)
    assert result.count == 8 and result.bounded
    assert 0.0 <= result.forecast_mae <= 100.0 and 0.0 <= result.naive_mae <= 100.0
    assert 0.0 <= result.coverage <= 1.0


def test_a_stalled_branch_stops_growing():
    branch = simulate(random.Random(3), "stalled")
    stop = max(branch.ready_days, default=0.0)
    assert branch.ready_on(branch.length) == branch.ready_on(int(stop) + 1)


def test_the_script_prints_its_error(capsys):
    assert main(["--branches", "8", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "forecast MAE" in out and "naive" in out


def test_the_script_prints_each_seed_the_mean_and_the_best_possible(capsys):
    assert main(["--branches", "8", "--seeds", "1,2", "--floor"]) == 0
    out = capsys.readouterr().out
    assert "seed 1," in out and "seed 2," in out and "mean of 2 seeds" in out
    assert out.count("best possible from the history") == 2


def test_earlier_campaigns_are_drawn_apart_and_forecast_with():
    from benchmarks.forecast import past_campaigns

    branches = branches_for(seed=5, count=8)
    curves = past_campaigns(5, branches, keep=1.0)
    assert {c.unit_id for c in curves} == set(range(8))
    assert len(curves) == 3 * 8  # three earlier campaigns of each branch
    for curve in curves:  # the same branch a year earlier: about as many people
        assert abs(curve.people - branches[curve.unit_id].people) <= 3 or curve.people == 5
    projection = forecast_at(branches[0], branches[0].length - 14, curves, unit_id=0)
    assert projection.method == REFERENCE_CLASS
    result = evaluate(branches, references=curves, floor=True)
    assert result.count == 8 and result.bounded
    assert result.floor_mae is not None and 0.0 <= result.floor_mae <= 100.0
