"""`flask tick`: every feature's tick task in one place, each in its own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from app.campaigns.scheduler.task import campaign_tick_task
from app.db import sqlite_begin_mode
from app.extensions import db
from app.platform.hooks import TICK_TASKS
from app.platform.tick import run_tick, tick_once
from app.readiness.operations import snapshot_tick_task
from app.web.ratelimit import ThrottleEvent, note_event, purge_old_counters

NOW_TEXT = "2027-02-01T08:00:00Z"
NOW = datetime(2027, 2, 1, 8, tzinfo=UTC)


def _note(account: str, now) -> None:
    """A throttle event, as something a task can write (and that survives only a commit)."""
    note_event(db.session, "sign_in", account=account, address="10.0.0.9", now=now)


@pytest.fixture
def tasks():
    """Connect extra tick tasks for one test, to the app the test body (and `flask`) runs in,
    with real transactions as the command has them (tests otherwise run in autocommit)."""
    target = current_app._get_current_object()
    added = []
    token = sqlite_begin_mode.set("immediate")

    def connect(*receivers):
        for receiver in receivers:
            TICK_TASKS.connect(target, receiver)
            added.append(receiver)

    db.session.rollback()
    try:
        yield connect
    finally:
        db.session.rollback()
        sqlite_begin_mode.reset(token)
        for receiver in added:
            TICK_TASKS.disconnect(target, receiver)


def _accounts() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(ThrottleEvent.account)))


def test_the_features_connect_their_tasks_campaigns_first(app):
    tasks = TICK_TASKS.receivers(app)
    assert tasks[0] is campaign_tick_task
    assert {snapshot_tick_task, purge_old_counters} <= set(tasks)


def test_flask_tick_runs_every_task_and_prints_their_figures(app, runner):
    result = runner.invoke(args=["tick", "--now", NOW_TEXT, "--no-deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("skipped=False activated=0 closed=0 assigned=0")
    assert f"tasks={len(TICK_TASKS.receivers(app))} failed=0" in result.output
    assert runner.invoke(args=["campaigns", "tick", "--now", NOW_TEXT]).output.startswith(
        result.output.strip()
    )  # the former name runs the same tick (then delivers mail)


def test_a_failing_task_is_rolled_back_alone_and_the_command_fails(app, runner, tasks):
    def writes_then_fails(session, now):
        _note("lost", now)
        session.flush()
        raise RuntimeError("broken task")

    def writes(session, now):
        _note("kept", now)
        return {"written": 1}

    tasks(writes_then_fails, writes)
    result = runner.invoke(args=["tick", "--now", NOW_TEXT, "--no-deliver"])
    assert result.exit_code == 1
    assert "written=1" in result.output and "failed=1" in result.output
    assert _accounts() == {"kept"}


def test_each_task_commits_on_its_own(app, tasks):
    seen: list[set[str]] = []

    def first(session, now):
        _note("first", now)

    def second(session, now):
        # Another connection sees the first task's work: it was committed before this one ran.
        with db.engine.connect() as other:
            seen.append(set(other.scalars(select(ThrottleEvent.account))))

    tasks(first, second)
    result = tick_once(NOW, deliver=False)
    assert result["failed"] == 0
    assert seen == [{"first"}]


def test_run_tick_keeps_everything_in_the_callers_transaction(app, tasks):
    _note("old", NOW - timedelta(days=3))
    db.session.commit()
    report = run_tick(db.session, NOW, lock=False)
    assert report.tasks == len(TICK_TASKS.receivers(app)) and report.figure("assigned") == 0
    db.session.rollback()
    assert _accounts() == {"old"}  # the purge was not committed: the caller decides


def test_the_tick_gives_sqlite_planner_statistics(app, tasks):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics itself")

    def stat_tables() -> int:
        with db.engine.connect() as other:
            return other.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
            ).scalar_one()

    _note("someone", NOW)
    db.session.commit()
    assert stat_tables() == 0  # a database nobody analysed: SQLite's planner guesses
    tick_once(NOW, deliver=False)
    assert stat_tables() == 1
    with db.engine.connect() as other:
        analysed = {row[0] for row in other.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
    assert "throttle_events" in analysed
    tick_once(NOW, deliver=False)  # later ticks only ask `PRAGMA optimize`
