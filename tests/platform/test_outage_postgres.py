"""PostgreSQL stopped and restarted under load: 503s with Retry-After, nothing acknowledged lost.

The test starts a PostgreSQL server of its own (stopping the suite's shared one would break
other tests), serves the app from a live threaded server, and runs four learners who save
numbered answers and open their quiz page. It stops the server, checks every answer during the
outage, starts it again and checks that service is back within a second and that the answer
stored for each learner is the last one acknowledged, or a later one.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import pytest
from sqlalchemy import select

from tests.conftest import FAST_HASH, migrate, serving
from tests.platform.outage_support import (
    LoadClient,
    live_server,
    recording_logs,
    signed_in_client,
    start_attempt,
    throwaway_postgres,
    wait_until,
)

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="the PostgreSQL outage test runs with TEST_DATABASE_URL=postgresql...",
    ),
]

QUIZ = """\
id: outage-load
title: Outage under load
pass_mark: 50
questions:
  - id: cost
    type: numeric
    stem: How much does a paper letter cost?
    answers:
      - value: 8
"""

CLIENTS = 4


def _config(url: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        # As in production: errors are answered by the handlers, never re-raised.
        "TESTING": False,
        "PROPAGATE_EXCEPTIONS": False,
        "PASSWORD_HASH": dict(FAST_HASH),
        "MAIL_DELIVERY": "off",
        "SERVER_NAME": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "DB_UNAVAILABLE_RETRY_AFTER": 2,
    }


def test_postgres_stopped_and_restarted_under_load(_env):
    from app.assessment.models import AttemptAnswer
    from app.extensions import db
    from tests.assessment.quiz_factories import make_quiz
    from tests.factories import make_org, make_user

    with throwaway_postgres() as postgres:
        migrate(postgres.url, _env)
        with serving(_config(postgres.url)) as app:
            org = make_org()
            quiz = make_quiz(org.provider, QUIZ)
            learners = [make_user(org.branch_a1) for _ in range(CLIENTS)]
            with live_server(app) as base_url:
                clients = []
                for learner in learners:
                    client, token = signed_in_client(app, learner, base_url)
                    attempt_id = start_attempt(client, base_url, quiz.slug, token)
                    clients.append(LoadClient(client, token, base_url, attempt_id, "cost"))
                # The test's own session lets go of its connection, which the stop would kill.
                db.session.remove()
                threads = [threading.Thread(target=c.run, daemon=True) for c in clients]
                for thread in threads:
                    thread.start()
                try:
                    wait_until(lambda: all(len(c.acked()) >= 5 for c in clients), 30, "warm-up")
                    with recording_logs() as logs:
                        postgres.stop("fast")
                        stopped_at = time.monotonic()
                        wait_until(
                            lambda: all(
                                sum(1 for o in c.outcomes if o.at > stopped_at and o.status == 503)
                                >= 3
                                for c in clients
                            ),
                            30,
                            "503s from every client",
                        )
                        postgres.start()
                        back_at = time.monotonic()
                        wait_until(
                            lambda: all(
                                sum(1 for o in c.outcomes if o.at > back_at and o.status == 200)
                                >= 3
                                for c in clients
                            ),
                            30,
                            "service back for every client",
                        )
                finally:
                    for client in clients:
                        client.stop.set()
                    for thread in threads:
                        thread.join(timeout=30)

            stored = {
                a.attempt_id: int(a.response) for a in db.session.scalars(select(AttemptAnswer))
            }

    outcomes = [o for c in clients for o in c.outcomes]
    statuses = {o.status for o in outcomes}
    assert statuses <= {200, 503}, sorted(statuses)  # no 500, no dropped connection

    during = [o for o in outcomes if o.status == 503]
    assert during, "the outage was not seen"
    for outcome in during:
        assert outcome.retry_after and int(outcome.retry_after) == 2
        assert outcome.has_csp
        if outcome.kind == "save":
            assert outcome.mimetype == "application/json" and outcome.code == "service_unavailable"
        else:
            assert outcome.mimetype == "text/html"
    assert {o.kind for o in during} == {"save", "page"}

    # Service back within a second of the database accepting connections again.
    recovery = max(
        min(o.at for o in client.outcomes if o.at > back_at and o.status == 200) - back_at
        for client in clients
    )
    assert recovery < 1.0
    print(
        f"\noutage: {len(outcomes)} requests, {sum(len(c.acked()) for c in clients)} saves "
        f"acknowledged, {len(during)} answered 503, every client served again "
        f"{recovery:.3f} s after PostgreSQL was back"
    )

    # Nothing acknowledged is lost: each learner's stored answer is the last acknowledged
    # value or a later one (a save may commit and then fail to answer).
    for client in clients:
        assert stored[client.attempt_id] >= max(client.acked())
        assert stored[client.attempt_id] <= client.counter

    # One log line per failing request, and not a single traceback.
    lines = [r for r in logs.records if "database unavailable" in r.getMessage()]
    assert len(lines) == len(during)
    assert not [r.getMessage() for r in logs.records if r.exc_info or r.levelno >= logging.ERROR]
    assert len(logs.records) == len(lines), [r.getMessage() for r in logs.records][:10]
