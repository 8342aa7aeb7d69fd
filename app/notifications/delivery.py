"""When to deliver the outbox: right after the request (in a thread), and from the CLI."""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.notifications.operations import (
    BATCH_SIZE,
    DeliveryReport,
    deliver_due,
    deliver_outbox,
    smtp_settings_from_config,
)

log = logging.getLogger(__name__)


def _deliver(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_due(db.session, smtp_settings_from_config())
        except Exception:
            log.exception("outbox delivery failed")
            db.session.rollback()
        finally:
            db.session.remove()


def deliver_after_request() -> None:
    """Try to send due mail now, without making the user wait for the SMTP server.

    `MAIL_DELIVERY` = "thread" (default), "inline" (tests: deterministic) or "off" (only
    `flask mail deliver` / the scheduler sends).
    """
    mode = current_app.config.get("MAIL_DELIVERY", "thread")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if mode == "inline":
        _deliver(app)
    elif mode == "thread":
        threading.Thread(target=_deliver, args=(app,), daemon=True).start()


def deliver_with_workers(
    app: Flask,
    workers: int,
    *,
    batch_size: int = BATCH_SIZE,
    max_messages: int | None = None,
    time_limit: float | None = None,
) -> DeliveryReport:
    """Run `workers` delivery loops side by side, each claiming its own batches.

    Each batch still goes over one SMTP connection; with two or more, one loop prepares and
    records its messages while the relay answers another's, instead of both waiting in turn.
    `max_messages` is shared out between the loops.
    """
    settings = smtp_settings_from_config()
    share = None if max_messages is None else -(-max_messages // workers)
    reports: list[DeliveryReport] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        with app.app_context():
            try:
                report = deliver_outbox(
                    db.session,
                    settings,
                    batch_size=batch_size,
                    max_messages=share,
                    time_limit=time_limit,
                )
                with lock:
                    reports.append(report)
            except BaseException as error:  # re-raised by the caller's thread below
                with lock:
                    errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=work, name=f"mail-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    total = DeliveryReport()
    for report in reports:
        total.sent += report.sent
        total.failed += report.failed
        total.batches += report.batches
        total.connections += report.connections
    stops = {report.stopped for report in reports}
    total.stopped = next((s for s in ("refused", "time", "max") if s in stops), "empty")
    return total


@click.group("mail")
def mail_cli() -> None:
    """E-mail outbox commands."""


@mail_cli.command("deliver")
@click.option(
    "--max",
    "max_messages",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after trying this many messages.",
)
@click.option(
    "--time",
    "time_limit",
    type=click.FloatRange(min=0),
    default=None,
    help="Start no new batch after this many seconds.",
)
@click.option(
    "--batch",
    "batch_size",
    type=click.IntRange(min=1, max=5000),
    default=BATCH_SIZE,
    show_default=True,
    help="Messages claimed at once and sent over one SMTP connection.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=8),
    default=None,
    help="Delivery loops side by side, each with its own batches and SMTP connection "
    "[default: 2 on PostgreSQL, 1 on SQLite, whose single write lock they would share].",
)
@with_appcontext
def deliver_command(
    max_messages: int | None, time_limit: float | None, batch_size: int, workers: int | None
) -> None:
    """Send every message that is due, batch after batch, until the outbox is empty."""
    if workers is None:
        workers = 2 if db.engine.dialect.name == "postgresql" else 1
    started = time.monotonic()
    report = deliver_with_workers(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        workers,
        batch_size=batch_size,
        max_messages=max_messages,
        time_limit=time_limit,
    )
    elapsed = time.monotonic() - started
    click.echo(
        f"sent {report.sent}, failed {report.failed} in {report.batches} batches over "
        f"{report.connections} SMTP connections, {elapsed:.1f} s (stopped: {report.stopped})"
    )
    if report.stopped == "refused":
        raise SystemExit(1)
