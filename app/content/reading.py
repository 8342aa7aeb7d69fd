"""A learner reading modules: where to resume, and the page-read event for other features."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only

from app.content.models import (
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
)
from app.people.models import User
from app.platform.events import PageRead
from app.platform.reads import Deferred, Read

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
) -> None:
    """Note that the learner read `page` and where to resume; tell the page-view listeners.

    Listeners (the tracking feature) run in the same transaction, so a page view and what is
    derived from it are committed together or not at all.
    """
    values = {
        "version_id": version_id,
        "language": language,
        "position": resume_at,
        "updated_at": now,
    }
    # One UPDATE when the learner has a position already (the usual case), not SELECT + UPDATE.
    if not _move_position(session, user.id, module.id, values):
        try:
            # A savepoint: two first views racing (two tabs) must not fail the request.
            with session.begin_nested():
                session.add(ReadingPosition(user_id=user.id, module_id=module.id, **values))
        except IntegrityError:
            _move_position(session, user.id, module.id, values)
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


_MOVE_POSITION = update(ReadingPosition).where(
    ReadingPosition.user_id == bindparam("p_user_id"),
    ReadingPosition.module_id == bindparam("p_module_id"),
)


def _move_position(session: Session, user_id: int, module_id: int, values: dict) -> bool:
    """Set the learner's position in the module; False if they have none yet."""
    result = session.execute(
        _MOVE_POSITION.values(**values),
        {"p_user_id": user_id, "p_module_id": module_id},
        execution_options={"synchronize_session": "evaluate"},
    )
    return result.rowcount > 0


# --- "Page done": what the Next button records -----------------------------------------------


@dataclass(frozen=True)
class PageToRecord:
    """What "page done" needs: the module (None: no such published module), the page (None:
    not in that version and language) and how many pages its language has."""

    module: Module | None
    page: ModulePage | None
    count: int
    # Held so that the session keeps them (it holds entities weakly) for the listeners.
    loaded: tuple[Any, ...] = ()


_PAGE_COUNT = (
    select(func.count(ModulePage.id))
    .where(ModulePage.variant_id == ModuleVariant.id)
    .correlate(ModuleVariant)
    .scalar_subquery()
)
# Any version of the module (a learner may finish the version they started reading). The page,
# its variant and version come as entities, so the page-view listeners (tracking) find them in
# the session instead of loading them again; only the columns they read.
_PAGE_TO_RECORD = (
    select(Module, ModuleVersion, ModuleVariant, ModulePage, _PAGE_COUNT)
    .outerjoin(
        ModuleVersion,
        and_(ModuleVersion.module_id == Module.id, ModuleVersion.id == bindparam("version_id")),
    )
    .outerjoin(
        ModuleVariant,
        and_(
            ModuleVariant.version_id == ModuleVersion.id,
            ModuleVariant.language == bindparam("language"),
        ),
    )
    .outerjoin(
        ModulePage,
        and_(
            ModulePage.variant_id == ModuleVariant.id, ModulePage.position == bindparam("position")
        ),
    )
    .where(
        Module.slug == bindparam("slug"),
        Module.status == ModuleStatus.PUBLISHED,
        Module.current_version_id.is_not(None),
    )
    .options(
        load_only(ModuleVariant.id, ModuleVariant.version_id, ModuleVariant.language),
        load_only(ModulePage.id, ModulePage.variant_id, ModulePage.position, ModulePage.title),
    )
)


def page_to_record(
    session: Session, slug: str, version_id: int, language: str, number: int
) -> PageToRecord:
    """The published module `slug` and page `number` of a language of one of its versions
    (one query)."""
    row = session.execute(
        _PAGE_TO_RECORD,
        {"slug": slug, "version_id": version_id, "language": language, "position": number - 1},
    ).first()
    if row is None:
        return PageToRecord(None, None, 0)
    return PageToRecord(row[0], row[3], row[4] or 0, loaded=(row[1], row[2]))


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
    .limit(bindparam("reading_limit"))
)


def continue_reading(user_id: int, *, limit: int = 3) -> Deferred:
    """The learner's most recently read published modules, newest first, as `ContinueRow`s
    (one read, run with the page's others: see `app.platform.reads`)."""
    return Deferred(
        (Read(_CONTINUE_READING, {"user_id": user_id, "reading_limit": limit}),), _continue_rows
    )


def _continue_rows(rows: Sequence[Any]) -> list[ContinueRow]:
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
