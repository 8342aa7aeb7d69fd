"""Measuring one gunicorn worker: CPU time and memory from /proc, latency under load."""

from __future__ import annotations

import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

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
    """How to ask for one page: method, path, form data, expected statuses."""

    method: str
    path: str
    data: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    ok: tuple[int, ...] = (200,)


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
        headers=request.headers,
        allow_redirects=False,
        timeout=300,
    )


def load(sessions: list[requests.Session], base: str, request: Request, total: int) -> LoadResult:
    """Send `total` requests from len(sessions) threads at once; time each one."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    remaining = [total]

    def worker(session: requests.Session) -> None:
        while True:
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
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

    threads = [threading.Thread(target=worker, args=(s,)) for s in sessions]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return LoadResult(latencies, errors[0], time.perf_counter() - started)
