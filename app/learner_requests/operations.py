"""Writes of requests: asking, answering, moving along, following up; each step adds an event
to the request's timeline, and a step the person who asked did not take sends them a notice
and (unless they chose in-app only) one e-mail through the outbox, in their language.

Every function adds and flushes; the view that called it commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.i18n.markers import N_
from app.learner_requests.models import EventKind, ProblemReport, ReportStatus, RequestEvent
from app.learner_requests.notices import notify_requester
from app.people.models import User
from app.platform.audit import record_event

MAX_SUBJECT = 200
MAX_TEXT = 2000
MAX_AUDIENCE = 500
MAX_ANSWER = 4000
MAX_REQUESTS_PER_DAY = 20
MAX_FOLLOW_UPS_PER_DAY = 20


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


def add_event(
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
    return add_event(
        session,
        request,
        EventKind.RECEIVED,
        actor_id=request.user_id,
        now=now,
        new_status=ReportStatus.RECEIVED,
    )


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
    return add_event(
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
            add_event(session, request, EventKind.ANSWER, actor_id=actor.id, now=now, text=text)
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
        add_event(session, request, EventKind.FOLLOW_UP, actor_id=user.id, now=now, text=text)
    ]
    if request.status == ReportStatus.HANDLED:
        events.append(_move(session, request, ReportStatus.RECEIVED, actor=user, now=now, ip=None))
    return events
