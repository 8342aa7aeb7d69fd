"""Glossary entries (shared or a provider's own) and the terms a module is allowed to keep."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, utcnow
from app.people.models import Provider, User


class GlossaryEntry(Base):
    """Jargon and its plain wording in one language; shared (no provider) or a provider's own.

    A provider's entry for a term that is also shared replaces the shared one for that
    provider's modules. `term_key` (case-folded, single spaces) makes each term unique per
    owner and language.
    """

    __tablename__ = "glossary_entries"
    __table_args__ = (
        UniqueConstraint("language", "provider_id", "term_key"),
        # NULLs are never equal in a unique constraint: shared entries need their own index.
        Index(
            "uq_glossary_entries_shared_term",
            "language",
            "term_key",
            unique=True,
            sqlite_where=text("provider_id IS NULL"),
            postgresql_where=text("provider_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    language: Mapped[str] = mapped_column(String(5), index=True)
    term: Mapped[str] = mapped_column(String(200))
    term_key: Mapped[str] = mapped_column(String(200))
    suggestion: Mapped[str] = mapped_column(String(500))
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    provider: Mapped[Provider | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    @property
    def is_shared(self) -> bool:
        """True for an entry of the shared glossary (no provider owns it)."""
        return self.provider_id is None


class AcceptedTerm(Base):
    """A glossary term a trainer decided to keep in one module (and one language of it)."""

    __tablename__ = "glossary_accepted_terms"
    __table_args__ = (UniqueConstraint("module_id", "language", "term_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    term: Mapped[str] = mapped_column(String(200))
    term_key: Mapped[str] = mapped_column(String(200))
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    accepted_by: Mapped[User | None] = relationship()
