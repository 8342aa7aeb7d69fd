"""Reads for authors: the modules they may edit, drafts, and the media files of a module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.content.models import MediaFile, Module, ModuleDraft, ModuleVariant, ModuleVersion
from app.i18n.languages import sorted_languages
from app.people.models import Provider, User
from app.permissions import is_admin, trainer_provider_ids


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
    published = _published_languages(
        session, [m.current_version_id for m, *_ in modules if m.current_version_id]
    )
    drafts = _draft_titles(session, [m.id for m, *_ in modules])
    return [
        _authoring_row(
            module,
            provider_name,
            number,
            published_at,
            variants={
                lang: (out, title)
                for lang, out, title in published.get(module.current_version_id or 0, [])
            },
            module_drafts=drafts.get(module.id, {}),
        )
        for module, provider_name, number, published_at in modules
    ]


def _published_languages(
    session: Session, version_ids: list[int]
) -> dict[int, list[tuple[str, bool, str]]]:
    """(language, is_outdated, title) of every variant of these versions, by version id."""
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
    return published


def _draft_titles(session: Session, module_ids: list[int]) -> dict[int, dict[str, str]]:
    """The title of every draft of these modules: module id -> language -> title."""
    drafts: dict[int, dict[str, str]] = {}
    for module_id, language, title in session.execute(
        select(ModuleDraft.module_id, ModuleDraft.language, ModuleDraft.title).where(
            ModuleDraft.module_id.in_(module_ids)
        )
    ):
        drafts.setdefault(module_id, {})[language] = title
    return drafts


def _authoring_row(
    module: Module,
    provider_name: str,
    number: int | None,
    published_at: datetime | None,
    *,
    variants: dict[str, tuple[bool, str]],
    module_drafts: dict[str, str],
) -> AuthoringRow:
    """One module of the list; its title in the source language, published or drafted."""
    languages = sorted_languages(set(variants) | set(module_drafts))
    title = (
        variants.get(module.source_language, (False, ""))[1]
        or module_drafts.get(module.source_language)
        or next(iter(t for _, t in variants.values()), "")
        or module.slug
    )
    return AuthoringRow(
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
