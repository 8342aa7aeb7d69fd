"""Immutable versions of a module: made from parsed variants, their pages rendered here, once.

Also what is derived from the rendered pages: the printable key points and the search text.
Every function adds and flushes; the caller commits once.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from html.parser import HTMLParser

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.content.html_sanitiser import sanitise_html
from app.content.markdown_pipeline import DEFAULT_LABELS
from app.content.media_files import media_href
from app.content.models import (
    MediaFile,
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    VersionMedia,
)
from app.content.module_format import VariantSource
from app.content.rendering import render_pages
from app.content.search import searchable
from app.i18n.languages import sorted_languages
from app.people.models import User
from app.platform.audit import record_event


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
    number = _next_version_number(session, module)
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
        version.variants.append(_variant_row(version, variant, urls, source.revision or 1))
    for path in sorted(used_paths):
        media = media_by_path.get(path)
        if media is not None:
            session.add(VersionMedia(version_id=version.id, media_id=media.id, path=path))
    _make_current(session, module, version, actor=actor, now=now)
    return version


def _next_version_number(session: Session, module: Module) -> int:
    """The number of the module's next version (the module row is locked until commit)."""
    # Two publications of one module (a publish and an import) take turns here on PostgreSQL,
    # so each reads the other's version number; SQLite writers are serialised anyway.
    session.execute(select(Module.id).where(Module.id == module.id).with_for_update())
    latest = session.scalar(
        select(func.max(ModuleVersion.number)).where(ModuleVersion.module_id == module.id)
    )
    return (latest or 0) + 1


def _variant_row(
    version: ModuleVersion, variant: VariantSource, urls: Mapping[str, str], revision: int
) -> ModuleVariant:
    """One language of the version with its pages rendered (`revision`: the source's)."""
    rendered = render_pages(variant, media_url=urls.get, labels=callout_labels(variant.language))
    row = ModuleVariant(
        version_id=version.id,
        language=variant.language,
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
    return row


def _make_current(
    session: Session, module: Module, version: ModuleVersion, *, actor: User | None, now: datetime
) -> None:
    """Show the new version to learners (a draft module becomes published) and audit it."""
    before = {"version": version.number - 1 or None, "status": module.status.value}
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
        after={"version": version.number, "status": module.status.value},
        is_major=version.is_major,
    )
