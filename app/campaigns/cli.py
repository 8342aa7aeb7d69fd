"""`flask campaigns tick` (all time-driven work, once) and `flask campaigns run-scheduler`
(an in-process loop for a single-machine install)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError, OperationalError

from app.extensions import db
from app.timekeeping import clock

log = logging.getLogger(__name__)

RETRIES = 3


def _parse_now(value: str | None) -> datetime:
    if not value:
        return clock.now()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO 8601 date and time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_retryable(exc: DBAPIError) -> bool:
    """Deadlocks, serialisation failures and SQLite's "database is locked" are worth a retry:
    the tick is idempotent, so running it again is always safe."""
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in ("40001", "40P01") or "database is locked" in text or "deadlock" in text


def tick_once(now: datetime, *, deliver: bool = True, lock: bool = True) -> dict:
    """Run the tick in one transaction (retrying transient conflicts), then deliver mail."""
    from app.campaigns.scheduler import run_tick
    from app.notifications.operations import deliver_due, smtp_settings_from_config

    for attempt in range(1, RETRIES + 1):
        try:
            report = run_tick(db.session, now, lock=lock)
            db.session.commit()
            break
        except (OperationalError, DBAPIError) as exc:
            db.session.rollback()
            if attempt == RETRIES or not _is_retryable(exc):
                raise
            log.warning("campaigns tick: transient database conflict, retrying (%s)", exc.orig)
            time.sleep(0.2 * attempt)
    result = report.as_dict()
    if deliver and not report.skipped:
        # Delivery commits per message and retries failures later: a refusing or slow SMTP
        # server delays mail but loses none, and never undoes the tick's work.
        sent, failed = deliver_due(db.session, smtp_settings_from_config(), now=now)
        result.update(mail_sent=sent, mail_failed=failed)
    return result


@click.group("campaigns")
def campaigns_cli() -> None:
    """Campaign commands: the scheduler tick."""


@campaigns_cli.command("tick")
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
    """Do all time-driven campaign work: states, assignments, reminders, digests, notices."""
    result = tick_once(_parse_now(now_text), deliver=deliver, lock=lock)
    click.echo(" ".join(f"{key}={value}" for key, value in result.items()))


@campaigns_cli.command("run-scheduler")
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
            result = tick_once(clock.now())
            click.echo(" ".join(f"{key}={value}" for key, value in result.items()))
        except Exception:
            log.exception("campaigns tick failed; trying again at the next interval")
            db.session.rollback()
        finally:
            db.session.remove()
        done += 1
        if count and done >= count:
            return
        time.sleep(max(0.0, every - (time.monotonic() - started)))
