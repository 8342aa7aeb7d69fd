"""Personal API tokens: only a hash of the secret is stored, never the secret itself."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, utcnow
from app.people.models import User


class TokenStatus(enum.StrEnum):
    """Whether a token opens the API at a given moment."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class RevokeReason(enum.StrEnum):
    """Why a token stopped working before its expiry (stored as text)."""

    BY_USER = "by_user"
    PASSWORD_CHANGED = "password_changed"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
    DEACTIVATED = "deactivated"
    SESSIONS_ENDED = "sessions_ended"


class ApiToken(Base):
    """A bearer token for /api/v1 that acts with exactly its user's permissions.

    The secret is shown once when the token is made; the database keeps its SHA-256
    (the secret carries 240 random bits, so a fast unsalted hash is enough) and its first
    characters, so that lists can tell tokens apart.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_prefix: Mapped[str] = mapped_column(String(8))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    # A RevokeReason value; plain text so that a new reason needs no migration.
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship()

    def status_at(self, now: datetime) -> TokenStatus:
        """Return the token's status at `now` (revocation wins over expiry)."""
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE
