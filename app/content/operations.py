"""Writes on modules: versions (rendered once), drafts, media, publishing, archiving, reading.

Every function adds and flushes; the view or command that called it commits once.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.content.html_sanitiser import sanitise_html
from app.content.markdown_pipeline import DEFAULT_LABELS
from app.content.media_store import stage_media_file
from app.content.media_types import MediaType, sniff_media
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
from app.content.module_format import VariantSource, format_variant
from app.content.queries import latest_media_by_path
from app.content.rendering import render_pages
from app.content.search import searchable
from app.content.variant_file import parse_variant_text
from app.i18n.languages import sorted_languages
from app.i18n.markers import N_
from app.people.models import Provider, User
from app.platform.audit import record_event
from app.platform.events import PageRead
from app.web.problems import ERROR, Problem, make_problem

MEDIA_SUBFOLDER = "content"


class ContentError(ValueError):
    """A rule about modules was broken; the message says which (already translated)."""


class DraftConflict(ContentError):
    """Somebody else saved (or published) the draft since the editor was opened."""


class PublishRefused(ContentError):
    """The drafts cannot be published; `problems` says why, per language and line."""

    def __init__(
        self, problems: list[Problem], message: str = "", body_lines: Mapping[str, int] = {}
    ) -> None:
        super().__init__(message or "\n".join(str(p) for p in problems))
        self.problems = problems
        # File name -> line where the text box's content starts in that file.
        self.body_lines = dict(body_lines)


class MediaRefused(ContentError):
    """An uploaded file is not accepted (type or size); the message is for the form field."""


# --- Small helpers ---------------------------------------------------------------------------


def media_folder(upload_path: str | Path | None = None) -> Path:
    """The folder of the upload store that keeps module media (created on demand)."""
    root = Path(upload_path or current_app.config["UPLOAD_PATH"]) / MEDIA_SUBFOLDER
    root.mkdir(parents=True, exist_ok=True)
    return root


def media_href(media: MediaFile) -> str:
    """The URL path that serves a media file (stored in rendered HTML, so no host name)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build(
        "content.media",
        {"media_id": media.id, "name": PurePosixPath(media.original_name).name},
    )


def callout_labels(language: str) -> dict[str, str]:
    """Call-out titles ("Tip", "Say to the customer"...) in the language of the content."""
    with force_locale(f"{language}_CH"):
        return {key: _(text) for key, text in DEFAULT_LABELS.items()}


def module_content_hash(variant_hashes: Mapping[str, str]) -> str:
    """One hash over every language's content hash (a version changes when any language does)."""
    encoded = json.dumps(dict(sorted(variant_hashes.items())), separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


class _KeyPoints(HTMLParser):
    """Copies the call-outs and step lists out of a page's sanitised HTML."""

    KEEP = {("aside", "callout"), ("ol", "steps")}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.depth = 0  # >0 while inside a kept element
        self.stack: list[str] = []

    def _kept(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        classes = (dict(attrs).get("class") or "").split()
        return any(tag == t and c in classes for t, c in self.KEEP)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 0 and not self._kept(tag, attrs):
            return
        self.depth += 1
        rendered = "".join(
            f' {name}="{_escape(value or "")}"' for name, value in attrs if name != "id"
        )
        self.parts.append(f"<{tag}{rendered}>")
        if tag in ("img", "br", "hr", "source"):
            self.depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth == 0 or tag in ("img", "br", "hr", "source"):
            return
        self.depth -= 1
        self.parts.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(_escape(data))


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def key_points_html(pages: Iterable[tuple[str, str]]) -> str:
    """Page titles with their call-outs and step lists: the printable one-page summary.

    Built from already sanitised page HTML and sanitised again, so it is sanitiser output.
    """
    sections = []
    for title, page_html in pages:
        extractor = _KeyPoints()
        extractor.feed(page_html)
        extractor.close()
        sections.append(f"<h3>{_escape(title)}</h3>{''.join(extractor.parts)}")
    return sanitise_html("".join(sections))


def search_text(
    variant: VariantSource, rendered_texts: Iterable[str], titles: Iterable[str]
) -> str:
    """Everything a search should find in a variant: title, summary, tags, page text."""
    parts = [variant.title, variant.summary, " ".join(variant.tags), *titles, *rendered_texts]
    return searchable("\n".join(part for part in parts if part))


# --- Versions --------------------------------------------------------------------------------


def add_version(
    session: Session,
    module: Module,
    variants: Mapping[str, VariantSource],
    *,
    media_by_path: Mapping[str, MediaFile],
    is_major: bool,
    change_note: str,
    actor: User | None,
    now: datetime,
) -> ModuleVersion:
    """Create an immutable version from parsed variants; pages are rendered here, once."""
    source = variants[module.source_language]
    revision = source.revision or 1
    # Two publications of one module (a publish and an import) take turns here on PostgreSQL,
    # so each reads the other's version number; SQLite writers are serialised anyway.
    session.execute(select(Module.id).where(Module.id == module.id).with_for_update())
    number = (
        session.scalar(
            select(func.max(ModuleVersion.number)).where(ModuleVersion.module_id == module.id)
        )
        or 0
    ) + 1
    version = ModuleVersion(
        module_id=module.id,
        number=number,
        is_major=is_major or number == 1,
        change_note=change_note,
        content_hash=module_content_hash({k: v.content_hash for k, v in variants.items()}),
        valid_days=source.valid_days,
        minutes=source.minutes,
        published_at=now,
        published_by_id=actor.id if actor else None,
        created_at=now,
    )
    session.add(version)
    session.flush()
    urls = {path: media_href(media) for path, media in media_by_path.items()}
    used_paths: set[str] = set()
    for language in sorted_languages(variants):
        variant = variants[language]
        used_paths.update(variant.media_paths)
        rendered = render_pages(variant, media_url=urls.get, labels=callout_labels(language))
        row = ModuleVariant(
            version_id=version.id,
            language=language,
            title=variant.title,
            summary=variant.summary,
            tags=list(variant.tags),
            minutes=variant.minutes,
            version_note=variant.version_note,
            revision=variant.revision,
            translates=variant.translates,
            is_outdated=not variant.is_source and (variant.translates or 0) < revision,
            content_hash=variant.content_hash,
            markdown=variant.body_markdown,
            key_points_html=key_points_html((page.title, page.html) for page in rendered),
            search_text=search_text(
                variant, (page.text for page in rendered), (page.title for page in rendered)
            ),
        )
        row.pages = [
            ModulePage(
                position=page.index,
                title=page.title[:300],
                markdown=source_page.markdown,
                html=page.html,
                text=page.text,
            )
            for page, source_page in zip(rendered, variant.pages, strict=True)
        ]
        version.variants.append(row)
    for path in sorted(used_paths):
        media = media_by_path.get(path)
        if media is not None:
            session.add(VersionMedia(version_id=version.id, media_id=media.id, path=path))
    before = {"version": number - 1 or None, "status": module.status.value}
    module.current_version_id = version.id
    if module.status == ModuleStatus.DRAFT:
        module.status = ModuleStatus.PUBLISHED
    session.flush()
    record_event(
        session,
        "module.published",
        actor_id=actor.id if actor else None,
        object_type="module",
        object_id=module.id,
        now=now,
        before=before,
        after={"version": number, "status": module.status.value},
        is_major=version.is_major,
    )
    return version


# --- Media -----------------------------------------------------------------------------------


def store_media(
    session: Session,
    module: Module,
    *,
    data: bytes,
    path: str,
    folder: Path,
    now: datetime,
) -> MediaFile:
    """Keep a media file of a module under a generated name; identical files are stored once."""
    media_type = sniff_media(data)
    if media_type is None:
        raise MediaRefused(
            _("This file type is not accepted (only png, jpg, gif, webp, mp4, webm and pdf).")
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(MediaFile).where(
            MediaFile.module_id == module.id,
            MediaFile.original_name == path,
            MediaFile.sha256 == digest,
        )
    )
    if existing is not None:
        return existing
    same_bytes = session.scalar(
        select(MediaFile).where(MediaFile.module_id == module.id, MediaFile.sha256 == digest)
    )
    if same_bytes is not None and (folder / same_bytes.stored_name).exists():
        stored_name = same_bytes.stored_name
    else:
        # Staged: the file appears in the folder only if this transaction commits.
        stored_name = stage_media_file(session, folder, data, media_type.extension)
    media = MediaFile(
        module_id=module.id,
        sha256=digest,
        stored_name=stored_name,
        original_name=path,
        mime=media_type.mime,
        size=len(data),
        created_at=now,
    )
    session.add(media)
    session.flush()
    return media


_UNSAFE_NAME_RE = re.compile(r"[^a-z0-9]+")


def media_path_for_upload(filename: str, media_type: MediaType, taken: Iterable[str]) -> str:
    """A tidy path for an uploaded file, like `media/login-page.png` (extension from content)."""
    stem = PurePosixPath((filename or "").replace("\\", "/")).stem
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = _UNSAFE_NAME_RE.sub("-", folded).strip("-")[:60] or media_type.kind
    taken = set(taken)
    candidate, n = f"media/{slug}.{media_type.extension}", 2
    while candidate in taken:
        candidate, n = f"media/{slug}-{n}.{media_type.extension}", n + 1
    return candidate


def upload_media(
    session: Session,
    module: Module,
    *,
    data: bytes,
    filename: str,
    limits: Mapping[str, int],
    folder: Path,
    now: datetime,
) -> MediaFile:
    """Accept an upload from the editor: type by content, size by kind, generated names."""
    media_type = sniff_media(data)
    if media_type is None:
        raise MediaRefused(
            _(
                "This file is not an image, video or PDF we accept "
                "(png, jpg, gif, webp, mp4, webm, pdf), whatever its name says."
            )
        )
    limit = limits.get(media_type.kind, 0)
    if len(data) > limit:
        raise MediaRefused(
            _(
                "The file is too large: %(size)s MB (at most %(max)s MB for this kind of file).",
                size=f"{len(data) / 2**20:.1f}",
                max=f"{limit / 2**20:.0f}",
            )
        )
    digest = hashlib.sha256(data).hexdigest()
    same = session.scalar(
        select(MediaFile)
        .where(MediaFile.module_id == module.id, MediaFile.sha256 == digest)
        .order_by(MediaFile.id.desc())
        .limit(1)
    )
    if same is not None:
        return same
    taken = session.scalars(
        select(MediaFile.original_name).where(MediaFile.module_id == module.id)
    ).all()
    path = media_path_for_upload(filename, media_type, taken)
    return store_media(session, module, data=data, path=path, folder=folder, now=now)


# --- Modules and drafts ----------------------------------------------------------------------


def create_module(
    session: Session,
    *,
    slug: str,
    provider: Provider,
    source_language: str,
    title: str,
    actor: User,
    now: datetime,
) -> Module:
    """Start a new module written in the browser: the module and its source-language draft."""
    if session.scalar(select(Module.id).where(Module.slug == slug)) is not None:
        raise ContentError(_("The id '%(slug)s' is already used by another module.", slug=slug))
    module = Module(
        slug=slug,
        provider_id=provider.id,
        source_language=source_language,
        status=ModuleStatus.DRAFT,
        created_at=now,
    )
    session.add(module)
    try:
        session.flush()
    except IntegrityError as exc:  # the same id chosen at the same moment by someone else
        raise ContentError(
            _("The id '%(slug)s' is already used by another module.", slug=slug)
        ) from exc
    session.add(
        ModuleDraft(
            module_id=module.id,
            language=source_language,
            title=title,
            summary="",
            tags=[],
            minutes=5,
            revision=1,
            markdown="",
            updated_by_id=actor.id,
            updated_at=now,
        )
    )
    session.flush()
    return module


@dataclass
class DraftFields:
    """What the editor form sends for one language."""

    title: str
    summary: str
    tags: list[str]
    minutes: int
    markdown: str
    valid_days: int | None = None
    revision: int | None = None
    translates: int | None = None


def save_draft(
    session: Session,
    module: Module,
    language: str,
    fields: DraftFields,
    *,
    draft_id: int,
    lock_version: int,
    actor: User,
    now: datetime,
) -> ModuleDraft:
    """Save the editor's text, unless somebody saved or published it since it was loaded.

    `draft_id`/`lock_version` are what the editor loaded (0/0: there was no draft). The
    check below catches the ordinary case; the version column on the UPDATE (and the unique
    key on INSERT) catch two saves racing each other, and both raise DraftConflict.
    """
    values = {
        "title": fields.title,
        "summary": fields.summary,
        "tags": list(fields.tags),
        "minutes": fields.minutes,
        "markdown": fields.markdown,
        "valid_days": fields.valid_days,
        "revision": fields.revision,
        "translates": fields.translates,
        "updated_by_id": actor.id,
        "updated_at": now,
    }
    draft = session.scalar(
        select(ModuleDraft).where(
            ModuleDraft.module_id == module.id, ModuleDraft.language == language
        )
    )
    if draft is None:
        if draft_id:
            raise DraftConflict("draft was published or removed")
        draft = ModuleDraft(
            module_id=module.id,
            language=language,
            base_version_id=module.current_version_id,
            **values,
        )
        session.add(draft)
    elif draft.id != draft_id or draft.lock_version != lock_version:
        raise DraftConflict("draft changed")
    else:
        for name, value in values.items():
            setattr(draft, name, value)
    try:
        session.flush()
    except (StaleDataError, IntegrityError) as exc:
        raise DraftConflict("concurrent save") from exc
    return draft


def discard_draft(session: Session, draft: ModuleDraft) -> None:
    """Throw away one language's unpublished changes."""
    session.delete(draft)
    try:
        session.flush()
    except StaleDataError as exc:
        raise DraftConflict("draft changed") from exc


def set_archived(
    session: Session,
    module: Module,
    *,
    archived: bool,
    now: datetime,
    actor: User | None = None,
) -> None:
    """Withdraw a module from learners, or bring it back."""
    before = module.status.value
    if archived:
        module.status = ModuleStatus.ARCHIVED
        module.archived_at = now
    else:
        module.status = ModuleStatus.PUBLISHED if module.current_version_id else ModuleStatus.DRAFT
        module.archived_at = None
    session.flush()
    if module.status.value != before:
        record_event(
            session,
            "module.archived" if archived else "module.unarchived",
            actor_id=actor.id if actor else None,
            object_type="module",
            object_id=module.id,
            now=now,
            before={"status": before},
            after={"status": module.status.value},
        )


# --- Publishing from drafts ------------------------------------------------------------------


def variant_source_from_row(
    module: Module,
    provider_slug: str,
    refresher_slug: str | None,
    version: ModuleVersion,
    row: ModuleVariant,
) -> VariantSource:
    """A published variant as the file format sees it (for export, diff and re-publishing)."""
    return VariantSource(
        id=module.slug,
        language=row.language,
        path=Path(f"index.{row.language}.md"),
        title=row.title,
        summary=row.summary,
        provider=provider_slug,
        minutes=row.minutes,
        tags=list(row.tags or []),
        version_note=row.version_note or "",
        valid_days=version.valid_days,
        source_language=module.source_language,
        revision=row.revision,
        translates=row.translates,
        refresher_of=refresher_slug,
        body_markdown=row.markdown,
        pages=[],
        content_hash=row.content_hash,
        kind=_file_kind(module),
    )


def _file_kind(module: Module) -> str | None:
    """The module's `kind` as the file format writes it (None: a plain module)."""
    # None also before the first flush, when the column default is not applied yet.
    return None if module.kind in (None, "module") else str(module.kind)


def draft_file_text(
    module: Module,
    draft: ModuleDraft,
    *,
    provider_slug: str,
    refresher_slug: str | None,
    valid_days: int | None,
    version_note: str,
) -> str:
    """The `index.<lang>.md` text a draft stands for (so the file checker can judge it)."""
    body = draft.markdown.replace("\r\n", "\n").strip("\n")
    is_source = draft.language == module.source_language
    variant = VariantSource(
        id=module.slug,
        language=draft.language,
        path=Path(f"index.{draft.language}.md"),
        title=draft.title,
        summary=draft.summary,
        provider=provider_slug,
        minutes=draft.minutes,
        tags=list(draft.tags or []),
        version_note=version_note,
        valid_days=valid_days,
        source_language=module.source_language,
        revision=(draft.revision or 1) if is_source else None,
        translates=None if is_source else (draft.translates or 1),
        refresher_of=refresher_slug,
        body_markdown=body + "\n" if body else "",
        pages=[],
        content_hash="",
        kind=_file_kind(module),
    )
    return format_variant(variant)


def body_first_line(file_text: str) -> int:
    """The file line where the body starts in a text written by format_variant."""
    lines = file_text.split("\n")
    closing = next(i for i in range(1, len(lines)) if lines[i] == "---")
    return closing + 3  # closing "---" (0-based index), a blank line, then the body


@dataclass
class PublishPlan:
    """What publishing would create: parsed variants and the media they use."""

    variants: dict[str, VariantSource]
    media_by_path: dict[str, MediaFile]
    problems: list[Problem] = field(default_factory=list)
    body_lines: dict[str, int] = field(default_factory=dict)  # language -> first body line


def plan_publication(session: Session, module: Module, *, change_note: str) -> PublishPlan:
    """Turn the drafts (and the unchanged languages of the current version) into variants."""
    # Locked: a save racing this publication waits, then finds its draft gone (a conflict)
    # instead of being deleted unseen after the version was made from the older text.
    drafts = {
        d.language: d
        for d in session.scalars(
            select(ModuleDraft).where(ModuleDraft.module_id == module.id).with_for_update()
        )
    }
    current: dict[str, ModuleVariant] = {}
    version = module.current_version
    if version is not None:
        current = {row.language: row for row in version.variants}
    provider_slug = module.provider.slug
    refresher_slug = module.refresher_of.slug if module.refresher_of else None
    source_draft = drafts.get(module.source_language)
    if source_draft is not None:
        valid_days = source_draft.valid_days
    else:
        valid_days = version.valid_days if version else None
    media = latest_media_by_path(session, module.id)
    if version is not None:
        # Paths of the current version keep meaning the file they meant when it was published.
        for link in session.scalars(
            select(VersionMedia).where(VersionMedia.version_id == version.id)
        ):
            media.setdefault(link.path, link.media)
    media_hashes = {path: m.sha256 for path, m in media.items()}
    plan = PublishPlan({}, {})
    for language in sorted_languages(set(drafts) | set(current)):
        if language in drafts:
            text = draft_file_text(
                module,
                drafts[language],
                provider_slug=provider_slug,
                refresher_slug=refresher_slug,
                valid_days=valid_days,
                version_note=change_note,
            )
        else:
            row = current[language]
            source = variant_source_from_row(module, provider_slug, refresher_slug, version, row)
            source = replace(source, valid_days=valid_days)
            text = format_variant(source)
        plan.body_lines[language] = body_first_line(text)
        variant, problems = parse_variant_text(
            text,
            path=f"index.{language}.md",
            expected_language=language,
            expected_id=module.slug,
            media_hashes=media_hashes,
        )
        plan.problems.extend(problems)
        if variant is not None:
            plan.variants[language] = variant
    if module.source_language not in drafts and module.source_language not in current:
        plan.problems.append(
            make_problem(
                f"index.{module.source_language}.md",
                0,
                N_("the module has no text in its source language yet"),
            )
        )
    source = plan.variants.get(module.source_language)
    if source is not None:
        for variant in plan.variants.values():
            if variant.is_source:
                continue
            if (variant.translates or 0) > (source.revision or 1):
                plan.problems.append(
                    make_problem(
                        str(variant.path),
                        variant.line_of("translates"),
                        N_(
                            "'translates' is %(translates)d but the source (%(source)s) is "
                            "only at revision %(revision)d"
                        ),
                        translates=variant.translates,
                        source=module.source_language,
                        revision=source.revision or 1,
                    )
                )
    used = {path for v in plan.variants.values() for path in v.media_paths}
    plan.media_by_path = {path: media[path] for path in used if path in media}
    return plan


def publish_drafts(
    session: Session,
    module: Module,
    *,
    change_note: str,
    is_major: bool,
    actor: User,
    now: datetime,
) -> ModuleVersion:
    """Publish the drafts as a new immutable version (pages rendered once) and drop the drafts."""
    has_drafts = session.scalar(
        select(func.count(ModuleDraft.id)).where(ModuleDraft.module_id == module.id)
    )
    if not has_drafts:
        raise PublishRefused([], _("There are no changes to publish."))
    plan = plan_publication(session, module, change_note=change_note)
    errors = [p for p in plan.problems if p.severity == ERROR]
    if errors or module.source_language not in plan.variants:
        body_lines = {f"index.{lang}.md": line for lang, line in plan.body_lines.items()}
        raise PublishRefused(errors or plan.problems, body_lines=body_lines)
    new_hash = module_content_hash({k: v.content_hash for k, v in plan.variants.items()})
    if module.current_version is not None and module.current_version.content_hash == new_hash:
        raise PublishRefused([], _("The drafts are the same as the published version."))
    version = add_version(
        session,
        module,
        plan.variants,
        media_by_path=plan.media_by_path,
        is_major=is_major,
        change_note=change_note,
        actor=actor,
        now=now,
    )
    session.execute(delete(ModuleDraft).where(ModuleDraft.module_id == module.id))
    session.flush()
    return version


# --- Reading ---------------------------------------------------------------------------------

PageViewListener = Callable[[Session, PageRead], Any]


def record_page_view(
    session: Session,
    user: User,
    module: Module,
    page: ModulePage,
    *,
    version_id: int,
    language: str,
    resume_at: int,
    now: datetime,
    listeners: Iterable[PageViewListener] = (),
) -> ReadingPosition:
    """Note that the learner read `page` and where to resume; tell the page-view listeners.

    Listeners (the tracking feature) run in the same transaction, so a page view and what is
    derived from it are committed together or not at all.
    """
    position = session.scalar(
        select(ReadingPosition).where(
            ReadingPosition.user_id == user.id, ReadingPosition.module_id == module.id
        )
    )
    if position is None:
        try:
            # A savepoint: two first views racing (two tabs) must not fail the request.
            with session.begin_nested():
                position = ReadingPosition(
                    user_id=user.id,
                    module_id=module.id,
                    version_id=version_id,
                    language=language,
                    position=resume_at,
                    updated_at=now,
                )
                session.add(position)
        except IntegrityError:
            position = session.scalars(
                select(ReadingPosition).where(
                    ReadingPosition.user_id == user.id, ReadingPosition.module_id == module.id
                )
            ).one()
    position.version_id = version_id
    position.language = language
    position.position = resume_at
    position.updated_at = now
    session.flush()
    read = PageRead(
        user_id=user.id,
        module_id=module.id,
        version_id=version_id,
        page_id=page.id,
        language=language,
        at=now,
    )
    for listener in listeners:
        listener(session, read)
    return position
