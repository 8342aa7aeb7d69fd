"""Forwarding to an LRS: a real Ralph LRS on loopback (down and back up), and a fake one for
the headers, refusals and back-off."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from app.extensions import db
from app.people.models import Role
from app.tracking.lrs import LrsSettings, _claim, backoff, forward_due
from app.tracking.models import Statement, StatementOutbox
from tests.conftest import free_port
from tests.factories import make_org, make_user
from tests.lrs.ralph_venv import ralph_bin
from tests.tracking.helpers import T0, make_module, read_pages, take_quiz

USERNAME = "platform"
PASSWORD = "lrs-secret-password"


# Ralph 5.1's file-system LRS backend opens its statements file in "create" mode, so only the
# first write ever succeeds and every later POST of new statements answers 500 ("already exists
# and overwrite is not allowed"). This start-up hook, loaded only by the Ralph processes of this
# test (PYTHONPATH), makes that dev backend append instead; the HTTP API, authentication,
# validation and duplicate handling under test are Ralph's own.
RALPH_APPEND_PATCH = """
try:
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
except Exception:  # not a Ralph process, or another Ralph: leave it alone
    pass
"""


class RalphLrs:
    """A Ralph LRS (`ralph runserver -b fs`) in a subprocess, with its own data and credentials."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/xAPI/"
        self.data = folder / "data"
        self.data.mkdir(parents=True)
        hooks = folder / "hooks"
        hooks.mkdir()
        (hooks / "sitecustomize.py").write_text(RALPH_APPEND_PATCH)
        self.log = folder / "ralph.log"
        self.process: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "RALPH_APP_DIR": str(folder / "app"),
            "RALPH_AUTH_FILE": str(folder / "app" / "auth.json"),
            "RALPH_RUNSERVER_BACKEND": "fs",
            "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.data),
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(hooks), os.environ.get("PYTHONPATH", "")])
            ),
        }
        self.executable = str(ralph_bin("ralph"))

    def write_credentials(self) -> None:
        """`ralph auth ... -w`: store our Basic-auth user in the LRS's credentials file."""
        subprocess.run(
            [
                self.executable,
                "auth",
                "-u",
                USERNAME,
                "-p",
                PASSWORD,
                "-s",
                "all",
                "-M",
                "mailto:platform@example.org",
                "-w",
            ],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        """Start the server and wait until it answers."""
        handle = self.log.open("ab")
        self.process = subprocess.Popen(
            [self.executable, "runserver", "-b", "fs", "--host", "127.0.0.1", "-p", str(self.port)],
            env=self.env,
            cwd=self.folder,  # runserver's auto-reload watches the working directory
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("ralph runserver exited:\n" + self.log.read_text()[-2000:])
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=1
                ):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("ralph runserver did not answer:\n" + self.log.read_text()[-2000:])

    def stop(self) -> None:
        """Stop the server (the LRS is down)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stored_ids(self) -> list[str]:
        """Every statement id the LRS stored, in order, duplicates included."""
        path = self.data / "fs_lrs.jsonl"
        if not path.exists():
            return []
        items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [item.get("statement", item)["id"] for item in items]

    def fetch_statements(self) -> list[dict]:
        """Read the statements back through the LRS's own xAPI API."""
        credentials = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        request = urllib.request.Request(
            f"{self.url}statements?limit=500",
            headers={"Authorization": f"Basic {credentials}", "X-Experience-API-Version": "1.0.3"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())["statements"]


@pytest.fixture
def ralph(tmp_path: Path) -> Iterator[RalphLrs]:
    lrs = RalphLrs(tmp_path / "ralph")
    lrs.write_credentials()
    lrs.start()
    yield lrs
    lrs.stop()


def settings_for(url: str, **extra) -> LrsSettings:
    return LrsSettings(url=url, username=USERNAME, password=PASSWORD, timeout=3, **extra)


def pending() -> int:
    return db.session.scalar(
        select(func.count(StatementOutbox.id)).where(StatementOutbox.sent_at.is_(None))
    )


@pytest.fixture
def learning(app):
    """The app records into the outbox (XAPI_LRS_URL is set); a learner and a module."""
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER)
    built = make_module(org.provider, languages={"fr": 3}, with_quiz=True)
    return learner, built


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config.update(
        {
            "XAPI_LRS_URL": "http://127.0.0.1:9/xAPI/",  # tests pass their own settings
            "XAPI_LRS_USERNAME": USERNAME,
            "XAPI_LRS_PASSWORD": PASSWORD,
        }
    )
    return app_config


@pytest.mark.slow
def test_statements_reach_a_real_ralph_lrs_once_even_when_it_was_down(learning, ralph):
    learner, built = learning
    settings = settings_for(ralph.url, batch_size=2)
    read_pages(learner, built.page_ids()[:2])
    assert pending() == 3  # launched + 2 experienced, queued in the same transactions

    report = forward_due(db.session, settings, T0 + timedelta(minutes=5))
    assert (report.sent, report.failed) == (3, 0) and report.batches == 2
    ours = db.session.scalars(select(Statement.uuid).order_by(Statement.id)).all()
    assert ralph.stored_ids() == ours
    served = {statement["id"]: statement for statement in ralph.fetch_statements()}
    assert served.keys() == set(ours)
    assert served[ours[1]]["verb"]["id"].endswith("/experienced")

    ralph.stop()
    started = time.monotonic()
    read_pages(learner, built.page_ids()[2:], now=T0 + timedelta(minutes=10))
    take_quiz(learner, built.quiz, correct=True, now=T0 + timedelta(minutes=20))
    assert time.monotonic() - started < 5  # learning does not wait for the LRS
    waiting = pending()
    assert waiting == 6  # experienced, attempted, 2 answered, passed, completed

    moment = T0 + timedelta(minutes=30)
    report = forward_due(db.session, settings, moment)
    assert report.sent == 0 and report.failed == 2  # the first batch failed; the run stopped
    assert pending() == waiting
    failed = db.session.scalars(
        select(StatementOutbox)
        .where(StatementOutbox.attempts == 1, StatementOutbox.sent_at.is_(None))
        .order_by(StatementOutbox.id)
    ).all()
    assert len(failed) == 2
    assert all(row.next_attempt_at == moment + backoff(1) and row.last_error for row in failed)
    assert all(row.claimed_until is None for row in failed)

    ralph.start()
    # Still inside the back-off of the failed rows: the others go, the failed ones wait.
    early = forward_due(db.session, settings, moment + timedelta(seconds=30))
    assert early.sent == waiting - 2 and pending() == 2
    later = forward_due(db.session, settings, moment + backoff(1))
    assert later.sent == 2 and pending() == 0
    ours = db.session.scalars(select(Statement.uuid).order_by(Statement.id)).all()
    assert sorted(ralph.stored_ids()) == sorted(ours)  # each statement exactly once
    assert forward_due(db.session, settings, moment + timedelta(hours=1)).batches == 0

    # A crash between the LRS's answer and our commit sends a batch again: the LRS keeps one.
    db.session.execute(update(StatementOutbox).values(sent_at=None))
    db.session.commit()
    again = forward_due(db.session, settings, moment + timedelta(hours=2))
    assert again.sent == len(ours) and again.failed == 0
    assert sorted(ralph.stored_ids()) == sorted(ours)


class FakeLrs:
    """A tiny LRS stand-in that records requests and answers with chosen statuses."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.refuse_ids: set[str] = set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {key.lower(): value for key, value in self.headers.items()}
                fake.requests.append({"path": self.path, "headers": headers, "body": body})
                status = fake.statuses.pop(0) if fake.statuses else 200
                if any(s["id"] in fake.refuse_ids for s in body):
                    status = 400
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps([s["id"] for s in body]).encode())

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/lrs/xAPI"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_lrs() -> Iterator[FakeLrs]:
    lrs = FakeLrs()
    yield lrs
    lrs.close()


def test_requests_carry_the_xapi_version_and_basic_auth(learning, fake_lrs):
    learner, built = learning
    read_pages(learner, built.page_ids()[:1])
    report = forward_due(db.session, settings_for(fake_lrs.url), T0)
    assert report.sent == 2
    request = fake_lrs.requests[0]
    assert request["path"] == "/lrs/xAPI/statements"
    assert request["headers"]["x-experience-api-version"] == "1.0.3"
    expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    assert request["headers"]["authorization"] == f"Basic {expected}"
    assert request["headers"]["content-type"].startswith("application/json")
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in request["body"]] == [
        "launched",
        "experienced",
    ]


def test_server_errors_are_retried_with_growing_back_off(learning, fake_lrs):
    learner, built = learning
    read_pages(learner, built.page_ids()[:1])
    settings = settings_for(fake_lrs.url)
    fake_lrs.statuses = [503, 503]
    forward_due(db.session, settings, T0)
    forward_due(db.session, settings, T0 + backoff(1))
    row = db.session.scalars(select(StatementOutbox)).first()
    assert row.attempts == 2 and row.next_attempt_at == T0 + backoff(1) + backoff(2)
    assert "HTTP 503" in row.last_error
    assert backoff(2) == timedelta(minutes=2) and backoff(30) == timedelta(hours=1)
    assert forward_due(db.session, settings, T0 + timedelta(hours=1)).sent == 2
    assert pending() == 0


def test_a_statement_the_lrs_refuses_is_parked_and_the_others_go(learning, fake_lrs, runner):
    learner, built = learning
    read_pages(learner, built.page_ids()[:2])
    bad = db.session.scalars(select(Statement.uuid).order_by(Statement.id)).all()[1]
    fake_lrs.refuse_ids = {bad}
    report = forward_due(db.session, settings_for(fake_lrs.url), T0 + timedelta(hours=1))
    assert (report.sent, report.parked) == (2, 1)
    parked = db.session.scalars(
        select(StatementOutbox).where(StatementOutbox.failed_at.is_not(None))
    ).all()
    assert len(parked) == 1 and "HTTP 400" in parked[0].last_error
    fake_lrs.refuse_ids = set()
    from flask import current_app

    current_app.config["XAPI_LRS_URL"] = fake_lrs.url
    result = runner.invoke(args=["tracking", "forward", "--retry-parked"])
    assert result.exit_code == 0, result.output
    assert "1 parked statement(s) put back" in result.output and "sent 1" in result.output


def test_two_runners_never_claim_the_same_rows(learning):
    learner, built = learning
    read_pages(learner, built.page_ids())
    settings = settings_for("http://127.0.0.1:9/", batch_size=2)
    now = T0 + timedelta(hours=1)
    first = _claim(db.session, settings, now, "runner-a")
    second = _claim(db.session, settings, now, "runner-b")
    assert len(first) == 2 and len(second) == 2
    assert {row_id for row_id, _ in first}.isdisjoint({row_id for row_id, _ in second})
    # After the lease, unsettled rows (a runner that died) can be claimed again.
    third = _claim(db.session, settings, now + settings.lease + timedelta(seconds=1), "runner-c")
    assert {row_id for row_id, _ in third} == {row_id for row_id, _ in first}


def test_without_an_lrs_nothing_is_queued(app_config, tmp_path):
    from tests.conftest import serving

    config = dict(app_config, XAPI_LRS_URL=None)
    with serving(config):
        org = make_org()
        learner = make_user(org.branch_a1, Role.LEARNER)
        built = make_module(org.provider, languages={"fr": 1})
        read_pages(learner, built.page_ids())
        assert db.session.scalar(select(func.count(Statement.id))) == 3
        assert db.session.scalar(select(func.count(StatementOutbox.id))) == 0


def test_postgresql_claims_skip_rows_locked_by_another_runner(learning):
    """A runner holding its claim transaction open does not block nor share rows (SKIP LOCKED)."""
    from sqlalchemy.orm import Session

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises writers instead")
    learner, built = learning
    read_pages(learner, built.page_ids(), now=T0)
    settings = settings_for("http://127.0.0.1:9/", batch_size=2)
    now = T0 + timedelta(hours=1)
    with Session(db.engine) as holder:
        held = holder.scalars(
            select(StatementOutbox.id)
            .order_by(StatementOutbox.id)
            .limit(2)
            .with_for_update(skip_locked=True)
        ).all()
        with Session(db.engine) as runner_session:
            claimed = _claim(runner_session, settings, now, "runner-b")
        holder.rollback()
    assert len(held) == 2 and len(claimed) == 2
    assert set(held).isdisjoint(row_id for row_id, _ in claimed)


def test_thread_delivery_forwards_right_after_the_reader_request(app, fake_lrs):
    """With XAPI_LRS_DELIVERY=thread, the page view is answered first and forwarded after."""
    import re

    from tests.conftest import csrf_token_from, login_as

    app.config.update(XAPI_LRS_URL=fake_lrs.url, XAPI_LRS_DELIVERY="thread")
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER)
    make_module(org.provider, slug="threaded", languages={"fr": 2})
    client = app.test_client()
    login_as(client, learner)
    html = client.get("/modules/threaded/pages/1").get_data(as_text=True)
    version_id = re.search(r'name="version_id" value="(\d+)"', html).group(1)
    response = client.post(
        "/modules/threaded/pages/1/done",
        data={"csrf_token": csrf_token_from(html), "version_id": version_id, "language": "fr"},
    )
    assert response.status_code == 303
    deadline = time.monotonic() + 10
    while pending() and time.monotonic() < deadline:
        time.sleep(0.05)
        db.session.expire_all()
    assert pending() == 0
    assert [len(request["body"]) for request in fake_lrs.requests] == [2]
