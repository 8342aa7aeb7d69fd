"""Start and stop the app under gunicorn (one sync worker) for measuring."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from bench.measure import children_of

BENCH_DIR = Path(__file__).resolve().parent


def free_port() -> int:
    """Return a free local TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn master, its one worker and its base URL."""

    process: subprocess.Popen
    worker: int
    base: str

    def stop(self) -> None:
        """Stop gunicorn and its worker (their own process group)."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)


def start(repo: Path, venv_bin: Path, env: dict[str, str]) -> Server:
    """Start `bench.wsgi:application` under gunicorn; wait until it answers."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(venv_bin / "gunicorn"),
            "-c",
            str(BENCH_DIR / "gunicorn_conf.py"),
            "--pythonpath",
            str(BENCH_DIR.parent),
            "bench.wsgi:application",
        ],
        cwd=repo,
        env=dict(env, BENCH_BIND=f"127.0.0.1:{port}"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped: " + process.stderr.read().decode()[-2000:])
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.25)
    else:
        raise RuntimeError("gunicorn did not answer within a minute")
    workers = children_of(process.pid)
    if len(workers) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {workers}")
    return Server(process, workers[0], base)
