"""Concurrent writers on SQLite: no "database is locked" reaches a user.

Sixteen learners at once, against a live threaded server and a file database: each saves
answers (writes) and opens a page its role may not see (a read whose refusal writes an audit
row). Every save is acknowledged, every refusal is a 403 and is audited once, and nothing is
answered 500 or 503. Before the refusal's audit row got its own write transaction, most of
those refusals failed at once with "database is locked" (SQLite cannot upgrade a read
transaction to a write one while another connection writes).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

from sqlalchemy import func, select

from tests.conftest import serving
from tests.platform.outage_support import (
    LoadClient,
    live_server,
    recording_logs,
    signed_in_client,
    start_attempt,
)

QUIZ = """\
id: writers
title: Many writers
pass_mark: 50
questions:
  - id: cost
    type: numeric
    stem: How much does a paper letter cost?
    answers:
      - value: 8
"""

CLIENTS = 16
STEPS = 12  # per client: 12 saves, 6 refused pages, 4 quiz pages


def test_sixteen_clients_saving_and_refused_never_see_a_locked_database(app_config):
    from app.extensions import db
    from app.platform.audit import AuditEvent
    from tests.assessment.quiz_factories import make_quiz
    from tests.factories import make_org, make_user

    config = {**app_config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False}
    with serving(config) as app:
        org = make_org()
        quiz = make_quiz(org.provider, QUIZ)
        learners = [make_user(org.branch_a1) for _ in range(CLIENTS)]
        with live_server(app) as base_url:
            clients = []
            for learner in learners:
                client, token = signed_in_client(app, learner, base_url)
                attempt_id = start_attempt(client, base_url, quiz.slug, token)
                clients.append(
                    LoadClient(client, token, base_url, attempt_id, "cost", extra_get="/people")
                )
            barrier = threading.Barrier(CLIENTS)

            def run(client: LoadClient) -> None:
                barrier.wait()  # all sixteen start together
                client.run(steps=STEPS)

            with recording_logs() as logs:
                threads = [threading.Thread(target=run, args=(c,)) for c in clients]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=300)
        db.session.expire_all()
        audited = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "access.denied")
        )

    outcomes = [o for c in clients for o in c.outcomes]
    by_kind = {
        kind: Counter(o.status for o in outcomes if o.kind == kind)
        for kind in ("save", "refused", "page")
    }
    assert by_kind["save"] == Counter({200: CLIENTS * STEPS}), by_kind
    assert by_kind["refused"] == Counter({403: CLIENTS * STEPS // 2}), by_kind
    assert by_kind["page"] == Counter({200: CLIENTS * STEPS // 3}), by_kind
    assert audited == CLIENTS * STEPS // 2  # each refusal audited exactly once
    locked = [r.getMessage() for r in logs.records if "locked" in r.getMessage()]
    assert locked == []
    assert not [r.getMessage() for r in logs.records if r.levelno >= logging.ERROR]
    print(f"\nwriters: {len(outcomes)} requests from {CLIENTS} clients: {by_kind}")
