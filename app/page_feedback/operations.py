"""Writes of page feedback: a learner's page rating and problem report, a trainer's status.

A problem report is one kind of learner request: it shares the requests' limits, refusal and
history (`app.learner_requests.operations`). Every function adds and flushes; the view that
called it commits once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.i18n.markers import N_
from app.learner_requests import operations as requests
from app.learner_requests.models import ProblemReport, ReportStatus, RequestKind
from app.page_feedback.models import PageRating
from app.page_feedback.queries import FeedbackPage
from app.people.models import User

MAX_COMMENT = requests.MAX_TEXT
FeedbackRefused = requests.RequestRefused


def _upsert(session: Session) -> Any:
    """Return the INSERT of the session's database that understands ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(PageRating)


def rate_page(
    session: Session, *, user: User, page: FeedbackPage, is_helpful: bool, now: datetime
) -> None:
    """Record (or change) the learner's "was this page helpful?" answer, atomically."""
    statement = (
        _upsert(session)
        .values(
            user_id=user.id,
            page_id=page.page_id,
            module_id=page.module_id,
            is_helpful=is_helpful,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=["user_id", "page_id"],
            set_={"is_helpful": is_helpful, "updated_at": now},
        )
    )
    session.execute(statement)
    session.flush()


def report_problem(
    session: Session, *, user: User, page: FeedbackPage, comment: str, now: datetime
) -> ProblemReport:
    """Store a learner's problem report on a page (status "received", its first event)."""
    text = (comment or "").strip()
    if not text:
        raise FeedbackRefused(N_("Describe the problem."), "comment")
    if len(text) > MAX_COMMENT:
        raise FeedbackRefused(N_("The description is too long."), "comment")
    requests.check_daily_limit(session, user.id, now)
    report = ProblemReport(
        user_id=user.id,
        kind=RequestKind.PROBLEM,
        page_id=page.page_id,
        module_id=page.module_id,
        version_id=page.version_id,
        provider_id=page.provider_id,
        subject=page.title[: requests.MAX_SUBJECT],
        comment=text,
        status=ReportStatus.RECEIVED,
        created_at=now,
    )
    session.add(report)
    session.flush()
    requests.record_received(session, report, now)
    return report


def set_report_status(
    session: Session,
    report: ProblemReport,
    status: ReportStatus,
    *,
    actor: User,
    now: datetime,
    ip: str | None = None,
) -> bool:
    """Move a report to `status` (received, in progress, handled); False if it was there.

    The learner gets a notice (and an e-mail) about it, as for every request.
    """
    return requests.set_status(session, report, status, actor=actor, now=now, ip=ip)
