"""Reads about modules, returned as plain rows; learner reads see published modules only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only, selectinload

from app.content.diff import DiffLine, FieldChange, field_changes, line_diff
from app.content.models import (
    MediaFile,
    Module,
    ModuleDraft,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
    VersionMedia,
)
from app.content.search import match_clause
from app.i18n.languages import pick_language, sorted_languages
from app.people.models import Provider, User
from app.permissions import is_admin, trainer_provider_ids

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


@dataclass(frozen=True)
class ContinueRow:
    """A module the learner started: where to pick up."""

    slug: str
    title: str
    language: str
    number: int
    count: int
    updated_at: datetime


def continue_reading(session: Session, user_id: int, *, limit: int = 3) -> list[ContinueRow]:
    """The learner's most recently read published modules, newest first (two queries)."""
    rows = session.execute(
        select(ReadingPosition, Module.slug, ModuleVariant.title, ModuleVariant.id)
        .join(Module, ReadingPosition.module_id == Module.id)
        .join(ModuleVariant, ModuleVariant.version_id == Module.current_version_id)
        .where(
            ReadingPosition.user_id == user_id,
            Module.status == ModuleStatus.PUBLISHED,
            ModuleVariant.language == ReadingPosition.language,
        )
        .order_by(ReadingPosition.updated_at.desc())
        .limit(limit)
    ).all()
    counts = dict(
        session.execute(
            select(ModulePage.variant_id, func.count(ModulePage.id))
            .where(ModulePage.variant_id.in_([r[3] for r in rows]))
            .group_by(ModulePage.variant_id)
        ).all()
    )
    return [
        ContinueRow(
            slug,
            title,
            position.language,
            min(position.position, counts.get(variant_id, 1) - 1) + 1,
            counts.get(variant_id, 1),
            position.updated_at,
        )
        for position, slug, title, variant_id in rows
    ]


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


# --- Authoring -------------------------------------------------------------------------------


def provider_scope(user: User) -> set[int] | None:
    """Provider ids whose modules the user edits (None: every provider, for admins)."""
    return None if is_admin(user) else trainer_provider_ids(user)


@dataclass(frozen=True)
class LanguageState:
    """One language of a module in the authoring list."""

    language: str
    is_published: bool
    is_outdated: bool
    has_draft: bool


@dataclass(frozen=True)
class AuthoringRow:
    """A module in the trainer's list."""

    id: int
    slug: str
    title: str
    provider: str
    status: str
    version_number: int | None
    published_at: datetime | None
    languages: list[LanguageState]

    @property
    def has_drafts(self) -> bool:
        """True when some language has unpublished changes."""
        return any(state.has_draft for state in self.languages)

    @property
    def outdated(self) -> list[str]:
        """Languages whose published translation follows an older source revision."""
        return [s.language for s in self.languages if s.is_outdated]


def authoring_modules(session: Session, user: User) -> list[AuthoringRow]:
    """The modules the user may edit, with status, languages and drafts (three queries)."""
    scope = provider_scope(user)
    query = (
        select(Module, Provider.name, ModuleVersion.number, ModuleVersion.published_at)
        .join(Provider, Module.provider_id == Provider.id)
        .outerjoin(ModuleVersion, Module.current_version_id == ModuleVersion.id)
        .order_by(Module.slug)
    )
    if scope is not None:
        query = query.where(Module.provider_id.in_(scope or {-1}))
    modules = session.execute(query).all()
    version_ids = [m.current_version_id for m, *_ in modules if m.current_version_id]
    published: dict[int, list[tuple[str, bool, str]]] = {}
    for version_id, language, is_outdated, title in session.execute(
        select(
            ModuleVariant.version_id,
            ModuleVariant.language,
            ModuleVariant.is_outdated,
            ModuleVariant.title,
        ).where(ModuleVariant.version_id.in_(version_ids))
    ):
        published.setdefault(version_id, []).append((language, is_outdated, title))
    drafts: dict[int, dict[str, str]] = {}
    for module_id, language, title in session.execute(
        select(ModuleDraft.module_id, ModuleDraft.language, ModuleDraft.title).where(
            ModuleDraft.module_id.in_([m.id for m, *_ in modules])
        )
    ):
        drafts.setdefault(module_id, {})[language] = title
    rows = []
    for module, provider_name, number, published_at in modules:
        variants = {
            lang: (out, title)
            for lang, out, title in published.get(module.current_version_id or 0, [])
        }
        module_drafts = drafts.get(module.id, {})
        languages = sorted_languages(set(variants) | set(module_drafts))
        title = (
            variants.get(module.source_language, (False, ""))[1]
            or module_drafts.get(module.source_language)
            or next(iter(t for _, t in variants.values()), "")
            or module.slug
        )
        rows.append(
            AuthoringRow(
                id=module.id,
                slug=module.slug,
                title=title,
                provider=provider_name,
                status=module.status.value,
                version_number=number,
                published_at=published_at,
                languages=[
                    LanguageState(
                        language=lang,
                        is_published=lang in variants,
                        is_outdated=variants.get(lang, (False, ""))[0],
                        has_draft=lang in module_drafts,
                    )
                    for lang in languages
                ],
            )
        )
    return rows


def editable_providers(session: Session, user: User) -> list[tuple[int, str]]:
    """(id, name) of the providers whose modules the user may create and edit."""
    scope = provider_scope(user)
    query = select(Provider.id, Provider.name).order_by(Provider.name)
    if scope is not None:
        query = query.where(Provider.id.in_(scope or {-1}))
    return [(provider_id, name) for provider_id, name in session.execute(query)]


def module_for_editor(session: Session, module_id: int) -> Module | None:
    """A module with its provider and current version loaded (permission is checked by caller)."""
    return session.scalar(
        select(Module)
        .where(Module.id == module_id)
        .options(selectinload(Module.current_version).selectinload(ModuleVersion.variants))
    )


def draft_for(session: Session, module_id: int, language: str) -> ModuleDraft | None:
    """The draft of one language of a module, if there is one."""
    return session.scalar(
        select(ModuleDraft).where(
            ModuleDraft.module_id == module_id, ModuleDraft.language == language
        )
    )


def drafts_of(session: Session, module_id: int) -> dict[str, ModuleDraft]:
    """Every draft of a module, by language."""
    return {
        d.language: d
        for d in session.scalars(select(ModuleDraft).where(ModuleDraft.module_id == module_id))
    }


@dataclass(frozen=True)
class MediaRow:
    """A media file of a module, with the Markdown to paste into a page."""

    id: int
    path: str
    mime: str
    size: int
    snippet: str


def module_media(session: Session, module_id: int) -> list[MediaRow]:
    """The newest file for each path of a module, with a ready-to-paste Markdown snippet."""
    latest: dict[str, MediaFile] = {}
    for media in session.scalars(
        select(MediaFile).where(MediaFile.module_id == module_id).order_by(MediaFile.id)
    ):
        latest[media.original_name] = media
    rows = []
    for path, media in sorted(latest.items()):
        if media.mime.startswith(("image/", "video/")):
            snippet = f"![{_describe_placeholder(path)}]({path})"
        else:
            snippet = f"[{_describe_placeholder(path)}]({path})"
        rows.append(MediaRow(media.id, path, media.mime, media.size, snippet))
    return rows


def _describe_placeholder(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("-", " ").strip().capitalize() or "Description"


def latest_media_by_path(session: Session, module_id: int) -> dict[str, MediaFile]:
    """The newest media file for each path of a module (what a draft's Markdown refers to)."""
    rows = session.scalars(
        select(MediaFile).where(MediaFile.module_id == module_id).order_by(MediaFile.id)
    ).all()
    return {media.original_name: media for media in rows}


def media_of_module(session: Session, module_id: int, media_id: int) -> MediaFile | None:
    """A media file, only if it belongs to the module."""
    return session.scalar(
        select(MediaFile).where(MediaFile.id == media_id, MediaFile.module_id == module_id)
    )


@dataclass(frozen=True)
class VersionRow:
    """One version in a module's history."""

    id: int
    number: int
    is_major: bool
    change_note: str
    published_at: datetime
    published_by: str | None
    languages: tuple[str, ...]
    is_current: bool


def version_history(session: Session, module: Module) -> list[VersionRow]:
    """Every version of a module, newest first (two queries)."""
    versions = session.execute(
        select(ModuleVersion, User.first_name, User.last_name)
        .outerjoin(User, ModuleVersion.published_by_id == User.id)
        .where(ModuleVersion.module_id == module.id)
        .order_by(ModuleVersion.number.desc())
    ).all()
    languages: dict[int, list[str]] = {}
    for version_id, language in session.execute(
        select(ModuleVariant.version_id, ModuleVariant.language).where(
            ModuleVariant.version_id.in_([v.id for v, *_ in versions])
        )
    ):
        languages.setdefault(version_id, []).append(language)
    return [
        VersionRow(
            id=version.id,
            number=version.number,
            is_major=version.is_major,
            change_note=version.change_note,
            published_at=version.published_at,
            published_by=f"{first} {last}".strip() if first or last else None,
            languages=tuple(sorted_languages(languages.get(version.id, []))),
            is_current=version.id == module.current_version_id,
        )
        for version, first, last in versions
    ]


@dataclass
class VersionDiff:
    """What changed in one language between two versions."""

    old_number: int
    new_number: int
    language: str
    old_missing: bool
    new_missing: bool
    fields: list[FieldChange] = field(default_factory=list)
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def is_same(self) -> bool:
        """True when nothing differs."""
        return not self.fields and not any(line.kind != "same" for line in self.lines)


def _variant_fields(variant: ModuleVariant | None, version: ModuleVersion) -> dict[str, object]:
    if variant is None:
        return {}
    return {
        "title": variant.title,
        "summary": variant.summary,
        "tags": list(variant.tags or []),
        "minutes": variant.minutes,
        "valid_days": version.valid_days,
        "revision": variant.revision,
        "translates": variant.translates,
    }


def version_diff(
    session: Session, module: Module, old_number: int, new_number: int, language: str
) -> VersionDiff | None:
    """The diff of one language between two versions of a module (None if a version is unknown)."""
    versions = {
        v.number: v
        for v in session.scalars(
            select(ModuleVersion)
            .where(
                ModuleVersion.module_id == module.id,
                ModuleVersion.number.in_([old_number, new_number]),
            )
            .options(selectinload(ModuleVersion.variants))
        )
    }
    if old_number not in versions or new_number not in versions:
        return None
    old, new = versions[old_number], versions[new_number]
    old_variant = next((v for v in old.variants if v.language == language), None)
    new_variant = next((v for v in new.variants if v.language == language), None)
    return VersionDiff(
        old_number=old_number,
        new_number=new_number,
        language=language,
        old_missing=old_variant is None,
        new_missing=new_variant is None,
        fields=field_changes(_variant_fields(old_variant, old), _variant_fields(new_variant, new)),
        lines=line_diff(
            old_variant.markdown if old_variant else "", new_variant.markdown if new_variant else ""
        ),
    )
