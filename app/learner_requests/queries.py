"""Reads of requests: a person's own list, a trainer's inbox, one request with its timeline.

Every read that returns requests takes its scope from `access` (the person's own, or the
ones a trainer handles); nothing here lists requests without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.content.catalogue import catalogue
from app.content.models import Module, ModulePage
from app.content.module_titles import module_titles, titles_from_rows, titles_statement
from app.content.queries import published_module
from app.learner_requests.access import handle_scope
from app.learner_requests.models import (
    EventKind,
    ProblemReport,
    ReportStatus,
    RequestEvent,
    RequestKind,
)
from app.learner_requests.tracker import Step, tracker_steps
from app.people.models import Provider, User
from app.platform.reads import Deferred, Read

INBOX_LIMIT = 500


@dataclass(frozen=True)
class RequestRow:
    """A request as a list shows it (the person's own list or a trainer's inbox)."""

    id: int
    kind: RequestKind
    subject: str
    comment: str
    audience: str | None
    status: ReportStatus
    created_at: datetime
    last_activity_at: datetime
    module_id: int | None
    module_slug: str | None
    module_title: str | None
    page_number: int | None
    provider_name: str | None
    requester_name: str
    answers: int

    @property
    def is_open(self) -> bool:
        """Not yet handled (or answered)."""
        return self.status != ReportStatus.HANDLED


def _last_activity() -> Any:
    return (
        select(
            RequestEvent.request_id.label("request_id"),
            func.max(RequestEvent.created_at).label("last_at"),
            func.sum(case((RequestEvent.kind == EventKind.ANSWER, 1), else_=0)).label("answers"),
        )
        .group_by(RequestEvent.request_id)
        .subquery()
    )


def _request_query() -> Select[Any]:
    activity = _last_activity()
    requester = aliased(User)
    return (
        select(
            ProblemReport.id,
            ProblemReport.kind,
            ProblemReport.subject,
            ProblemReport.comment,
            ProblemReport.audience,
            ProblemReport.status,
            ProblemReport.created_at,
            activity.c.last_at,
            ProblemReport.module_id,
            Module.slug,
            ModulePage.position,
            Provider.name,
            requester.first_name,
            requester.last_name,
            activity.c.answers,
        )
        .join(requester, requester.id == ProblemReport.user_id)
        .outerjoin(activity, activity.c.request_id == ProblemReport.id)
        .outerjoin(Module, Module.id == ProblemReport.module_id)
        .outerjoin(ModulePage, ModulePage.id == ProblemReport.page_id)
        .outerjoin(Provider, Provider.id == ProblemReport.provider_id)
    )


def _rows(session: Session, query: Select[Any], language: str) -> list[RequestRow]:
    rows = session.execute(query).all()
    titles = module_titles(session, {r.module_id for r in rows if r.module_id}, language)
    result = []
    for r in rows:
        title = titles.get(r.module_id) if r.module_id else None
        result.append(
            RequestRow(
                id=r.id,
                kind=r.kind,
                subject=r.subject or (title.title if title else r.slug) or f"#{r.id}",
                comment=r.comment,
                audience=r.audience,
                status=r.status,
                created_at=r.created_at,
                last_activity_at=r.last_at or r.created_at,
                module_id=r.module_id,
                module_slug=r.slug,
                module_title=title.title if title else r.slug,
                page_number=r.position + 1 if r.position is not None else None,
                provider_name=r.name,
                requester_name=f"{r.first_name} {r.last_name}".strip(),
                answers=int(r.answers or 0),
            )
        )
    return result


def _open_first() -> ColumnElement[int]:
    return case(
        (ProblemReport.status == ReportStatus.RECEIVED, 0),
        (ProblemReport.status == ReportStatus.IN_PROGRESS, 1),
        else_=2,
    )


def my_requests(session: Session, user_id: int, language: str) -> list[RequestRow]:
    """The requests a person made, open ones first, newest first."""
    query = (
        _request_query()
        .where(ProblemReport.user_id == user_id)
        .order_by(_open_first(), ProblemReport.created_at.desc(), ProblemReport.id.desc())
    )
    return _rows(session, query, language)


def inbox(
    session: Session,
    viewer: User,
    language: str,
    *,
    status: ReportStatus | None = None,
    kind: RequestKind | None = None,
    limit: int = INBOX_LIMIT,
) -> list[RequestRow]:
    """The requests a trainer handles (their providers' and the unrouted ones), open first,
    oldest waiting first (first come, first served)."""
    query = _request_query().where(handle_scope(viewer))
    if status is not None:
        query = query.where(ProblemReport.status == status)
    if kind is not None:
        query = query.where(ProblemReport.kind == kind)
    query = query.order_by(_open_first(), ProblemReport.created_at, ProblemReport.id).limit(limit)
    return _rows(session, query, language)


def open_inbox_count(session: Session, viewer: User) -> int:
    """How many requests a trainer handles are not yet handled."""
    return int(
        session.scalar(
            select(func.count(ProblemReport.id)).where(
                handle_scope(viewer), ProblemReport.status != ReportStatus.HANDLED
            )
        )
        or 0
    )


def _locked(query: Select[Any], for_update: bool) -> Select[Any]:
    # A write locks the request's row (PostgreSQL; SQLite writers take the database lock up
    # front), so two steps on one request run one after the other and see each other.
    return query.with_for_update() if for_update else query


def own_request(
    session: Session, user_id: int, request_id: int, *, for_update: bool = False
) -> ProblemReport | None:
    """The request if `user_id` made it, else None (another person's request is not found)."""
    query = select(ProblemReport).where(
        ProblemReport.id == request_id, ProblemReport.user_id == user_id
    )
    return session.scalar(_locked(query, for_update))


def request_to_handle(
    session: Session, viewer: User, request_id: int, *, for_update: bool = False
) -> ProblemReport | None:
    """The request if the trainer handles it (see `access`), else None."""
    query = select(ProblemReport).where(ProblemReport.id == request_id, handle_scope(viewer))
    return session.scalar(_locked(query, for_update))


def request_row(session: Session, request_id: int, language: str) -> RequestRow | None:
    """One request as a list row (callers load it through a scoped lookup first)."""
    rows = _rows(session, _request_query().where(ProblemReport.id == request_id), language)
    return rows[0] if rows else None


@dataclass(frozen=True)
class EventRow:
    """One step of a request's timeline."""

    id: int
    kind: EventKind
    created_at: datetime
    text: str | None
    old_status: ReportStatus | None
    new_status: ReportStatus | None
    actor_name: str | None
    is_requester: bool


def timeline(session: Session, request: ProblemReport) -> list[EventRow]:
    """The request's events in time order (ties in the order they were written)."""
    rows = session.execute(
        select(
            RequestEvent.id,
            RequestEvent.kind,
            RequestEvent.created_at,
            RequestEvent.text,
            RequestEvent.old_status,
            RequestEvent.new_status,
            User.first_name,
            User.last_name,
            RequestEvent.actor_id,
        )
        .outerjoin(User, User.id == RequestEvent.actor_id)
        .where(RequestEvent.request_id == request.id)
        .order_by(RequestEvent.created_at, RequestEvent.id)
    ).all()
    return [
        EventRow(
            id=r.id,
            kind=r.kind,
            created_at=r.created_at,
            text=r.text,
            old_status=r.old_status,
            new_status=r.new_status,
            actor_name=f"{r.first_name} {r.last_name}".strip() if r.first_name else None,
            is_requester=r.actor_id == request.user_id,
        )
        for r in rows
    ]


def steps(request: ProblemReport, events: list[EventRow]) -> list[Step]:
    """The parcel-tracker steps of a request from its timeline."""
    changes = [
        (e.new_status.value, e.created_at)
        for e in events
        if e.new_status is not None and e.kind in (EventKind.RECEIVED, EventKind.STATUS)
    ]
    return tracker_steps(request.status.value, changes)


def module_choices(session: Session, language: str) -> list[tuple[str, str]]:
    """(slug, title) of the published modules a question can be about."""
    return [(row.slug, row.title) for row in catalogue(session, language=language)]


def askable_module(session: Session, slug: str) -> Module | None:
    """The published module a question names, or None."""
    return published_module(session, slug) if slug else None


def provider_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of the content providers, by name."""
    return [
        (row.id, row.name)
        for row in session.execute(select(Provider.id, Provider.name).order_by(Provider.name))
    ]


# Built once: the home panel's open requests of one person (bound as `user_id`), open first,
# newest first; one more than shown, to know whether there are more.
_MY_OPEN_REQUESTS = (
    select(
        ProblemReport.id,
        ProblemReport.kind,
        ProblemReport.subject,
        ProblemReport.status,
        ProblemReport.module_id,
        Module.slug,
    )
    .outerjoin(Module, Module.id == ProblemReport.module_id)
    .where(
        ProblemReport.user_id == bindparam("user_id"),
        ProblemReport.status != ReportStatus.HANDLED,
    )
    .order_by(_open_first(), ProblemReport.created_at.desc(), ProblemReport.id.desc())
    .limit(bindparam("requests_limit"))
)
# The titles of the modules those requests are about, when they have no subject of their own.
_MY_OPEN_REQUEST_MODULES = titles_statement(
    select(ProblemReport.module_id).where(
        ProblemReport.user_id == bindparam("user_id"),
        ProblemReport.status != ReportStatus.HANDLED,
        or_(ProblemReport.subject.is_(None), ProblemReport.subject == ""),
    )
)


@dataclass(frozen=True)
class OpenRequest:
    """An open request as the home panel lists it."""

    id: int
    kind: RequestKind
    subject: str
    status: ReportStatus


def my_open_requests(user_id: int, language: str, *, limit: int) -> Deferred:
    """A person's first `limit` open requests, as `my_requests` orders them, as `OpenRequest`s
    (two reads, run with the page's others: see `app.platform.reads`): the requests, and the
    titles of their modules for those without a subject of their own."""
    reads = (
        Read(_MY_OPEN_REQUESTS, {"user_id": user_id, "requests_limit": limit}),
        Read(_MY_OPEN_REQUEST_MODULES, {"user_id": user_id}),
    )
    return Deferred(reads, lambda rows, titles: _open_requests(rows, titles, language))


def _open_requests(rows: Any, title_rows: Any, language: str) -> list[OpenRequest]:
    titles = titles_from_rows(title_rows, language)
    result = []
    for r in rows:
        title = titles.get(r.module_id) if r.module_id else None
        subject = r.subject or (title.title if title else r.slug) or f"#{r.id}"
        result.append(OpenRequest(r.id, r.kind, subject, r.status))
    return result
