"""Learner requests and their timeline (append-only, one row per thing that happened).

The request is `ProblemReport` (table `problem_reports`): it started as the problem report on
a module page (app.page_feedback files those) and now holds every kind of request.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, str_enum, utcnow


class ReportStatus(enum.StrEnum):
    """Where a learner's request (a problem report, a question...) stands, as they see it."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"


class RequestKind(enum.StrEnum):
    """What a person asks of the trainers: a fix, a new module, or an answer."""

    PROBLEM = "problem"  # a problem on a module page (page, module and version are known)
    NEW_MODULE = "new_module"  # a module that does not exist yet (topic, why, for whom)
    QUESTION = "question"  # a question to the trainers, about a module or in general


class ProblemReport(Base):
    """A request a person made to the trainers, with its handling: a problem reported on a
    module page (the original use, hence the name), a request for a new module, or a question.

    `provider_id` routes it: the module's provider, the provider asked for a new module, or
    none (every trainer sees it). Its history is in `request_events` (app.learner_requests).
    """

    __tablename__ = "problem_reports"
    __table_args__ = (
        Index("ix_problem_reports_module_id_status", "module_id", "status"),
        CheckConstraint(
            "kind <> 'problem' OR (page_id IS NOT NULL AND module_id IS NOT NULL"
            " AND version_id IS NOT NULL)",
            name="problem_has_page",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RequestKind] = mapped_column(
        str_enum(RequestKind), default=RequestKind.PROBLEM, server_default="problem"
    )
    page_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_pages.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", ondelete="CASCADE")
    )
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text)
    audience: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus), default=ReportStatus.RECEIVED
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class EventKind(enum.StrEnum):
    """What happened to a request."""

    RECEIVED = "received"  # the person sent it
    STATUS = "status"  # a trainer (or a follow-up) moved it: old_status → new_status
    ANSWER = "answer"  # a trainer answered; the person who asked sees the text
    FOLLOW_UP = "follow_up"  # the person who asked added something


class RequestEvent(Base):
    """One step in a request's timeline: who, when, what (and the text of an answer)."""

    __tablename__ = "request_events"
    __table_args__ = (Index("ix_request_events_request_id_created_at", "request_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("problem_reports.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    # SET NULL: the timeline stays when a trainer's account is removed.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    text: Mapped[str | None] = mapped_column(Text)
    old_status: Mapped[ReportStatus | None] = mapped_column(str_enum(ReportStatus))
    new_status: Mapped[ReportStatus | None] = mapped_column(str_enum(ReportStatus))
