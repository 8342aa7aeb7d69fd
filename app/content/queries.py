"""Reads about modules for learners, returned as plain rows: published modules only.

The catalogue is in `catalogue`; what authors read is in `authoring_queries`; a module's version
history in `version_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, and_, bindparam, case, cast, func, select
from sqlalchemy.orm import Session

from app.content.models import (
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
)
from app.i18n.languages import pick_language, sorted_languages

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
    # Imported from another provider's package: the page shows where from (module_packages).
    has_origin: bool = False


def _learner_module(*extra: Any) -> Select:
    """A published module's current version: one row per language and page (built once, at
    import: the statement and its cache key are reused with bind parameters `slug`, ...)."""
    return (
        select(
            Module.id.label("module_id"),
            Module.slug,
            Module.source_language,
            Module.kind,
            ModuleVersion.id.label("version_id"),
            ModuleVariant.language,
            ModuleVariant.title,
            ModuleVariant.is_outdated,
            ModulePage.position,
            ModulePage.title.label("page_title"),
            *extra,
        )
        .join(ModuleVersion, Module.current_version_id == ModuleVersion.id)
        .join(ModuleVariant, ModuleVariant.version_id == ModuleVersion.id)
        .outerjoin(ModulePage, ModulePage.variant_id == ModuleVariant.id)
        .where(Module.slug == bindparam("slug"), Module.status == ModuleStatus.PUBLISHED)
        .order_by(ModuleVariant.language, ModulePage.position)
    )


def _on_first_page(column: Any) -> Any:
    """`column` on a language's first row only (the same on every row: read it once)."""
    return case((func.coalesce(ModulePage.position, 0) == 0, column))


# The module page: the version's figures, the variant's summary, and where the learner stands.
_OVERVIEW = _learner_module(
    ModuleVersion.number.label("version_number"),
    ModuleVersion.valid_days,
    _on_first_page(ModuleVariant.summary).label("summary"),
    _on_first_page(ModuleVariant.tags).label("tags"),
    ModuleVariant.minutes,
    ReadingPosition.position.label("resume_at"),
    # JSON null (None written explicitly) is no origin either.
    (func.coalesce(cast(Module.origin, Text), "null") != "null").label("has_origin"),
).outerjoin(
    ReadingPosition,
    and_(
        ReadingPosition.module_id == Module.id,
        ReadingPosition.user_id == bindparam("user_id"),
    ),
)
# The reader: the stored, sanitised HTML of the page asked for (in each language), no other.
_READER = _learner_module(
    ModulePage.id.label("page_id"),
    case((ModulePage.position == bindparam("position"), ModulePage.html)).label("html"),
)


def _chosen(rows: list[Any], wanted: str) -> tuple[Any, list[Any], tuple[str, ...]] | None:
    """The language shown (by the fallback order), its rows (one per page) and all languages."""
    if not rows:
        return None
    by_language: dict[str, list[Any]] = {}
    for row in rows:
        by_language.setdefault(row.language, []).append(row)
    chosen = pick_language(by_language, wanted, rows[0].source_language)
    own = [row for row in by_language[chosen] if row.position is not None]
    return by_language[chosen][0], own, tuple(sorted_languages(by_language))


def module_overview(
    session: Session, slug: str, *, language: str, user_id: int, requested: str | None = None
) -> ModuleOverview | None:
    """The published module `slug` for a learner (None if there is no such published module);
    one query."""
    found = _chosen(
        session.execute(_OVERVIEW, {"slug": slug, "user_id": user_id}).all(),
        requested or language,
    )
    if found is None:
        return None
    first, own, languages = found
    pages = [PageLink(row.position + 1, row.page_title) for row in own]
    resume = None
    if first.resume_at is not None and pages:
        resume = pages[min(max(first.resume_at, 0), len(pages) - 1)]
    return ModuleOverview(
        module_id=first.module_id,
        slug=first.slug,
        version_id=first.version_id,
        version_number=first.version_number,
        title=first.title,
        summary=first.summary,
        tags=tuple(first.tags or ()),
        minutes=first.minutes,
        valid_days=first.valid_days,
        language=first.language,
        is_fallback=first.language != language,
        languages=languages,
        pages=pages,
        resume=resume,
        is_outdated=first.is_outdated,
        source_language=first.source_language,
        has_origin=bool(first.has_origin),
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
    """Page `number` (1-based) of a published module; one query."""
    found = _chosen(
        session.execute(_READER, {"slug": slug, "position": number - 1}).all(),
        requested or language,
    )
    if found is None:
        return None
    first, own, languages = found
    if not 1 <= number <= len(own):
        return None
    page = own[number - 1]
    return ReaderPage(
        module_id=first.module_id,
        slug=first.slug,
        version_id=first.version_id,
        module_title=first.title,
        language=first.language,
        is_fallback=first.language != language,
        languages=languages,
        number=number,
        count=len(own),
        page_id=page.page_id,
        title=page.page_title,
        html=page.html,
        pages=[PageLink(row.position + 1, row.page_title) for row in own],
        is_outdated=first.is_outdated,
        source_language=first.source_language,
        kind=first.kind,
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
    return session.scalar(
        select(Module).where(
            Module.slug == slug,
            Module.status == ModuleStatus.PUBLISHED,
            Module.current_version_id.is_not(None),
        )
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


_SUMMARY = _learner_module(
    ModuleVersion.number.label("version_number"),
    ModuleVersion.published_at,
    _on_first_page(ModuleVariant.summary).label("summary"),
    ModuleVariant.minutes,
    _on_first_page(ModuleVariant.key_points_html).label("key_points_html"),
)


def printable_summary(
    session: Session, slug: str, *, language: str, requested: str | None = None
) -> PrintableSummary | None:
    """The printable summary of a published module in the learner's language (one query)."""
    found = _chosen(session.execute(_SUMMARY, {"slug": slug}).all(), requested or language)
    if found is None:
        return None
    first, own, _languages = found
    return PrintableSummary(
        slug=first.slug,
        title=first.title,
        summary=first.summary,
        minutes=first.minutes,
        language=first.language,
        version_number=first.version_number,
        published_at=first.published_at,
        key_points_html=first.key_points_html,
        pages=[PageLink(row.position + 1, row.page_title) for row in own],
    )
