"""When to deliver the outbox: right after the request (in a thread), and from the CLI."""

from __future__ import annotations

import logging
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.extensions import db
from app.notifications.operations import deliver_due, smtp_settings_from_config

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


@click.group("mail")
def mail_cli() -> None:
    """E-mail outbox commands."""


@mail_cli.command("deliver")
@with_appcontext
def deliver_command() -> None:
    """Send every message that is due, retrying earlier failures."""
    sent, failed = deliver_due(db.session, smtp_settings_from_config())
    click.echo(f"sent {sent}, failed {failed}")
