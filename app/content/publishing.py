"""Publishing the drafts of a module: what the new version would be, then making it.

The drafts (and the unchanged languages of the current version) are written as files and read
back by the file checker, so a draft is published only if it would import as a file.
Every function adds and flushes; the caller commits once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.content.authoring_queries import latest_media_by_path
from app.content.models import (
    MediaFile,
    Module,
    ModuleDraft,
    ModuleVariant,
    ModuleVersion,
    VersionMedia,
)
from app.content.module_format import VariantSource, format_variant
from app.content.operations import ContentError
from app.content.variant_file import parse_variant_text
from app.content.versions import add_version, module_content_hash
from app.i18n.languages import sorted_languages
from app.i18n.markers import N_
from app.people.models import User
from app.web.problems import ERROR, Problem, make_problem


class PublishRefused(ContentError):
    """The drafts cannot be published; `problems` says why, per language and line."""

    def __init__(
        self, problems: list[Problem], message: str = "", body_lines: Mapping[str, int] = {}
    ) -> None:
        super().__init__(message or "\n".join(str(p) for p in problems))
        self.problems = problems
        # File name -> line where the text box's content starts in that file.
        self.body_lines = dict(body_lines)


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
    version = module.current_version
    current = {row.language: row for row in version.variants} if version is not None else {}
    source_draft = drafts.get(module.source_language)
    if source_draft is not None:
        valid_days = source_draft.valid_days
    else:
        valid_days = version.valid_days if version else None
    media = _media_by_path(session, module, version)
    media_hashes = {path: m.sha256 for path, m in media.items()}
    plan = PublishPlan({}, {})
    for language in sorted_languages(set(drafts) | set(current)):
        text = _file_text(
            module, drafts.get(language), current.get(language), version, valid_days, change_note
        )
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
    plan.problems.extend(_translations_ahead(plan, module))
    used = {path for v in plan.variants.values() for path in v.media_paths}
    plan.media_by_path = {path: media[path] for path in used if path in media}
    return plan


def _media_by_path(
    session: Session, module: Module, version: ModuleVersion | None
) -> dict[str, MediaFile]:
    """The media a draft's Markdown may name: the newest file per path, and the version's."""
    media = latest_media_by_path(session, module.id)
    if version is not None:
        # Paths of the current version keep meaning the file they meant when it was published.
        for link in session.scalars(
            select(VersionMedia).where(VersionMedia.version_id == version.id)
        ):
            media.setdefault(link.path, link.media)
    return media


def _file_text(
    module: Module,
    draft: ModuleDraft | None,
    row: ModuleVariant | None,
    version: ModuleVersion | None,
    valid_days: int | None,
    change_note: str,
) -> str:
    """The file text of one language: its draft, else its row in the current version."""
    provider_slug = module.provider.slug
    refresher_slug = module.refresher_of.slug if module.refresher_of else None
    if draft is not None:
        return draft_file_text(
            module,
            draft,
            provider_slug=provider_slug,
            refresher_slug=refresher_slug,
            valid_days=valid_days,
            version_note=change_note,
        )
    assert row is not None and version is not None  # a language is a draft or a current row
    source = variant_source_from_row(module, provider_slug, refresher_slug, version, row)
    return format_variant(replace(source, valid_days=valid_days))


def _translations_ahead(plan: PublishPlan, module: Module) -> list[Problem]:
    """Translations that claim to follow a source revision that is not published yet."""
    source = plan.variants.get(module.source_language)
    if source is None:
        return []
    return [
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
        for variant in plan.variants.values()
        if not variant.is_source and (variant.translates or 0) > (source.revision or 1)
    ]


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
