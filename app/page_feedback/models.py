"""Learners' feedback on module pages: "was this page helpful?" and problem reports.

A problem report is one kind of learner request (`RequestKind`): the same table holds the
questions and new-module requests that `app.learner_requests` handles.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, str_enum, utcnow


class ReportStatus(enum.StrEnum):
    """Where a learner's request (a problem report, a question...) stands, as they see it."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"


class PageRating(Base):
    """A learner's "was this page helpful?" answer (one per learner and page; can change)."""

    __tablename__ = "page_ratings"
    __table_args__ = (UniqueConstraint("user_id", "page_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(
        ForeignKey("module_pages.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    is_helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)


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
