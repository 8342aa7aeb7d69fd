"""Two ticks at the same moment, in two threads with their own app contexts, sessions and
database connections, send nothing twice: the database decides (unique constraints, ON
CONFLICT DO NOTHING, conditional UPDATEs, SKIP LOCKED delivery), not the application.

Run on SQLite (where BEGIN IMMEDIATE serialises the two) and on PostgreSQL with
TEST_DATABASE_URL (where they really overlap); the advisory lock is switched off for the
proof, and a second test shows the lock making the overlapping run step aside.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from app.campaigns.models import Assignment, Notice, SentReminder
from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.models import Role
from tests.campaigns.builders import at, make_campaign, make_module, tick
from tests.factories import make_user


def _run_concurrently(app, now, *, lock: bool, runs: int = 2) -> list:
    """Start `runs` ticks at once, each in its own thread and app context."""
    from app.platform.tick import tick_once

    barrier = threading.Barrier(runs)
    results: list = [None] * runs

    def worker(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = tick_once(now, deliver=True, lock=lock)
            except Exception as exc:  # surfaced by the assertion below
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(isinstance(r, Exception) for r in results), results
    return results


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def busy_campaign(app, org):
    """A scheduled campaign with three modules and forty people in four branches."""
    modules = [make_module(org.provider) for _ in range(3)]
    people = []
    for n in range(40):
        branch = (org.branch_a1, org.branch_a2, org.branch_b1, org.branch_b2)[n % 4]
        people.append(make_user(branch, Role.LEARNER, email=f"p{n}@example.org"))
    make_user(org.network, Role.MANAGER, email="boss@example.org")
    campaign = make_campaign(
        owner_unit=org.network, modules=modules, units=[org.network], schedule=True, roles=[]
    )
    return campaign, people


def test_two_ticks_at_once_send_nothing_twice(app, busy_campaign, smtp_server):
    campaign, people = busy_campaign
    # Launch: 41 people (40 learners and the manager) × 3 modules.
    results = _run_concurrently(app, at("2027-02-01T07:00"), lock=False)
    assert sum(r["assigned"] for r in results) == 41 * 3
    assert sum(r["announced"] for r in results) == 41 * 3
    assert _count(Assignment) == 41 * 3
    # The 21-day reminder and the digest, both ticks again at once.
    results = _run_concurrently(app, at("2027-02-08T07:00"), lock=False)
    assert sum(r["reminders"] for r in results) == 41
    assert sum(r["digests"] for r in results) == 1
    assert _count(SentReminder) == 42
    # Every e-mail exactly once: 41 announcements + 41 reminders + 1 digest.
    assert _count(OutboxEmail) == 83
    assert _count(Notice) == 83
    received = Counter((m["To"], m["Subject"]) for m in smtp_server.messages)
    assert len(smtp_server.messages) == 83
    assert max(received.values()) == 1


def test_the_advisory_lock_lets_one_run_step_aside(app, busy_campaign, smtp_server):
    results = _run_concurrently(app, at("2027-02-01T07:00"), lock=True)
    assert _count(Assignment) == 41 * 3
    assert len(smtp_server.messages) == 41
    if db.engine.dialect.name == "postgresql":
        # Either the second run was skipped, or it started after the first committed.
        assert any(r["skipped"] for r in results) or min(r["assigned"] for r in results) == 0
    # A later run finds nothing left to do.
    assert tick(at("2027-02-01T07:00"))["assigned"] == 0
