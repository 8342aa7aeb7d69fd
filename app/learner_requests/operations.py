"""Writes of requests: asking, answering, moving along, following up; each step adds an event
to the request's timeline, and a step the person who asked did not take sends them a notice
and (unless they chose in-app only) one e-mail through the outbox, in their language.

Every function adds and flushes; the view that called it commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.campaigns.links import LinkBuilder
from app.campaigns.notices import Message, load_recipients, send_messages
from app.content.models import Module
from app.i18n.markers import N_
from app.learner_requests.models import EventKind, RequestEvent
from app.learner_requests.words import NOTICE_KIND
from app.people.models import Provider, User
from app.platform.audit import record_event
from app.readiness.models import ProblemReport, ReportStatus, RequestKind

MAX_SUBJECT = 200
MAX_TEXT = 2000
MAX_AUDIENCE = 500
MAX_ANSWER = 4000
MAX_REQUESTS_PER_DAY = 20
MAX_FOLLOW_UPS_PER_DAY = 20
# How much of the subject a notice or e-mail subject line quotes.
NOTICE_SUBJECT = 80
# The same request sent again this soon is the same request (a double click, a reload).
REPEAT_WINDOW = timedelta(minutes=10)


class RequestRefused(ValueError):
    """A request, answer or follow-up that cannot be accepted.

    The message is marked with N_ (the view translates it); `field` names the form field it
    is about, when there is one, so the form can show it there.
    """

    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.params = params


def clean_text(
    value: str | None,
    *,
    field: str,
    max_length: int,
    missing: str | None,
    too_long: str,
    single_line: bool = False,
) -> str:
    """Strip the text; refuse it when empty (if `missing` is given) or longer than allowed.

    `single_line` folds line breaks and runs of spaces into one space: a subject ends up in
    notices and e-mail subject lines, where a line break has no place.
    """
    text = (value or "").strip()
    if single_line:
        text = " ".join(text.split())
    if not text and missing is not None:
        raise RequestRefused(missing, field)
    if len(text) > max_length:
        raise RequestRefused(too_long, field, max=max_length)
    return text


def check_daily_limit(session: Session, user_id: int, now: datetime) -> None:
    """Refuse a 21st request (of any kind) within 24 hours: a flood is a bug or an attack."""
    recent = session.scalar(
        select(func.count(ProblemReport.id)).where(
            ProblemReport.user_id == user_id, ProblemReport.created_at >= now - timedelta(days=1)
        )
    )
    if (recent or 0) >= MAX_REQUESTS_PER_DAY:
        raise RequestRefused(
            N_("You have sent too many requests today. Please try again tomorrow.")
        )


def latest_event_id(session: Session, request_id: int) -> int:
    """The id of the request's newest event (0 when it has none)."""
    latest = session.scalar(
        select(func.max(RequestEvent.id)).where(RequestEvent.request_id == request_id)
    )
    return int(latest or 0)


def check_unchanged(session: Session, request: ProblemReport, seen: int | None) -> None:
    """Refuse a step taken on an out-of-date view of the request (`seen`: its newest event
    then): the same form sent twice, or a colleague's answer in between."""
    if seen is not None and latest_event_id(session, request.id) != seen:
        raise RequestRefused(
            N_(
                "This request changed while you were writing (it may have been sent already)."
                " Check its timeline; your text is still in the form."
            )
        )


def _same_request_just_sent(
    session: Session, *, user_id: int, kind: RequestKind, subject: str, text: str, now: datetime
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


def _add_event(
    session: Session,
    request: ProblemReport,
    kind: EventKind,
    *,
    actor_id: int | None,
    now: datetime,
    text: str | None = None,
    old_status: ReportStatus | None = None,
    new_status: ReportStatus | None = None,
) -> RequestEvent:
    event = RequestEvent(
        request_id=request.id,
        kind=kind,
        actor_id=actor_id,
        created_at=now,
        text=text,
        old_status=old_status,
        new_status=new_status,
    )
    session.add(event)
    session.flush()
    return event


def record_received(session: Session, request: ProblemReport, now: datetime) -> RequestEvent:
    """Start a new request's timeline with "received" (every kind, problem reports too)."""
    return _add_event(
        session,
        request,
        EventKind.RECEIVED,
        actor_id=request.user_id,
        now=now,
        new_status=ReportStatus.RECEIVED,
    )


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
    repeated = _same_request_just_sent(
        session, user_id=user.id, kind=RequestKind.QUESTION, subject=subject, text=text, now=now
    )
    if repeated is not None:
        return repeated
    check_daily_limit(session, user.id, now)
    request = ProblemReport(
        user_id=user.id,
        kind=RequestKind.QUESTION,
        module_id=module.id if module is not None else None,
        version_id=module.current_version_id if module is not None else None,
        provider_id=module.provider_id if module is not None else None,
        subject=subject,
        comment=text,
        status=ReportStatus.RECEIVED,
        created_at=now,
    )
    session.add(request)
    session.flush()
    record_received(session, request, now)
    return request


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
    repeated = _same_request_just_sent(
        session, user_id=user.id, kind=RequestKind.NEW_MODULE, subject=topic, text=why, now=now
    )
    if repeated is not None:
        return repeated
    check_daily_limit(session, user.id, now)
    request = ProblemReport(
        user_id=user.id,
        kind=RequestKind.NEW_MODULE,
        provider_id=provider.id if provider is not None else None,
        subject=topic,
        comment=why,
        audience=audience,
        status=ReportStatus.RECEIVED,
        created_at=now,
    )
    session.add(request)
    session.flush()
    record_received(session, request, now)
    return request


def _move(
    session: Session,
    request: ProblemReport,
    status: ReportStatus,
    *,
    actor: User,
    now: datetime,
    ip: str | None,
) -> RequestEvent:
    previous = request.status
    request.status = status
    request.status_changed_at = now
    request.status_changed_by_id = actor.id
    # The audit action keeps the name it had when only problem reports existed, so the
    # history of a report reads the same before and after requests.
    record_event(
        session,
        "readiness.report_status",
        actor_id=actor.id,
        object_type="problem_report",
        object_id=request.id,
        ip_address=ip,
        now=now,
        old=previous.value,
        new=status.value,
    )
    return _add_event(
        session,
        request,
        EventKind.STATUS,
        actor_id=actor.id,
        now=now,
        old_status=previous,
        new_status=status,
    )


def respond(
    session: Session,
    request: ProblemReport,
    *,
    actor: User,
    answer: str | None,
    status: ReportStatus | None,
    now: datetime,
    ip: str | None = None,
    seen: int | None = None,
) -> list[RequestEvent]:
    """A trainer answers and/or moves the request on: the events, then one notice and one
    e-mail to the person who asked. `seen` is the newest event the trainer had in view."""
    check_unchanged(session, request, seen)
    text = clean_text(
        answer,
        field="answer",
        max_length=MAX_ANSWER,
        missing=None,
        too_long=N_("The answer can have at most %(max)d characters."),
    )
    events = []
    if text:
        events.append(
            _add_event(session, request, EventKind.ANSWER, actor_id=actor.id, now=now, text=text)
        )
    if status is not None and status != request.status:
        events.append(_move(session, request, status, actor=actor, now=now, ip=ip))
    if not events:
        raise RequestRefused(N_("Write an answer or choose a new status."), "answer")
    if text:
        record_event(
            session,
            "requests.answered",
            actor_id=actor.id,
            object_type="problem_report",
            object_id=request.id,
            ip_address=ip,
            now=now,
        )
    notify_requester(session, request, events[-1], now=now, answer=text or None)
    return events


def set_status(
    session: Session,
    request: ProblemReport,
    status: ReportStatus,
    *,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> bool:
    """Move a request to `status` (with its event and the requester's notice); False if it
    was there already."""
    if request.status == status:
        return False
    event = _move(session, request, status, actor=actor, now=now, ip=ip)
    notify_requester(session, request, event, now=now)
    return True


def add_follow_up(
    session: Session,
    request: ProblemReport,
    *,
    user: User,
    text: str,
    now: datetime,
    seen: int | None = None,
) -> list[RequestEvent]:
    """The person who asked adds something; a handled request opens again ("received"), so it
    is back in the trainers' open list. `seen` is the newest event they had in view."""
    check_unchanged(session, request, seen)
    text = clean_text(
        text,
        field="text",
        max_length=MAX_TEXT,
        missing=N_("Write what you want to add."),
        too_long=N_("The follow-up can have at most %(max)d characters."),
    )
    recent = session.scalar(
        select(func.count(RequestEvent.id)).where(
            RequestEvent.actor_id == user.id,
            RequestEvent.kind == EventKind.FOLLOW_UP,
            RequestEvent.created_at >= now - timedelta(days=1),
        )
    )
    if (recent or 0) >= MAX_FOLLOW_UPS_PER_DAY:
        raise RequestRefused(
            N_("You have added too many follow-ups today. Please try again tomorrow.")
        )
    events = [
        _add_event(session, request, EventKind.FOLLOW_UP, actor_id=user.id, now=now, text=text)
    ]
    if request.status == ReportStatus.HANDLED:
        events.append(_move(session, request, ReportStatus.RECEIVED, actor=user, now=now, ip=None))
    return events


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
