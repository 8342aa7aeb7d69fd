"""The assists logged at the counter, as rows to count by branch, topic and week.

The record is the `assisted` statement (and its `voided` statement when undone); a
`CounterAssist` row is what those statements say, kept beside them in the same transaction so
that reports group by indexed columns instead of reading JSON. It holds nothing about the
citizen: only who helped, in which unit, with which topic, and how it ended.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, str_enum

MAX_TOPIC_LENGTH = 50  # a module's tag (app.content.module_format.MAX_TAG_LENGTH)


class AssistOutcome(enum.StrEnum):
    """How the help at the counter ended."""

    SOLVED = "solved"
    REFERRED = "referred"
    COMING_BACK = "coming_back"


class CounterAssist(Base):
    """One citizen helped at the counter (derived from its `assisted` statement)."""

    __tablename__ = "counter_assists"
    __table_args__ = (
        Index("ix_counter_assists_week_unit_id", "week", "unit_id"),
        Index("ix_counter_assists_user_id_assisted_at", "user_id", "assisted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        ForeignKey("statements.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The helper's unit when they helped: a later move does not carry their assists along.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    topic: Mapped[str] = mapped_column(String(MAX_TOPIC_LENGTH))
    language: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[AssistOutcome] = mapped_column(str_enum(AssistOutcome, 16))
    # ISO week in the platform's time zone ("2027-W10"), so that weeks group in plain SQL.
    week: Mapped[str] = mapped_column(String(8))
    assisted_at: Mapped[datetime] = mapped_column(TZDateTime())
    # Set when the helper undid the assist (a `voided` statement); undone assists never count.
    voided_at: Mapped[datetime | None] = mapped_column(TZDateTime())
