"""A learner's personal data from the learning record: statements, completions, pages seen.

Read for the download of one's own data (`app.tracking.export` writes the files).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module, ModulePage, ModuleVariant, ModuleVersion
from app.tracking.models import PageProgress, Statement
from app.tracking.queries import CompletionRow, completions_page
from app.tracking.statements import with_stored


@dataclass(frozen=True)
class PageProgressRow:
    """A page the learner has seen, for the personal data export."""

    module_slug: str
    version_number: int
    language: str
    position: int
    page_title: str
    cycle: int
    seen_at: datetime


def personal_statements(session: Session, user_id: int) -> list[dict[str, Any]]:
    """Return all of a learner's statements, oldest first, as the xAPI API shows them."""
    return [
        with_stored(payload, stored_at)
        for payload, stored_at in session.execute(
            select(Statement.payload, Statement.stored_at)
            .where(Statement.user_id == user_id)
            .order_by(Statement.id)
        )
    ]


def personal_completions(session: Session, user: Any, *, now: datetime) -> list[CompletionRow]:
    """Return all of a learner's completions (current and earlier), newest first."""
    rows, _total = completions_page(
        session, user, now=now, offset=0, limit=1_000_000, current_only=False, user_id=user.id
    )
    return rows


def personal_page_progress(session: Session, user_id: int) -> list[PageProgressRow]:
    """Return every page a learner has seen, by module, version, language and position."""
    rows = session.execute(
        select(
            Module.slug,
            ModuleVersion.number,
            ModuleVariant.language,
            ModulePage.position,
            ModulePage.title,
            PageProgress.cycle,
            PageProgress.seen_at,
        )
        .join(ModulePage, ModulePage.id == PageProgress.page_id)
        .join(ModuleVariant, ModuleVariant.id == PageProgress.variant_id)
        .join(ModuleVersion, ModuleVersion.id == PageProgress.module_version_id)
        .join(Module, Module.id == PageProgress.module_id)
        .where(PageProgress.user_id == user_id)
        .order_by(Module.slug, ModuleVersion.number, ModuleVariant.language, ModulePage.position)
    )
    return [PageProgressRow(*row) for row in rows]
