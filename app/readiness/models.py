"""Daily readiness snapshots per campaign and unit, and learners' feedback on module pages."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, str_enum, utcnow


class ReadinessSnapshot(Base):
    """What the readiness of a unit (its whole subtree) was on one day of a campaign.

    Taken once a day by `flask campaigns tick` with one INSERT ... SELECT; the unique key makes
    a second run the same day a no-op, so trends stay true to what was known on each day.
    """

    __tablename__ = "readiness_snapshots"
    __table_args__ = (UniqueConstraint("campaign_id", "unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    assigned: Mapped[int] = mapped_column(Integer)
    ready: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)


class ReportStatus(enum.StrEnum):
    """Where a learner's problem report stands, as the learner sees it."""

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


class ProblemReport(Base):
    """A problem a learner reported on a module page, with a comment, and its handling."""

    __tablename__ = "problem_reports"
    __table_args__ = (Index("ix_problem_reports_module_id_status", "module_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    page_id: Mapped[int] = mapped_column(
        ForeignKey("module_pages.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"))
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(
        str_enum(ReportStatus), default=ReportStatus.RECEIVED
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
