"""Helpers of the outage and concurrency tests: a throw-away PostgreSQL, a live server, clients."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import free_port

CSRF_META = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian layout), or None."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@dataclass
class ThrowawayPostgres:
    """A PostgreSQL server of the test's own, on 127.0.0.1 and a free port (root: as postgres)."""

    bin: Path
    folder: Path
    port: int

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/outage"

    def _run(self, *args: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        """Create the cluster (trust authentication: loopback and a throw-away folder only)."""
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} "
            "-c fsync=off -c full_page_writes=off -c max_connections=100"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: roll back open transactions, close every connection)."""
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "-w", "stop"
        )


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """Start a PostgreSQL server of our own (stopping it must not disturb any other test)."""
    pg_bin = postgres_bin()
    if pg_bin is None:
        import pytest

        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="outage-pg-"))
    server = ThrowawayPostgres(bin=pg_bin, folder=folder, port=free_port())
    try:
        server.init()
        server.start()
        import sqlalchemy as sa

        admin = sa.create_engine(
            server.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE outage"))
        admin.dispose()
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve `app` from a threaded werkzeug server on loopback; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def signed_in_client(app: Any, user: Any, base_url: str) -> tuple[requests.Session, str]:
    """An HTTP client whose session cookie signs `user` in; returns it and a CSRF token."""
    from flask.sessions import SecureCookieSessionInterface

    now = int(time.time())
    data = {"_user_id": user.get_id(), "_fresh": True, "login_at": now, "seen_at": now}
    cookie = SecureCookieSessionInterface().get_signing_serializer(app).dumps(data)
    client = requests.Session()
    client.cookies.set(app.config["SESSION_COOKIE_NAME"], cookie, domain="127.0.0.1", path="/")
    page = client.get(f"{base_url}/home", timeout=10)
    page.raise_for_status()
    match = CSRF_META.search(page.text)
    assert match, "no CSRF token on the home page"
    return client, match.group(1)


def start_attempt(client: requests.Session, base_url: str, slug: str, token: str) -> int:
    """Start an attempt through the quiz's start form; returns the attempt id."""
    reply = client.post(
        f"{base_url}/quizzes/{slug}/attempts", data={"csrf_token": token}, timeout=10
    )
    reply.raise_for_status()
    match = re.search(r"/attempts/(\d+)", reply.url)
    assert match, reply.url
    return int(match.group(1))


@dataclass
class Outcome:
    """One request of a load client: what it was, when, and what came back."""

    kind: str  # "save", "page" or "refused"
    status: int
    at: float
    value: int | None = None
    retry_after: str | None = None
    mimetype: str = ""
    code: str | None = None
    has_csp: bool = False


@dataclass
class LoadClient:
    """A learner saving answers (numbered, so the last acknowledged one can be checked)."""

    client: requests.Session
    token: str
    base_url: str
    attempt_id: int
    question_id: str
    extra_get: str | None = None  # a page the client may not see (a refusal to provoke)
    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    counter: int = 0

    def save(self) -> None:
        """Autosave the next number as the answer."""
        self.counter += 1
        value = self.counter
        try:
            reply = self.client.post(
                f"{self.base_url}/attempts/{self.attempt_id}/answers",
                json={"question_id": self.question_id, "response": str(value)},
                headers={"X-CSRFToken": self.token, "Accept": "application/json"},
                timeout=30,
            )
        except requests.RequestException:
            self.outcomes.append(Outcome("save", 0, time.monotonic(), value))
            return
        self.outcomes.append(_outcome("save", reply, value))

    def get(self, path: str, kind: str) -> None:
        """Open a page as a browser would."""
        try:
            reply = self.client.get(
                f"{self.base_url}{path}", headers={"Accept": "text/html"}, timeout=30
            )
        except requests.RequestException:
            self.outcomes.append(Outcome(kind, 0, time.monotonic()))
            return
        self.outcomes.append(_outcome(kind, reply))

    def run(self, steps: int | None = None) -> None:
        """Save, open a page, save, maybe provoke a refusal; until told to stop (or `steps`)."""
        step = 0
        while not self.stop.is_set() and (steps is None or step < steps):
            step += 1
            self.save()
            if step % 3 == 0:
                self.get(f"/attempts/{self.attempt_id}", "page")
            if self.extra_get and step % 2 == 0:
                self.get(self.extra_get, "refused")

    def acked(self) -> list[int]:
        """The values the server acknowledged with a 2xx."""
        return [o.value for o in self.outcomes if o.kind == "save" and 200 <= o.status < 300]


def _outcome(kind: str, reply: requests.Response, value: int | None = None) -> Outcome:
    code = None
    if reply.headers.get("Content-Type", "").startswith("application/json"):
        try:
            code = (reply.json().get("error") or {}).get("code")
        except ValueError:
            code = "not-json"
    return Outcome(
        kind,
        reply.status_code,
        time.monotonic(),
        value,
        reply.headers.get("Retry-After"),
        reply.headers.get("Content-Type", "").split(";")[0],
        code,
        "Content-Security-Policy" in reply.headers,
    )


class RecordingHandler(logging.Handler):
    """Keeps every log record (to count lines per failing request and find tracebacks)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lock_ = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self.lock_:
            self.records.append(record)


@contextmanager
def recording_logs() -> Iterator[RecordingHandler]:
    """Record what every logger says at WARNING and above while the block runs."""
    handler = RecordingHandler()
    handler.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def wait_until(condition: Any, timeout: float, what: str) -> None:
    """Poll `condition` (an event to wait for, not the clock) until true or fail after timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
