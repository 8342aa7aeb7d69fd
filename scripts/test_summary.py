"""One summary line per test pass, read from pytest's JUnit XML (used by scripts/test)."""

from __future__ import annotations

import sys
import time
import xml.etree.ElementTree as ET  # our own pytest's report, not untrusted input
from pathlib import Path


def counts(report: Path) -> dict[str, int]:
    """Passed, failed and skipped tests in one JUnit XML report (errors count as failed)."""
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    root = ET.parse(report).getroot()
    for suite in root.iter("testsuite"):
        for key in totals:
            totals[key] += int(suite.get(key, 0))
    failed = totals["failures"] + totals["errors"]
    return {
        "passed": totals["tests"] - failed - totals["skipped"],
        "failed": failed,
        "skipped": totals["skipped"],
    }


def pass_line(name: str, status: int, start: float, report: Path) -> str:
    """`SQLite: 1385 passed, 0 failed, 1 skipped in 223 s` (or the exit status, for lint)."""
    seconds = time.time() - start
    if report.exists():
        c = counts(report)
        verdict = "" if status == 0 else f" (exit status {status})"
        return (
            f"{name}: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
            f" in {seconds:.0f} s{verdict}"
        )
    outcome = "passed" if status == 0 else f"FAILED (exit status {status}, no test report)"
    return f"{name}: {outcome} in {seconds:.0f} s"


def main(argv: list[str]) -> None:
    """Print the line for one pass, or with --total the sum over the given reports."""
    if argv[0] == "--total":
        reports = [Path(p) for p in argv[1:] if Path(p).exists()]
        total = {"passed": 0, "failed": 0, "skipped": 0}
        for report in reports:
            for key, value in counts(report).items():
                total[key] += value
        print(
            f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped"
        )
        return
    name, status, start, report = argv
    print(pass_line(name, int(status), float(start), Path(report)))


if __name__ == "__main__":
    main(sys.argv[1:])
