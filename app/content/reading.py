"""A learner reading modules: where to resume, and the page-read event for other features."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.content.models import Module, ModulePage, ModuleStatus, ModuleVariant, ReadingPosition
from app.people.models import User
from app.platform.events import PageRead

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


@dataclass(frozen=True)
class ContinueRow:
    """A module the learner started: where to pick up."""

    slug: str
    title: str
    language: str
    number: int
    count: int
    updated_at: datetime


# Built once (the home panel binds the learner and the limit): positions with their module's
# slug, the title in the language being read and that variant's page count.
_CONTINUE_READING = (
    select(
        ReadingPosition.language,
        ReadingPosition.position,
        ReadingPosition.updated_at,
        Module.slug,
        ModuleVariant.title,
        select(func.count(ModulePage.id))
        .where(ModulePage.variant_id == ModuleVariant.id)
        .correlate(ModuleVariant)
        .scalar_subquery(),
    )
    .join(Module, ReadingPosition.module_id == Module.id)
    .join(ModuleVariant, ModuleVariant.version_id == Module.current_version_id)
    .where(
        ReadingPosition.user_id == bindparam("user_id"),
        Module.status == ModuleStatus.PUBLISHED,
        ModuleVariant.language == ReadingPosition.language,
    )
    .order_by(ReadingPosition.updated_at.desc())
    .limit(bindparam("limit"))
)


def continue_reading(session: Session, user_id: int, *, limit: int = 3) -> list[ContinueRow]:
    """The learner's most recently read published modules, newest first (one statement)."""
    rows = session.execute(_CONTINUE_READING, {"user_id": user_id, "limit": limit}).all()
    return [
        ContinueRow(
            slug,
            title,
            language,
            min(position, (count or 1) - 1) + 1,
            count or 1,
            updated_at,
        )
        for language, position, updated_at, slug, title, count in rows
    ]
