"""Asking: a question to the trainers, or a request for a new module; both are stored once.

The same request sent again within minutes (a double click, a reload) returns the one stored.
The view that called a function commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module
from app.i18n.markers import N_
from app.learner_requests.models import ProblemReport, ReportStatus, RequestKind
from app.learner_requests.operations import (
    MAX_AUDIENCE,
    MAX_SUBJECT,
    MAX_TEXT,
    check_daily_limit,
    clean_text,
    record_received,
)
from app.people.models import Provider, User

# The same request sent again this soon is the same request (a double click, a reload).
REPEAT_WINDOW = timedelta(minutes=10)


def _same_request_just_sent(
    session: Session,
    *,
    user_id: int,
    kind: RequestKind,
    subject: str | None,
    text: str,
    now: datetime,
) -> ProblemReport | None:
    """The person's identical request of the last minutes, if any (sent twice: stored once)."""
    return session.scalars(
        select(ProblemReport)
        .where(
            ProblemReport.user_id == user_id,
            ProblemReport.kind == kind,
            ProblemReport.subject == subject,
            ProblemReport.comment == text,
            ProblemReport.created_at >= now - REPEAT_WINDOW,
        )
        .order_by(ProblemReport.id.desc())
        .limit(1)
    ).first()


def ask_question(
    session: Session,
    *,
    user: User,
    module: Module | None,
    subject: str,
    text: str,
    now: datetime,
) -> ProblemReport:
    """Store a question to the trainers of `module` (or to all trainers when None); the same
    question sent again within minutes returns the stored one."""
    subject = clean_text(
        subject,
        field="subject",
        max_length=MAX_SUBJECT,
        missing=N_("Give your question a short subject."),
        too_long=N_("The subject can have at most %(max)d characters."),
        single_line=True,
    )
    text = clean_text(
        text,
        field="text",
        max_length=MAX_TEXT,
        missing=N_("Write your question."),
        too_long=N_("The question can have at most %(max)d characters."),
    )
    return _store_request(
        session,
        ProblemReport(
            user_id=user.id,
            kind=RequestKind.QUESTION,
            module_id=module.id if module is not None else None,
            version_id=module.current_version_id if module is not None else None,
            provider_id=module.provider_id if module is not None else None,
            subject=subject,
            comment=text,
        ),
        now=now,
    )


def request_module(
    session: Session,
    *,
    user: User,
    provider: Provider | None,
    topic: str,
    why: str,
    audience: str,
    now: datetime,
) -> ProblemReport:
    """Store a request for a new module: topic, why it is needed, for whom (once, like a
    question)."""
    topic = clean_text(
        topic,
        field="topic",
        max_length=MAX_SUBJECT,
        missing=N_("Name the topic of the module."),
        too_long=N_("The topic can have at most %(max)d characters."),
        single_line=True,
    )
    why = clean_text(
        why,
        field="why",
        max_length=MAX_TEXT,
        missing=N_("Say why the module is needed."),
        too_long=N_("The reason can have at most %(max)d characters."),
    )
    audience = clean_text(
        audience,
        field="audience",
        max_length=MAX_AUDIENCE,
        missing=N_("Say who the module is for."),
        too_long=N_("“For whom” can have at most %(max)d characters."),
        single_line=True,
    )
    return _store_request(
        session,
        ProblemReport(
            user_id=user.id,
            kind=RequestKind.NEW_MODULE,
            provider_id=provider.id if provider is not None else None,
            subject=topic,
            comment=why,
            audience=audience,
        ),
        now=now,
    )


def _store_request(session: Session, request: ProblemReport, *, now: datetime) -> ProblemReport:
    """Store a cleaned request as received, unless the same one was just sent (then return it).

    `request` is new and not yet in the session; the daily limit counts every kind.
    """
    repeated = _same_request_just_sent(
        session,
        user_id=request.user_id,
        kind=request.kind,
        subject=request.subject,
        text=request.comment,
        now=now,
    )
    if repeated is not None:
        return repeated
    check_daily_limit(session, request.user_id, now)
    request.status = ReportStatus.RECEIVED
    request.created_at = now
    session.add(request)
    session.flush()
    record_received(session, request, now)
    return request
