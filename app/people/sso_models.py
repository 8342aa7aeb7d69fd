"""Links between a person and their identity at an OpenID provider (issuer + subject)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, utcnow
from app.people.models import User


class UserIdentity(Base):
    """One person's account at one OpenID provider.

    The pair (issuer, subject) is the only stable identifier OpenID Connect promises (Core
    1.0 §5.7): e-mail addresses and HR numbers can be reassigned, so once a person is
    matched, later sign-ins follow this link and never the claims again.
    """

    __tablename__ = "user_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    # How the link was made the first time: "hr_number", "email" or "created" (just in time).
    matched_by: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    user: Mapped[User] = relationship()
