"""Writes on modules and their drafts: create a module, save or discard a draft, archive.

Every function adds and flushes; the view or command that called it commits once. Versions are
made in `versions`, drafts are published in `publishing`, media in `media_files`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.content.models import Module, ModuleDraft, ModuleStatus
from app.people.models import Provider, User
from app.platform.audit import record_event


class ContentError(ValueError):
    """A rule about modules was broken; the message says which (already translated)."""


class DraftConflict(ContentError):
    """Somebody else saved (or published) the draft since the editor was opened."""


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
