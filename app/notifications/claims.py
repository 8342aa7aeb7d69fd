"""The outbox's bookkeeping: claiming due messages under a lease, marking them sent or failed.

A claim holds a batch of messages for one delivery run; a run that crashed leaves its
messages to the next run once the lease has passed. Failures are retried with back-off
until `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.notifications.mailer import new_message_id, sender_domain
from app.notifications.models import OutboxEmail

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
# How long a claim holds: a run that crashed leaves its messages to the next run after this.
# Far longer than one batch takes (500 messages in well under a minute on a healthy relay).
CLAIM_LEASE = timedelta(minutes=10)


def configured_sender() -> str:
    """The configured sender address (for the Message-ID's domain)."""
    if has_app_context():
        return current_app.config.get("MAIL_FROM") or "no-reply@readiness.local"
    return "no-reply@readiness.local"


def _backoff(attempts: int) -> timedelta:
    """Wait longer after each failure: 1, 2, 4 ... minutes, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _due(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    """Messages waiting to be sent, not held by a live delivery run."""
    return and_(
        OutboxEmail.sent_at.is_(None),
        OutboxEmail.failed_at.is_(None),
        OutboxEmail.next_attempt_at <= now,
        or_(OutboxEmail.claimed_at.is_(None), OutboxEmail.claimed_at <= now - lease),
    )


@dataclass(frozen=True)
class ClaimedEmail:
    """A claimed outbox row as plain values (sending must not wait on lazy loads)."""

    id: int
    attempts: int
    to_address: str
    subject: str
    body_text: str
    body_html: str | None
    message_id: str
    created_at: datetime
    user_id: int | None
    dedupe_key: str | None


def claim_batch(
    session: Session, now: datetime, size: int, lease: timedelta = CLAIM_LEASE
) -> list[ClaimedEmail]:
    """Take up to `size` due messages for this run and commit, so other runs skip them.

    PostgreSQL: FOR UPDATE SKIP LOCKED lets concurrent runs claim different rows without
    waiting; SQLite: the write lock taken up front serialises the claims. A message whose run
    crashed is claimed again once `lease` has passed since its claim.
    """
    picked = (
        select(OutboxEmail.id)
        .where(_due(now, lease))
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(size)
    )
    if session.get_bind().dialect.name == "postgresql":
        picked = picked.with_for_update(skip_locked=True)
    ids = session.scalars(
        update(OutboxEmail)
        .where(OutboxEmail.id.in_(picked.scalar_subquery()))
        .values(claimed_at=now)
        .returning(OutboxEmail.id)
        .execution_options(synchronize_session=False),
    ).all()
    if not ids:
        session.commit()
        return []
    emails = session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.id.in_(ids))
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .execution_options(populate_existing=True)
    ).all()
    domain = sender_domain(configured_sender())
    claimed = []
    for email in emails:
        if email.message_id is None:  # queued before Message-IDs were stored
            email.message_id = new_message_id(domain)
        claimed.append(
            ClaimedEmail(
                id=email.id,
                attempts=email.attempts,
                to_address=email.to_address,
                subject=email.subject,
                body_text=email.body_text,
                body_html=email.body_html,
                message_id=email.message_id,
                created_at=email.created_at,
                user_id=email.user_id,
                dedupe_key=email.dedupe_key,
            )
        )
    session.commit()
    return claimed


_OUTBOX = OutboxEmail.__table__
# Built once: the statement that runs after every message of a 50,000-message run.
_MARK_SENT = (
    _OUTBOX.update()
    .where(_OUTBOX.c.id == bindparam("email_id"))
    .values(sent_at=bindparam("sent_at"), attempts=bindparam("attempts"), last_error=None)
)


def mark_sent(marks: Connection, email_id: int, attempts: int, now: datetime) -> None:
    """Record one message as sent, committed at once (a crash then repeats no other)."""
    marks.execute(_MARK_SENT, {"email_id": email_id, "sent_at": now, "attempts": attempts})
    marks.commit()


def mark_failed(session: Session, email_id: int, attempts: int, error: str, now: datetime) -> bool:
    """Record a refused try: retry later with back-off, or give up; True when given up."""
    values: dict[str, Any] = {"attempts": attempts, "last_error": error, "claimed_at": None}
    given_up = attempts >= MAX_ATTEMPTS
    if given_up:
        values["failed_at"] = now
        log.error("mail to outbox id=%s failed for good: %s", email_id, error)
    else:
        values["next_attempt_at"] = now + _backoff(attempts)
        log.warning("mail outbox id=%s will be retried: %s", email_id, error)
    session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return given_up


def release(session: Session, email_ids: Sequence[int]) -> None:
    """Hand back claimed messages this run will not try, so the next run need not wait."""
    if email_ids:
        session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(email_ids), OutboxEmail.sent_at.is_(None))
            .values(claimed_at=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
