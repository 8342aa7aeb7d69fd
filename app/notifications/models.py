"""The e-mail outbox: a message is written in the same transaction as the event causing it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TZDateTime, utcnow


class OutboxEmail(Base):
    """One e-mail waiting to be sent, or already sent (kept as a delivery record)."""

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A stable key per logical message (such as "reminder:campaign:7:user:12:step:21"):
    # the unique constraint makes "send once" a database rule, not a hope.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime(), index=True)
    failed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    # Chosen when the message is queued and sent unchanged on every try, so that a relay or
    # a mail client recognises a repeat after a crash as the same message.
    message_id: Mapped[str | None] = mapped_column(String(250), unique=True, index=True)
    # Set when a delivery run takes the message; another run leaves it alone until the lease
    # has passed, so a crashed run's messages are retried and a live run's are not doubled.
    claimed_at: Mapped[datetime | None] = mapped_column(TZDateTime())
