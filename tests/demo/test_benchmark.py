"""Smoke test of `benchmarks/run.py` at size XS: every scenario measured, no errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = (
    "bare endpoint", "app /healthz", "home", "my learning", "catalogue", "module page",
    "reader page", "quiz start", "readiness index", "campaign readiness", "CSV export",
    "whole-network readiness", "heat map export", "xAPI statements API", "next page", "save answer",
    "submit",
)  # fmt: skip


@pytest.mark.slow
def test_the_benchmark_prints_a_row_for_every_scenario(tmp_path: Path):
    if os.environ.get("TEST_DATABASE_URL"):
        # The smoke run always generates and serves SQLite (below): in the PostgreSQL pass it
        # would be the same minute of work again.
        pytest.skip("the benchmark's smoke run is SQLite's; the SQLite pass runs it")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "BENCH_"))}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "run.py"),
            "--size",
            "XS",
            "--requests",
            "4",
            "--concurrency",
            "1,4",
            "--data-dir",
            str(tmp_path),
        ],  # fmt: skip
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {
        line.split("|")[1].strip(): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in done.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| scenario")
    }
    for name in SCENARIOS:
        assert name in rows, f"no row for {name}:\n{done.stdout}"
        cells = rows[name]
        assert len(cells) == 11, f"{name}: {cells}"
        assert cells[-2] == "0", f"{name} had errors: {cells}"
    assert float(rows["home"][0]) >= 0  # CPU time was read from /proc
    assert int(rows["home"][3]) > 0  # the SQL count header was there
    for command in ("flask campaigns tick", "flask mail deliver"):
        assert command in rows, done.stdout
