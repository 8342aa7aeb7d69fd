"""Measuring one gunicorn worker: CPU time and memory from /proc, latency under load."""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process has used (Linux /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_of(pids: list[int]) -> float:
    """Return the CPU seconds of several processes (those that ended count as 0)."""
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:
            continue
    return total


def rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_of(pid: int) -> list[int]:
    """Return the ids of a process's children (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rfind(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@dataclass
class Request:
    """How to ask for one page: method, path, form data or JSON body, expected statuses."""

    method: str
    path: str
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)
    json: Any = None


# One request of a virtual user: who sends it and what. A lane is one virtual user's requests,
# sent in order; a phase runs its lanes at once.
Job = tuple[requests.Session, Request]
Lane = list[Job]


@dataclass
class LoadResult:
    """Latencies (seconds) and errors of a load phase."""

    latencies: list[float]
    errors: int
    seconds: float

    @property
    def rps(self) -> float:
        """Return requests per second over the phase."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Return a latency percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
        return 1000 * ordered[index]

    @property
    def median_ms(self) -> float:
        """Return the median latency in milliseconds."""
        return 1000 * statistics.median(self.latencies) if self.latencies else 0.0


def send(session: requests.Session, base: str, request: Request) -> requests.Response:
    """Send one request (redirects not followed: a redirect is an answer too)."""
    return session.request(
        request.method,
        base + request.path,
        data=request.data,
        json=request.json,
        headers=request.headers,
        allow_redirects=False,
        timeout=300,
    )


def lanes_of(sessions: list[requests.Session], request: Request, total: int) -> list[Lane]:
    """Share `total` sends of one request among the sessions, one lane each."""
    count = len(sessions)
    return [
        [(session, request)] * (total // count + (1 if index < total % count else 0))
        for index, session in enumerate(sessions)
    ]


def load(sessions: list[requests.Session], base: str, request: Request, total: int) -> LoadResult:
    """Send `total` requests from len(sessions) threads at once; time each one."""
    return load_lanes(lanes_of(sessions, request, total), base)


def load_lanes(lanes: list[Lane], base: str) -> LoadResult:
    """Send every lane's requests in order, one thread per lane, all lanes at once; time each."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker(lane: Lane) -> None:
        for session, request in lane:
            started = time.perf_counter()
            try:
                status = send(session, base, request).status_code
            except requests.RequestException:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status not in request.ok:
                    errors[0] += 1

    threads = [threading.Thread(target=worker, args=(lane,)) for lane in lanes]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(latencies, errors[0], time.perf_counter() - started)


# Prepares the lanes of a phase: (clients, requests) -> lanes. Called before the phase's CPU
# reading starts, so what it sends (new attempts, say) is not measured.
LanesFor = Callable[[int, int], list[Lane]]


def measure_scenario(ctx: dict[str, Any], lanes_for: LanesFor, total: int) -> dict[str, Any]:
    """Measure one scenario: a probe, a warm-up, then each concurrency phase of `total`.

    ctx: "base" (URL), "concurrency" (client counts), "worker" (pid), "db_pids" (a callable
    giving the database's backend pids).
    """
    base = ctx["base"]
    [[(session, request)]] = lanes_for(1, 1)
    probe = send(session, base, request)
    row: dict[str, Any] = {
        "status": probe.status_code,
        "expected": list(request.ok),
        "kb": len(probe.content) / 1024,
        "sql": probe.headers.get("X-Bench-SQL", "-"),
        "errors": 0,
    }
    for lane in lanes_for(1, 3):
        for session, request in lane:
            send(session, base, request)
    for clients in ctx["concurrency"]:
        lanes = lanes_for(clients, total)
        pids = [ctx["worker"], *ctx["db_pids"]()]
        before_worker, before_all = cpu_of(pids[:1]), cpu_of(pids)
        result = load_lanes(lanes, base)
        spent_worker, spent_all = cpu_of(pids[:1]) - before_worker, cpu_of(pids) - before_all
        if clients == 1:
            row["cpu_ms"] = 1000 * spent_worker / total
            # A backend that ends during the phase takes its CPU time with it: never below 0.
            row["db_ms"] = max(0.0, 1000 * (spent_all - spent_worker) / total)
        row[f"c{clients}"] = {
            "rps": result.rps,
            "p50": result.percentile(0.50),
            "p95": result.percentile(0.95),
            "p99": result.percentile(0.99),
        }
        row["errors"] += result.errors
    row["rss_mb"] = rss_mb(ctx["worker"])
    return row
