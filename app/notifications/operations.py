"""Writing to the outbox and delivering what is due (claims and retries: `claims`)."""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.notifications import claims
from app.notifications.bulk import stored_datetime
from app.notifications.mailer import (
    SmtpConnection,
    SmtpSettings,
    build_message,
    new_message_id,
    new_message_ids,
    sender_domain,
)
from app.notifications.models import OutboxEmail
from app.platform.hooks import OUTBOX_HEADERS

log = logging.getLogger(__name__)

# Messages taken per claim and sent over one SMTP connection.
BATCH_SIZE = 500


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
        message_id=new_message_id(sender_domain(claims.configured_sender())),
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
    ids = new_message_ids(sender_domain(claims.configured_sender()), len(messages))
    rows = [
        {
            "to_address": m["to_address"],
            "subject": m["subject"],
            "body_text": m["body_text"],
            "body_html": m.get("body_html"),
            "user_id": m.get("user_id"),
            "dedupe_key": m.get("dedupe_key"),
            "message_id": message_id,
        }
        for m, message_id in zip(messages, ids, strict=True)
    ]
    # The Core table, not the ORM entity: one compiled statement sent as an executemany; the
    # moment and attempts every row shares are bound once, not converted per row.
    table = OutboxEmail.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    else:  # pragma: no cover - other databases are not supported
        dialect_insert = None
    statement = (insert(table) if dialect_insert is None else dialect_insert(table)).values(
        created_at=stored_datetime(session, "shared_created_at", now),
        next_attempt_at=stored_datetime(session, "shared_next_attempt_at", now),
        attempts=0,
    )
    if dialect_insert is not None:
        # Messages whose dedupe key is already queued are skipped by the database.
        statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
    session.execute(statement, rows)
    return len(rows)


def _extra_headers(email: Any) -> dict[str, str]:
    """Ask the features' header providers for extra headers such as List-Unsubscribe.

    Providers (`app.platform.hooks.OUTBOX_HEADERS`) take the claimed message, with
    the outbox row's `id`, `user_id`, `dedupe_key`, `to_address` and `subject`.
    """
    if not has_app_context():
        return {}
    headers: dict[str, str] = {}
    for provider in OUTBOX_HEADERS.receivers():
        try:
            headers.update(provider(email) or {})
        except Exception:
            log.exception("outbox header provider %r failed; headers left out", provider)
    return headers


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    failed: int = 0
    batches: int = 0
    connections: int = 0
    stopped: str = "empty"  # "empty", "max", "time" or "refused"


def _build(settings: SmtpSettings, email: claims.ClaimedEmail) -> Message:
    return build_message(
        settings,
        email.to_address,
        email.subject,
        email.body_text,
        email.body_html,
        headers=_extra_headers(email),
        message_id=email.message_id,
        created_at=email.created_at,
    )


def deliver_batch(
    session: Session, settings: SmtpSettings, now: datetime, size: int = BATCH_SIZE
) -> DeliveryReport:
    """Claim one batch and send it over one SMTP connection, marking each message sent.

    A refused message is retried later with back-off; when the server refuses or cannot be
    reached, the rest of the batch is handed back and the report says "refused".
    """
    report = DeliveryReport()
    emails = claims.claim_batch(session, now, size)
    if not emails:
        return report
    report.batches = 1
    # One connection for the batch's marks, held throughout: no pool checkout (and no
    # pre-ping round trip) per message.
    with SmtpConnection(settings) as connection, session.get_bind().connect() as marks:
        for position, email in enumerate(emails):
            attempts = email.attempts + 1
            try:
                message = _build(settings, email)
            except Exception as exc:
                # The same row would fail the same way every time: give up on it at once.
                claims.mark_failed(session, email.id, claims.MAX_ATTEMPTS, _describe(exc), now)
                report.failed += 1
                continue
            try:
                connection.send(message, email.to_address)
            except Exception as exc:
                claims.mark_failed(session, email.id, attempts, _describe(exc), now)
                report.failed += 1
                if not _is_permanent_refusal(exc):
                    # The server is away or deferring: later messages would fail the same way.
                    claims.release(session, [rest.id for rest in emails[position + 1 :]])
                    report.stopped = "refused"
                    break
            else:
                claims.mark_sent(marks, email.id, attempts, now)
                report.sent += 1
        report.connections = connection.connections
    return report


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _is_permanent_refusal(exc: Exception) -> bool:
    """A 5xx answer about this one message (say, a bad recipient): the next may still go."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(
        exc, smtplib.SMTPAuthenticationError
    ):
        return exc.smtp_code >= 500
    return False


def deliver_outbox(
    session: Session,
    settings: SmtpSettings,
    *,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    max_messages: int | None = None,
    time_limit: float | None = None,
) -> DeliveryReport:
    """Deliver batch after batch until the outbox has nothing due (or a limit is reached)."""
    started = time.monotonic()
    total = DeliveryReport()
    while True:
        size = batch_size
        if max_messages is not None:
            size = min(size, max_messages - total.sent - total.failed)
            if size <= 0:
                total.stopped = "max"
                break
        if time_limit is not None and time.monotonic() - started >= time_limit:
            total.stopped = "time"
            break
        batch = deliver_batch(session, settings, now or utcnow(), size)
        total.sent += batch.sent
        total.failed += batch.failed
        total.batches += batch.batches
        total.connections += batch.connections
        if batch.batches == 0:
            total.stopped = "empty"
            break
        if batch.stopped == "refused":
            total.stopped = "refused"
            break
    return total


def deliver_due(
    session: Session, settings: SmtpSettings, now: datetime | None = None, limit: int = 200
) -> tuple[int, int]:
    """Send up to `limit` due messages in batches; returns (sent, failed) counts."""
    report = deliver_outbox(
        session, settings, now=now, batch_size=min(limit, BATCH_SIZE), max_messages=limit
    )
    return report.sent, report.failed
