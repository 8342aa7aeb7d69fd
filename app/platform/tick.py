"""The platform's tick: every feature's time-driven work, run in one place.

`flask tick` (alias `flask campaigns tick`) runs each receiver of `TICK_TASKS`
(`app.platform.hooks`) in registration order, each in its own transaction, then hands due mail
to the SMTP server. A task is called with `(session, now)`, flushes its work and may return a
mapping of figures (e.g. `{"assigned": 3}`) that the summary line prints; the tick commits.

Every task is idempotent, so a task that meets a deadlock, a serialisation failure or
"database is locked" is simply run again (up to three times). A task that fails for good is
rolled back and logged, and the others still run; the command then exits with status 1. On
PostgreSQL an advisory lock, held for the whole run, makes an overlapping run step aside
(`skipped=True`); the tasks' own database constraints prevent duplicates either way.
`flask run-scheduler` (alias `flask campaigns run-scheduler`) ticks every N seconds in-process.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import refresh_sqlite_statistics
from app.extensions import db
from app.platform.hooks import TICK_TASKS
from app.timekeeping import clock

log = logging.getLogger(__name__)

# Any fixed number works; it only has to be the same in every process.
ADVISORY_LOCK_KEY = 0x6361_6D70  # "camp": the key of the campaigns tick this tick grew from
RETRIES = 3

TickTask = Callable[[Session, datetime], Mapping[str, int] | None]


@dataclass
class TickReport:
    """What one run did: the tasks' figures, how many tasks ran and which failed."""

    skipped: bool = False
    figures: dict[str, int] = field(default_factory=dict)
    tasks: int = 0
    failed: list[str] = field(default_factory=list)

    def figure(self, name: str) -> int:
        """One figure of the run (0 when no task reported it)."""
        return self.figures.get(name, 0)

    def add(self, figures: Any) -> None:
        """Add a task's figures (tasks that return nothing add nothing)."""
        if isinstance(figures, Mapping):
            for name, value in figures.items():
                self.figures[name] = self.figures.get(name, 0) + int(value)

    def as_dict(self) -> dict[str, Any]:
        """The summary as a plain dict (for the command's line and logs)."""
        return {
            "skipped": self.skipped,
            **self.figures,
            "tasks": self.tasks,
            "failed": len(self.failed),
        }


def _task_name(task: Any) -> str:
    return f"{getattr(task, '__module__', '?')}.{getattr(task, '__qualname__', repr(task))}"


def _take_transaction_lock(session: Session) -> bool:
    """On PostgreSQL, try the tick's advisory lock until the transaction ends; SQLite's BEGIN
    IMMEDIATE already serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    )


@contextmanager
def _run_lock(lock: bool) -> Iterator[bool]:
    """Hold the tick's advisory lock for a whole run, across the tasks' transactions, on a
    connection of its own (PostgreSQL; elsewhere always held). Yields whether it is held."""
    if not lock or db.engine.dialect.name != "postgresql":
        yield True
        return
    with db.engine.connect() as connection:
        held = bool(
            connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY}
                )
                connection.commit()


def run_tick(session: Session, now: datetime, *, lock: bool = True) -> TickReport:
    """Run every tick task in the caller's transaction (demo data, tests); flushes, the caller
    commits. An error propagates: the caller's transaction is all or nothing."""
    report = TickReport()
    if lock and not _take_transaction_lock(session):
        report.skipped = True
        log.info("tick: another run holds the lock; nothing done")
        return report
    for task in TICK_TASKS.receivers():
        report.add(task(session, now))
        report.tasks += 1
    session.flush()
    log.info("tick at %s: %s", now.isoformat(), report.as_dict())
    return report


def _is_retryable(exc: DBAPIError) -> bool:
    """Deadlocks, serialisation failures and SQLite's "database is locked" are worth a retry:
    every tick task is idempotent, so running it again is always safe."""
    text_ = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40001", "40P01") or "database is locked" in text_ or "deadlock" in text_


def _run_task(task: TickTask, now: datetime, report: TickReport) -> None:
    """Run one task in its own transaction, retrying transient conflicts; a failure is rolled
    back and logged, and recorded in the report, so the other tasks still run."""
    name = _task_name(task)
    for attempt in range(1, RETRIES + 1):
        try:
            figures = task(db.session, now)
            db.session.commit()
        except DBAPIError as exc:
            db.session.rollback()
            if attempt < RETRIES and _is_retryable(exc):
                log.warning(
                    "tick: transient database conflict in %s, retrying (%s)", name, exc.orig
                )
                time.sleep(0.2 * attempt)
                continue
            log.exception("tick: task %s failed", name)
            report.failed.append(name)
        except Exception:
            db.session.rollback()
            log.exception("tick: task %s failed", name)
            report.failed.append(name)
        else:
            report.add(figures)
            report.tasks += 1
        return


def _refresh_statistics() -> None:
    """Keep SQLite's planner statistics current; a failure costs speed, never the tick."""
    try:
        refresh_sqlite_statistics(db.session.connection())
        db.session.commit()
    except DBAPIError:
        db.session.rollback()
        log.warning("tick: could not refresh SQLite's planner statistics", exc_info=True)


def tick_once(now: datetime, *, deliver: bool = True, lock: bool = True) -> dict[str, Any]:
    """Run every tick task, each in its own transaction, then deliver due mail."""
    from app.notifications.operations import deliver_due, smtp_settings_from_config

    report = TickReport()
    with _run_lock(lock) as held:
        if not held:
            report.skipped = True
            log.info("tick: another run holds the lock; nothing done")
        else:
            for task in TICK_TASKS.receivers():
                _run_task(task, now, report)
            _refresh_statistics()
            log.info("tick at %s: %s", now.isoformat(), report.as_dict())
    result = report.as_dict()
    if deliver and not report.skipped:
        # Delivery commits per message and retries failures later: a refusing or slow SMTP
        # server delays mail but loses none, and never undoes the tasks' work.
        sent, failed = deliver_due(db.session, smtp_settings_from_config(), now=now)
        result.update(mail_sent=sent, mail_failed=failed)
    return result


def _parse_now(value: str | None) -> datetime:
    if not value:
        return clock.now()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 date and time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summary(result: Mapping[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in result.items())


@click.command("tick")
@click.option("--now", "now_text", default=None, help="Run as if it were this ISO 8601 moment.")
@click.option("--deliver/--no-deliver", default=True, help="Send due outbox mail afterwards.")
@click.option(
    "--lock/--no-lock",
    default=True,
    help="Skip when another tick runs (PostgreSQL advisory lock). The database constraints "
    "prevent duplicates either way.",
)
@with_appcontext
def tick_command(now_text: str | None, deliver: bool, lock: bool) -> None:
    """Do all time-driven work once: campaigns, snapshots, clean-ups, then due mail."""
    result = tick_once(_parse_now(now_text), deliver=deliver, lock=lock)
    click.echo(_summary(result))
    if result["failed"]:
        raise click.exceptions.Exit(1)


@click.command("run-scheduler")
@click.option(
    "--every",
    default=300,
    show_default=True,
    type=click.IntRange(10, 86_400),
    help="Seconds between ticks.",
)
@click.option(
    "--count", default=0, type=click.IntRange(0), help="Stop after this many ticks (0: never)."
)
@with_appcontext
def run_scheduler_command(every: int, count: int) -> None:
    """Tick every N seconds in this process (single-machine installs only; see
    docs/SCHEDULING.md). Running it twice is safe but pointless: the database still
    prevents duplicates."""
    done = 0
    while True:
        started = time.monotonic()
        try:
            click.echo(_summary(tick_once(clock.now())))
        except Exception:
            log.exception("tick failed; trying again at the next interval")
            db.session.rollback()
        finally:
            db.session.remove()
        done += 1
        if count and done >= count:
            return
        time.sleep(max(0.0, every - (time.monotonic() - started)))
