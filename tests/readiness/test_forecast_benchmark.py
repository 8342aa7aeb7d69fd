"""Smoke test of the forecast benchmark: its simulator and the real forecast on a few branches."""

from __future__ import annotations

import random

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
