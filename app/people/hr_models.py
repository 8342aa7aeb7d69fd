"""Invitations to set a first password, and HR files kept between the dry run and the apply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, utcnow
from app.people.models import User


class Invitation(Base):
    """One invitation e-mail sent to a person: valid until `expires_at`, once.

    The link names this row; only a person's latest invitation works, and accepting it (or any
    other password change) ends it.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(TZDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(TZDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ImportUpload(Base):
    """An uploaded HR file between its dry run and its apply (the plan is always recomputed).

    The file content is dropped once the import is applied; the counts stay as a record.
    """

    __tablename__ = "import_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    is_full_export: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow, index=True)
    applied_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
