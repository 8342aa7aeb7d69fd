"""Modules, their immutable versions, language variants and pages, drafts, media, reading positions.

A published `ModuleVersion` (with its variants, pages and media list) is never changed: a change
makes a new version. Page HTML is rendered and sanitised once, when the version is created.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TZDateTime, str_enum, utcnow
from app.people.models import Provider, User

# The indexed full-text expression (PostgreSQL); search queries must repeat it exactly.
SEARCH_VECTOR_SQL = "to_tsvector('simple', search_text)"


class ModuleStatus(enum.StrEnum):
    """Where a module stands: never published, visible to learners, or withdrawn."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ModuleKind(enum.StrEnum):
    """What a module asks of the learner: to learn it, or to confirm a policy text (attest)."""

    MODULE = "module"
    ATTESTATION = "attestation"


class Module(Base):
    """A unit of learning; its content lives in versions (published) and drafts (being written)."""

    __tablename__ = "modules"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    source_language: Mapped[str] = mapped_column(String(5))
    status: Mapped[ModuleStatus] = mapped_column(
        str_enum(ModuleStatus), default=ModuleStatus.DRAFT, index=True
    )
    # An attestation is completed by confirming its current version (app/attestations).
    kind: Mapped[ModuleKind] = mapped_column(
        str_enum(ModuleKind, 16), default=ModuleKind.MODULE, server_default=ModuleKind.MODULE.value
    )
    refresher_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("modules.id", ondelete="SET NULL")
    )
    # The latest published version; the foreign key is added after module_versions exists.
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(TZDateTime())
    # Set when the module is a copy imported from a package (app/module_packages): where it
    # came from, and the licence it was received under (shown to trainers and learners).
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    licence_spdx: Mapped[str | None] = mapped_column(String(100))
    licence_url: Mapped[str | None] = mapped_column(String(500))
    licence_text: Mapped[str | None] = mapped_column(Text)

    provider: Mapped[Provider] = relationship()
    refresher_of: Mapped[Module | None] = relationship(remote_side=[id])
    current_version: Mapped[ModuleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ModuleVersion(Base):
    """An immutable snapshot of a module in every language it had when it was published."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    # Major: learners must redo the module; minor: completions of earlier versions stay valid.
    is_major: Mapped[bool] = mapped_column(Boolean, default=False)
    change_note: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    valid_days: Mapped[int | None] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(TZDateTime())
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    module: Mapped[Module] = relationship(foreign_keys=[module_id])
    published_by: Mapped[User | None] = relationship()
    variants: Mapped[list[ModuleVariant]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="ModuleVariant.language"
    )


class ModuleVariant(Base):
    """One language of a version: its front matter, whole Markdown body and search text."""

    __tablename__ = "module_variants"
    __table_args__ = (
        UniqueConstraint("version_id", "language"),
        # Full-text search on PostgreSQL only (SQLite searches with LIKE); the migration
        # creates it on PostgreSQL only, and the same expression is used by the search query.
        Index(
            "ix_module_variants_search",
            text(SEARCH_VECTOR_SQL),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[int] = mapped_column(Integer)
    version_note: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int | None] = mapped_column(Integer)
    translates: Mapped[int | None] = mapped_column(Integer)
    is_outdated: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    markdown: Mapped[str] = mapped_column(Text)
    # Call-outs and step lists of every page, re-sanitised: the printable summary.
    key_points_html: Mapped[str] = mapped_column(Text, default="")
    # Title, summary, tags and the text of every page, for search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    version: Mapped[ModuleVersion] = relationship(back_populates="variants")
    pages: Mapped[list[ModulePage]] = relationship(
        back_populates="variant", cascade="all, delete-orphan", order_by="ModulePage.position"
    )


class ModulePage(Base):
    """One page of a language variant; `html` is sanitised and rendered once."""

    __tablename__ = "module_pages"
    __table_args__ = (UniqueConstraint("variant_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("module_variants.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text, default="")

    variant: Mapped[ModuleVariant] = relationship(back_populates="pages")


class ModuleDraft(Base):
    """A language of a module being written in the browser; `lock_version` guards saves."""

    __tablename__ = "module_drafts"
    __table_args__ = (UniqueConstraint("module_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    minutes: Mapped[int] = mapped_column(Integer, default=5)
    valid_days: Mapped[int | None] = mapped_column(Integer)
    revision: Mapped[int | None] = mapped_column(Integer)
    translates: Mapped[int | None] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text, default="")
    # The published version this draft started from (None for a new module or language).
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", ondelete="SET NULL")
    )
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    module: Mapped[Module] = relationship()
    updated_by: Mapped[User | None] = relationship()

    # SQLAlchemy adds "AND lock_version = <loaded>" to every UPDATE and raises StaleDataError
    # when another transaction changed the row first: the database settles races for us.
    __mapper_args__: dict[str, Any] = {"version_id_col": lock_version}


class MediaFile(Base):
    """An image, video or document of a module, kept in the upload store under a generated name.

    `original_name` is the path the Markdown uses inside the module folder (`media/login.png`);
    the file itself never changes, so a new picture at the same path is a new row.
    """

    __tablename__ = "media_files"
    __table_args__ = (UniqueConstraint("module_id", "original_name", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)

    module: Mapped[Module] = relationship()


class VersionMedia(Base):
    """Which media file a version's pages mean by a path (the version's own media folder)."""

    __tablename__ = "version_media"
    __table_args__ = (UniqueConstraint("version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"))
    media_id: Mapped[int] = mapped_column(
        ForeignKey("media_files.id", ondelete="RESTRICT"), index=True
    )
    path: Mapped[str] = mapped_column(String(255))

    media: Mapped[MediaFile] = relationship()


class ReadingPosition(Base):
    """Where a learner left a module ("resume where I left off")."""

    __tablename__ = "reading_positions"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(5))
    position: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(TZDateTime(), default=utcnow)
