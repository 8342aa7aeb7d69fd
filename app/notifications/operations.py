"""Writing to the outbox and delivering what is due, with retries and back-off."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications.mailer import SmtpSettings, build_message, send_message
from app.notifications.models import OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12


def smtp_settings_from_config() -> SmtpSettings:
    """Read the SMTP settings of the running application."""
    cfg = current_app.config
    return SmtpSettings(
        host=cfg["MAIL_SERVER"],
        port=cfg["MAIL_PORT"],
        use_tls=cfg["MAIL_USE_TLS"],
        use_ssl=cfg["MAIL_USE_SSL"],
        username=cfg["MAIL_USERNAME"],
        password=cfg["MAIL_PASSWORD"],
        sender=cfg["MAIL_FROM"],
        timeout=cfg["MAIL_TIMEOUT"],
    )


def enqueue_email(
    session: Session,
    *,
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    user_id: int | None = None,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> OutboxEmail | None:
    """Add a message to the outbox in the caller's transaction.

    With a `dedupe_key` that is already in the outbox nothing is added and None is returned,
    so that a repeated run of the same work sends nothing twice.
    """
    if dedupe_key is not None:
        exists = session.scalar(select(OutboxEmail.id).where(OutboxEmail.dedupe_key == dedupe_key))
        if exists is not None:
            return None
    now = now or utcnow()
    email = OutboxEmail(
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        user_id=user_id,
        dedupe_key=dedupe_key,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(email)
    session.flush()
    return email


def enqueue_emails(
    session: Session, messages: Sequence[Mapping[str, Any]], now: datetime | None = None
) -> int:
    """Add many messages to the outbox in one statement (for scheduled work at scale).

    Each message is a mapping with `to_address`, `subject`, `body_text` and optionally
    `body_html`, `user_id` and `dedupe_key`. Messages whose dedupe key is already in the
    outbox are skipped by the database (ON CONFLICT DO NOTHING), so a repeated or concurrent
    run sends nothing twice. Returns how many rows were handed to the database.
    """
    if not messages:
        return 0
    now = now or utcnow()
    rows = [
        {
            "to_address": m["to_address"],
            "subject": m["subject"],
            "body_text": m["body_text"],
            "body_html": m.get("body_html"),
            "user_id": m.get("user_id"),
            "dedupe_key": m.get("dedupe_key"),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
        }
        for m in messages
    ]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - other databases are not supported
        dialect_insert = None
    # The Core table, not the ORM entity: one compiled statement sent as an executemany.
    table = OutboxEmail.__table__
    if dialect_insert is None:
        session.execute(insert(table), rows)
    else:
        statement = dialect_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
        session.execute(statement, rows)
    return len(rows)


def _extra_headers(email: OutboxEmail) -> dict[str, str]:
    """Ask the features' header providers (`app.extensions["outbox_header_providers"]`,
    callables taking the outbox row) for extra headers such as List-Unsubscribe."""
    if not has_app_context():
        return {}
    headers: dict[str, str] = {}
    for provider in current_app.extensions.get("outbox_header_providers", []):
        try:
            headers.update(provider(email) or {})
        except Exception:
            log.exception("outbox header provider %r failed; headers left out", provider)
    return headers


def _backoff(attempts: int) -> timedelta:
    """Wait longer after each failure: 1, 2, 4 ... minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def deliver_due(
    session: Session, settings: SmtpSettings, now: datetime | None = None, limit: int = 200
) -> tuple[int, int]:
    """Send due messages, committing after each one; returns (sent, failed) counts.

    Rows are claimed with SKIP LOCKED on PostgreSQL so that two runners never send the same
    message; on SQLite the write lock taken by the transaction does the same.
    """
    now = now or utcnow()
    sent = failed = 0
    for _ in range(limit):
        query = (
            select(OutboxEmail)
            .where(
                OutboxEmail.sent_at.is_(None),
                OutboxEmail.failed_at.is_(None),
                OutboxEmail.next_attempt_at <= now,
            )
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        email = session.scalar(query)
        if email is None:
            session.commit()
            break
        email.attempts += 1
        try:
            message = build_message(
                settings,
                email.to_address,
                email.subject,
                email.body_text,
                email.body_html,
                headers=_extra_headers(email),
            )
            send_message(settings, message)
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:500]
            if email.attempts >= MAX_ATTEMPTS:
                email.failed_at = now
                log.error("mail to outbox id=%s failed for good: %s", email.id, email.last_error)
            else:
                email.next_attempt_at = now + _backoff(email.attempts)
                log.warning("mail outbox id=%s will be retried: %s", email.id, email.last_error)
            failed += 1
        else:
            email.sent_at = now
            email.last_error = None
            sent += 1
        session.commit()
        if email.failed_at is None and email.sent_at is None:
            # The server refused; later messages would most likely fail the same way.
            break
    return sent, failed
