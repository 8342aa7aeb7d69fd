"""Telling the person who asked: a notice and, unless they chose in-app only, one e-mail."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.campaigns.links import LinkBuilder
from app.campaigns.notices import Message, load_recipients, send_messages
from app.content.models import Module
from app.learner_requests.models import ProblemReport, RequestEvent
from app.learner_requests.words import NOTICE_KIND

# How much of the subject a notice or e-mail subject line quotes.
NOTICE_SUBJECT = 80


def notice_subject(session: Session, request: ProblemReport) -> str:
    """What a notice calls the request: its subject, else (older reports) its module."""
    subject = request.subject
    if not subject and request.module_id is not None:
        subject = session.scalar(select(Module.slug).where(Module.id == request.module_id))
    subject = subject or f"#{request.id}"
    if len(subject) > NOTICE_SUBJECT:
        subject = subject[: NOTICE_SUBJECT - 1].rstrip() + "…"
    return subject


def notify_requester(
    session: Session,
    request: ProblemReport,
    event: RequestEvent,
    *,
    now: datetime,
    answer: str | None = None,
) -> tuple[int, int]:
    """A notice for the person who asked and, unless they chose in-app only, one e-mail in
    their language (campaigns' sender: same outbox, template and unsubscribe link).

    The dedupe key names the event, so a repeat of the same step never sends twice.
    Returns (notices, e-mails) added.
    """
    links = LinkBuilder()
    recipients = load_recipients(
        session, [request.user_id], current_app.config.get("BABEL_DEFAULT_LOCALE") or "fr"
    )
    message = Message(
        user_id=request.user_id,
        kind=NOTICE_KIND,
        params={
            "kind": request.kind.value,
            "subject": notice_subject(session, request),
            "status": request.status.value,
            "answered": answer is not None,
        },
        url=links.url("requests.detail", request_id=request.id),
        dedupe_key=f"request:{request.id}:event:{event.id}",
        email_lines=[answer] if answer else [],
    )
    return send_messages(session, [message], recipients, now, links, claimed=False)
