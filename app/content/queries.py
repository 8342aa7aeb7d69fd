"""Reads about modules for learners, returned as plain rows: published modules only.

What authors read is in `authoring_queries`; a module's version history in `version_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from app.content.models import (
    MediaFile,
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
    VersionMedia,
)
from app.content.search import match_clause
from app.i18n.languages import pick_language, sorted_languages

# --- Catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueRow:
    """A published module in the catalogue, in the language chosen for the learner."""

    slug: str
    title: str
    summary: str
    tags: tuple[str, ...]
    minutes: int
    language: str
    is_fallback: bool
    languages: tuple[str, ...]


def catalogue(session: Session, *, language: str, search: str = "") -> list[CatalogueRow]:
    """Published modules (matching `search`, if any), each in the learner's language if it has
    it, else in another with `is_fallback` set (one query)."""
    query = (
        select(
            Module.slug,
            Module.source_language,
            ModuleVariant.language,
            ModuleVariant.title,
            ModuleVariant.summary,
            ModuleVariant.tags,
            ModuleVariant.minutes,
        )
        .join(ModuleVersion, Module.current_version_id == ModuleVersion.id)
        .join(ModuleVariant, ModuleVariant.version_id == ModuleVersion.id)
        .where(Module.status == ModuleStatus.PUBLISHED)
    )
    if search.strip():
        matching = select(ModuleVariant.version_id).where(
            match_clause(search, session.get_bind().dialect.name)
        )
        query = query.where(ModuleVersion.id.in_(matching))
    by_module: dict[str, list] = {}
    for row in session.execute(query):
        by_module.setdefault(row.slug, []).append(row)
    rows = []
    for variants in by_module.values():
        chosen_language = pick_language(
            (v.language for v in variants), language, variants[0].source_language
        )
        chosen = next(v for v in variants if v.language == chosen_language)
        rows.append(
            CatalogueRow(
                slug=chosen.slug,
                title=chosen.title,
                summary=chosen.summary,
                tags=tuple(chosen.tags or ()),
                minutes=chosen.minutes,
                language=chosen.language,
                is_fallback=chosen.language != language,
                languages=tuple(sorted_languages(v.language for v in variants)),
            )
        )
    return sorted(rows, key=lambda r: r.title.casefold())


# --- A module and its pages, for learners ----------------------------------------------------


@dataclass(frozen=True)
class PageLink:
    """A page in a table of contents: 1-based number and title."""

    number: int
    title: str


@dataclass(frozen=True)
class ModuleOverview:
    """The learner's module page: summary, pages, and where to resume."""

    module_id: int
    slug: str
    version_id: int
    version_number: int
    title: str
    summary: str
    tags: tuple[str, ...]
    minutes: int
    valid_days: int | None
    language: str
    is_fallback: bool
    languages: tuple[str, ...]
    pages: list[PageLink]
    resume: PageLink | None
    # The variant shown translates an older revision of the source (`source_language`).
    is_outdated: bool = False
    source_language: str = ""


def _published(session: Session, slug: str) -> tuple[Module, ModuleVersion] | None:
    row = session.execute(
        select(Module, ModuleVersion)
        .join(ModuleVersion, Module.current_version_id == ModuleVersion.id)
        .where(Module.slug == slug, Module.status == ModuleStatus.PUBLISHED)
    ).first()
    return (row[0], row[1]) if row else None


def _variants(
    session: Session, version_id: int, *, titles_only: bool = False
) -> dict[str, ModuleVariant]:
    query = select(ModuleVariant).where(ModuleVariant.version_id == version_id)
    if titles_only:  # the reader needs no Markdown, search text or summary
        query = query.options(
            load_only(
                ModuleVariant.id,
                ModuleVariant.language,
                ModuleVariant.title,
                ModuleVariant.is_outdated,
            )
        )
    return {v.language: v for v in session.scalars(query)}


def _page_titles(session: Session, variant_id: int) -> list[PageLink]:
    return [
        PageLink(position + 1, title)
        for position, title in session.execute(
            select(ModulePage.position, ModulePage.title)
            .where(ModulePage.variant_id == variant_id)
            .order_by(ModulePage.position)
        )
    ]


def module_overview(
    session: Session, slug: str, *, language: str, user_id: int, requested: str | None = None
) -> ModuleOverview | None:
    """The published module `slug` for a learner (None if there is no such published module)."""
    found = _published(session, slug)
    if found is None:
        return None
    module, version = found
    variants = _variants(session, version.id)
    chosen = pick_language(variants, requested or language, module.source_language)
    variant = variants[chosen]
    pages = _page_titles(session, variant.id)
    position = session.scalar(
        select(ReadingPosition).where(
            ReadingPosition.user_id == user_id, ReadingPosition.module_id == module.id
        )
    )
    resume = None
    if position is not None and pages:
        resume = pages[min(max(position.position, 0), len(pages) - 1)]
    return ModuleOverview(
        module_id=module.id,
        slug=module.slug,
        version_id=version.id,
        version_number=version.number,
        title=variant.title,
        summary=variant.summary,
        tags=tuple(variant.tags or ()),
        minutes=variant.minutes,
        valid_days=version.valid_days,
        language=chosen,
        is_fallback=chosen != language,
        languages=tuple(sorted_languages(variants)),
        pages=pages,
        resume=resume,
        is_outdated=variant.is_outdated,
        source_language=module.source_language,
    )


@dataclass(frozen=True)
class ReaderPage:
    """One page of a published module, ready to show (html is stored, sanitised)."""

    module_id: int
    slug: str
    version_id: int
    module_title: str
    language: str
    is_fallback: bool
    languages: tuple[str, ...]
    number: int
    count: int
    page_id: int
    title: str
    html: str
    pages: list[PageLink]
    # The variant shown translates an older revision of the source (`source_language`).
    is_outdated: bool = False
    source_language: str = ""
    # "attestation": the last page asks for a confirmation (app/attestations).
    kind: str = "module"

    @property
    def previous(self) -> PageLink | None:
        """The page before this one, if any."""
        return self.pages[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> PageLink | None:
        """The page after this one, if any."""
        return self.pages[self.number] if self.number < self.count else None


def reader_page(
    session: Session, slug: str, number: int, *, language: str, requested: str | None = None
) -> ReaderPage | None:
    """Page `number` (1-based) of a published module; a fixed number of queries (four)."""
    found = _published(session, slug)
    if found is None:
        return None
    module, version = found
    variants = _variants(session, version.id, titles_only=True)
    chosen = pick_language(variants, requested or language, module.source_language)
    variant = variants[chosen]
    pages = _page_titles(session, variant.id)
    if not 1 <= number <= len(pages):
        return None
    page = session.execute(
        select(ModulePage.id, ModulePage.title, ModulePage.html).where(
            ModulePage.variant_id == variant.id, ModulePage.position == number - 1
        )
    ).one()
    return ReaderPage(
        module_id=module.id,
        slug=module.slug,
        version_id=version.id,
        module_title=variant.title,
        language=chosen,
        is_fallback=chosen != language,
        languages=tuple(sorted_languages(variants)),
        number=number,
        count=len(pages),
        page_id=page.id,
        title=page.title,
        html=page.html,
        pages=pages,
        is_outdated=variant.is_outdated,
        source_language=module.source_language,
        kind=module.kind,
    )


def page_in_version(
    session: Session, module_id: int, version_id: int, language: str, number: int
) -> ModulePage | None:
    """Page `number` of a language of a version of a module (for recording a page view)."""
    return session.scalar(
        select(ModulePage)
        .join(ModuleVariant, ModulePage.variant_id == ModuleVariant.id)
        .join(ModuleVersion, ModuleVariant.version_id == ModuleVersion.id)
        .where(
            ModuleVersion.id == version_id,
            ModuleVersion.module_id == module_id,
            ModuleVariant.language == language,
            ModulePage.position == number - 1,
        )
    )


def published_module(session: Session, slug: str) -> Module | None:
    """The module `slug` if learners may see it (published, not archived)."""
    found = _published(session, slug)
    return found[0] if found else None


def page_count(session: Session, version_id: int, language: str) -> int:
    """How many pages a language of a version has."""
    return (
        session.scalar(
            select(func.count(ModulePage.id))
            .join(ModuleVariant, ModulePage.variant_id == ModuleVariant.id)
            .where(ModuleVariant.version_id == version_id, ModuleVariant.language == language)
        )
        or 0
    )


@dataclass(frozen=True)
class PrintableSummary:
    """The one-page summary: what the module is, and the key points of every page."""

    slug: str
    title: str
    summary: str
    minutes: int
    language: str
    version_number: int
    published_at: datetime
    key_points_html: str
    pages: list[PageLink]


def printable_summary(
    session: Session, slug: str, *, language: str, requested: str | None = None
) -> PrintableSummary | None:
    """The printable summary of a published module in the learner's language."""
    found = _published(session, slug)
    if found is None:
        return None
    module, version = found
    variants = _variants(session, version.id)
    chosen = pick_language(variants, requested or language, module.source_language)
    variant = variants[chosen]
    return PrintableSummary(
        slug=module.slug,
        title=variant.title,
        summary=variant.summary,
        minutes=variant.minutes,
        language=chosen,
        version_number=version.number,
        published_at=version.published_at,
        key_points_html=variant.key_points_html,
        pages=_page_titles(session, variant.id),
    )


# --- Media -----------------------------------------------------------------------------------


def media_for_learner(session: Session, media_id: int) -> MediaFile | None:
    """A media file that the current version of a published module uses (else None)."""
    return session.scalar(
        select(MediaFile)
        .join(VersionMedia, VersionMedia.media_id == MediaFile.id)
        .join(Module, Module.current_version_id == VersionMedia.version_id)
        .where(
            MediaFile.id == media_id,
            Module.id == MediaFile.module_id,
            Module.status == ModuleStatus.PUBLISHED,
        )
        .limit(1)
    )
