"""What the module editor shows: the draft form, previews, and the source beside a translation."""

from __future__ import annotations

from dataclasses import dataclass

from app.content.authoring_queries import draft_for, latest_media_by_path
from app.content.forms import DraftForm
from app.content.media_files import media_href
from app.content.models import Module, ModuleDraft, ModuleVariant
from app.content.module_format import split_pages
from app.content.rendering import render_markdown, render_title
from app.content.versions import callout_labels
from app.extensions import db

# A translation skeleton beyond this many pages would only be noise in the text box.
MAX_SKELETON_PAGES = 200


def media_urls(module_id: int) -> dict[str, str]:
    """The URL of the newest file for each media path of a module."""
    return {path: media_href(m) for path, m in latest_media_by_path(db.session, module_id).items()}


def render_preview(markdown: str, module_id: int, language: str, prefix: str = "") -> str:
    """Markdown of the editor rendered as learners would see it, with the module's media."""
    urls = media_urls(module_id)
    return render_markdown(
        markdown, media_url=urls.get, labels=callout_labels(language), footnote_prefix=prefix
    )


def draft_form(module: Module, language: str, draft: ModuleDraft | None) -> DraftForm:
    """The editor form filled from the draft, else the published variant, else empty."""
    form = DraftForm(formdata=None)
    variant: ModuleVariant | None = None
    if module.current_version is not None:
        variant = next((v for v in module.current_version.variants if v.language == language), None)
    source = draft or variant
    if source is not None:
        form.title.data = source.title
        form.summary.data = source.summary
        form.tags.data = ", ".join(source.tags or [])
        form.minutes.data = source.minutes
        form.revision.data = source.revision
        form.translates.data = source.translates
        form.markdown.data = source.markdown
    else:
        form.minutes.data = 5
        form.revision.data = 1
        form.translates.data = source_revision(module)
        origin = source_text(module) if language != module.source_language else None
        if origin is not None:
            # A new translation starts from the source's pages, so its structure matches.
            form.minutes.data = origin.minutes
            form.markdown.data = translation_skeleton(origin.markdown, origin.title)
    if draft is not None:
        form.valid_days.data = draft.valid_days
        form.draft_id.data = str(draft.id)
        form.lock_version.data = str(draft.lock_version)
    else:
        form.valid_days.data = module.current_version.valid_days if module.current_version else None
        form.draft_id.data = "0"
        form.lock_version.data = "0"
    return form


def source_revision(module: Module) -> int:
    """The source language's revision: its draft's, else the published one's, else 1."""
    draft = draft_for(db.session, module.id, module.source_language)
    if draft is not None and draft.revision:
        return draft.revision
    if module.current_version is not None:
        for variant in module.current_version.variants:
            if variant.language == module.source_language:
                return variant.revision or 1
    return 1


@dataclass(frozen=True)
class SourcePage:
    """One page of the source language, as the translator sees it beside the editor."""

    number: int
    title: str
    html: str
    markdown: str


@dataclass(frozen=True)
class SourceText:
    """The source language's current text: its unpublished draft, else the published one."""

    language: str
    title: str
    summary: str
    minutes: int
    markdown: str
    is_draft: bool


def source_text(module: Module) -> SourceText | None:
    """The source language's text (draft first), or None when it has none yet."""
    draft = draft_for(db.session, module.id, module.source_language)
    origin: ModuleDraft | ModuleVariant | None = draft
    if origin is None and module.current_version is not None:
        origin = next(
            (v for v in module.current_version.variants if v.language == module.source_language),
            None,
        )
    if origin is None:
        return None
    return SourceText(
        language=module.source_language,
        title=origin.title,
        summary=origin.summary or "",
        minutes=origin.minutes,
        markdown=(origin.markdown or "").replace("\r\n", "\n"),
        is_draft=draft is not None,
    )


def translation_skeleton(markdown: str, title: str) -> str:
    """The source's page headings with empty pages between them: where a translation starts."""
    pages = split_pages(markdown, title=title)[:MAX_SKELETON_PAGES]
    # The introduction (text before the first heading) has no heading line of its own.
    headings = [page.title for page in pages if page.start_line != page.markdown_line]
    return "".join(f"## {heading}\n\n\n" for heading in headings)


def source_pages(module: Module, origin: SourceText) -> list[SourcePage]:
    """The source's pages rendered for the translator."""
    pages = split_pages(origin.markdown, title=origin.title)
    return [
        SourcePage(
            number=page.index + 1,
            title=render_title(page.title),
            html=render_preview(
                page.markdown, module.id, origin.language, prefix=f"src{page.index + 1}-"
            ),
            markdown=page.markdown,
        )
        for page in pages
    ]
