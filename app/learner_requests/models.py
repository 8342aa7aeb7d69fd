"""The timeline of a request: one row per thing that happened to it (append-only).

The request itself is `app.page_feedback.models.ProblemReport` (table `problem_reports`), which
started as the problem report and now holds every kind of request.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, str_enum, utcnow
from app.page_feedback.models import ReportStatus


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
