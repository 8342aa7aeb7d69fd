"""Learners' feedback on module pages: "was this page helpful?".

A problem reported on a page is a learner request of kind `RequestKind.PROBLEM`
(`app.learner_requests.models.ProblemReport`), handled in the trainers' request inbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, utcnow


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
