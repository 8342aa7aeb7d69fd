"""A learner's own page, "my learning": what is assigned, in progress, to redo, expiring, done.

It takes a fixed number of queries whatever the number of modules. Assignments come from the
features that make them (campaigns, by hand): each connects a source to
`app.platform.hooks.ASSIGNMENT_SOURCES`, a callable `(session, user_id, now)` that returns
`AssignmentRow`s in one query; my learning lists what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.content.models import (
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
)
from app.content.module_quizzes import quiz_slugs
from app.i18n.languages import pick_language
from app.tracking.completion import (
    CompletionStatus,
    Progress,
    completion_status,
    progress_from_counts,
)
from app.tracking.models import Certificate, Completion, ModuleProgress, PageProgress
from app.tracking.queries import latest_majors

# --- assignments (filled by later features) --------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow:
    """A module a learner must complete, by when, and why (a campaign's name, "by hand")."""

    module_id: int
    due_at: datetime | None
    source: str


AssignmentSource = Callable[[Session, int, datetime], Iterable[AssignmentRow]]


def assignments_for(
    session: Session, user_id: int, now: datetime, sources: Iterable[AssignmentSource]
) -> dict[int, AssignmentRow]:
    """Merge what every source assigns; per module, the earliest due date wins."""
    merged: dict[int, AssignmentRow] = {}
    for source in sources:
        for row in source(session, user_id, now):
            known = merged.get(row.module_id)
            if known is None or _due_key(row.due_at) < _due_key(known.due_at):
                merged[row.module_id] = row
    return merged


def _due_key(due_at: datetime | None) -> tuple[int, datetime | None]:
    return (1, None) if due_at is None else (0, due_at)


# --- my learning -------------------------------------------------------------------------


@dataclass(frozen=True)
class CompletionInfo:
    """A learner's current completion of a module, and where it stands now."""

    completed_at: datetime
    version_number: int
    score_percent: float | None
    expires_at: datetime | None
    status: CompletionStatus
    certificate_code: str | None


@dataclass(frozen=True)
class LearningItem:
    """One module in "my learning", with everything needed to show it and resume it."""

    module_id: int
    slug: str
    title: str
    language: str
    # The `lang` argument of reader links: None when the title's language is the interface's.
    link_language: str | None = None
    due_at: datetime | None = None
    assignment: str | None = None
    is_overdue: bool = False
    progress: Progress | None = None
    completion: CompletionInfo | None = None
    resume_number: int = 1
    quiz_slug: str | None = None
    quiz_due: bool = False
    last_activity_at: datetime | None = None


@dataclass(frozen=True)
class MyLearning:
    """A learner's modules, sorted into what the page shows."""

    todo: list[LearningItem] = field(default_factory=list)
    in_progress: list[LearningItem] = field(default_factory=list)
    redo: list[LearningItem] = field(default_factory=list)
    expiring: list[LearningItem] = field(default_factory=list)
    completed: list[LearningItem] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing at all to show."""
        return not (self.todo or self.in_progress or self.redo or self.expiring or self.completed)

    @property
    def overdue(self) -> int:
        """Count the assigned modules past their due date."""
        return sum(1 for item in self.todo if item.is_overdue)


@dataclass(frozen=True)
class _Rows:
    """What my learning reads about a learner, in a fixed number of queries."""

    progress: dict[int, ModuleProgress]
    completions: dict[int, Any]  # module id -> (Completion, version number, certificate code)
    assigned: dict[int, AssignmentRow]
    modules: dict[int, Module]
    titles: dict[int, dict[str, str]]  # version id -> language -> title
    page_totals: dict[int, tuple[int, int]]  # variant id -> (version id, pages)
    seen: dict[int, int]  # variant id -> pages seen in the current cycle
    positions: dict[int, ReadingPosition]
    majors: dict[int, int]
    quizzes: dict[int, str]


def my_learning(
    session: Session,
    user_id: int,
    *,
    language: str,
    now: datetime,
    sources: Iterable[AssignmentSource] = (),
) -> MyLearning:
    """Return a learner's modules: assigned (overdue first), in progress, to redo, expiring
    soon and completed. Nine queries plus one per assignment source, whatever the count."""
    rows = _read_rows(session, user_id, now, sources)
    result = MyLearning()
    if rows is None:
        return result
    for module_id, module in rows.modules.items():
        item = _item(rows, module, language=language, now=now)
        _sort_into(result, item, rows.progress.get(module_id))
    result.todo.sort(key=lambda i: (not i.is_overdue, _due_key(i.due_at), i.title.casefold()))
    result.in_progress.sort(key=lambda i: i.last_activity_at or now, reverse=True)
    result.redo.sort(key=lambda i: i.title.casefold())
    result.expiring.sort(key=lambda i: i.completion.expires_at if i.completion else now)
    result.completed.sort(
        key=lambda i: i.completion.completed_at if i.completion else now, reverse=True
    )
    return result


def _read_rows(
    session: Session, user_id: int, now: datetime, sources: Iterable[AssignmentSource]
) -> _Rows | None:
    """Read everything my learning shows (None: the learner has no published module)."""
    progress = {
        row.module_id: row
        for row in session.scalars(select(ModuleProgress).where(ModuleProgress.user_id == user_id))
    }
    completions = {
        row.Completion.module_id: row
        for row in session.execute(
            select(Completion, ModuleVersion.number, Certificate.code)
            .join(ModuleVersion, ModuleVersion.id == Completion.module_version_id)
            .outerjoin(Certificate, Certificate.statement_id == Completion.statement_id)
            .where(Completion.user_id == user_id, Completion.is_current.is_(True))
        )
    }
    assigned = assignments_for(session, user_id, now, sources)
    module_ids = set(progress) | set(completions) | set(assigned)
    modules = _published_modules(session, module_ids) if module_ids else {}
    if not modules:
        return None
    versions = {m.current_version_id for m in modules.values()} | {
        p.module_version_id for p in progress.values() if p.module_version_id
    }
    return _Rows(
        progress=progress,
        completions=completions,
        assigned=assigned,
        modules=modules,
        titles=_titles(session, versions),
        page_totals=_page_totals(session, versions),
        seen=_seen_counts(session, user_id),
        positions={
            row.module_id: row
            for row in session.scalars(
                select(ReadingPosition).where(ReadingPosition.user_id == user_id)
            )
        },
        majors=latest_majors(session, modules),
        quizzes=quiz_slugs(session, modules),
    )


def _published_modules(session: Session, module_ids: Iterable[int]) -> dict[int, Module]:
    return {
        module.id: module
        for module in session.scalars(
            select(Module).where(
                Module.id.in_(list(module_ids)),
                Module.status == ModuleStatus.PUBLISHED,
                Module.current_version_id.is_not(None),
            )
        )
    }


def _titles(session: Session, versions: Iterable[int]) -> dict[int, dict[str, str]]:
    titles: dict[int, dict[str, str]] = {}
    for version_id, lang, title in session.execute(
        select(ModuleVariant.version_id, ModuleVariant.language, ModuleVariant.title).where(
            ModuleVariant.version_id.in_(list(versions))
        )
    ):
        titles.setdefault(version_id, {})[lang] = title
    return titles


def _page_totals(session: Session, versions: Iterable[int]) -> dict[int, tuple[int, int]]:
    return {
        variant_id: (version_id, total)
        for variant_id, version_id, total in session.execute(
            select(ModuleVariant.id, ModuleVariant.version_id, func.count(ModulePage.id))
            .join(ModulePage, ModulePage.variant_id == ModuleVariant.id)
            .where(ModuleVariant.version_id.in_(list(versions)))
            .group_by(ModuleVariant.id, ModuleVariant.version_id)
        )
    }


def _seen_counts(session: Session, user_id: int) -> dict[int, int]:
    """Pages seen per variant, in the version and cycle the learner is in now."""
    return dict(
        session.execute(
            select(PageProgress.variant_id, func.count(PageProgress.id))
            .join(
                ModuleProgress,
                and_(
                    ModuleProgress.user_id == PageProgress.user_id,
                    ModuleProgress.module_id == PageProgress.module_id,
                    ModuleProgress.module_version_id == PageProgress.module_version_id,
                    ModuleProgress.cycle == PageProgress.cycle,
                ),
            )
            .where(PageProgress.user_id == user_id)
            .group_by(PageProgress.variant_id)
        ).all()
    )


def _item(rows: _Rows, module: Module, *, language: str, now: datetime) -> LearningItem:
    """One module of my learning, in the language the learner reads it in."""
    progress_row = rows.progress.get(module.id)
    version_id = (
        progress_row.module_version_id
        if progress_row and progress_row.module_version_id
        else module.current_version_id
    )
    names = rows.titles.get(version_id) or rows.titles.get(module.current_version_id) or {}
    shown = pick_language(names, language, module.source_language) if names else language
    completion = _completion_info(rows, module.id, now)
    progress = _progress(rows, progress_row)
    position = rows.positions.get(module.id)
    # Resume where the reader left off in the version shown now; a new version starts over.
    if position is not None and position.version_id == module.current_version_id:
        resume = position.position + 1
        shown = position.language
    elif progress is not None and version_id == module.current_version_id:
        resume = min(progress.seen + 1, max(progress.total, 1))
    else:
        resume = 1
    assignment = rows.assigned.get(module.id)
    quiz_slug = rows.quizzes.get(module.id)
    return LearningItem(
        module_id=module.id,
        slug=module.slug,
        title=names.get(shown) or next(iter(names.values()), module.slug),
        language=shown,
        link_language=shown if shown != language else None,
        due_at=assignment.due_at if assignment else None,
        assignment=assignment.source if assignment else None,
        is_overdue=bool(
            assignment
            and assignment.due_at is not None
            and assignment.due_at < now
            and not (completion and completion.status.counts)
        ),
        progress=progress,
        completion=completion,
        resume_number=resume,
        quiz_slug=quiz_slug,
        quiz_due=_quiz_due(quiz_slug, progress, progress_row),
        last_activity_at=progress_row.last_activity_at if progress_row else None,
    )


def _completion_info(rows: _Rows, module_id: int, now: datetime) -> CompletionInfo | None:
    row = rows.completions.get(module_id)
    if row is None:
        return None
    done = row.Completion
    return CompletionInfo(
        completed_at=done.completed_at,
        version_number=row.number,
        score_percent=done.score_percent,
        expires_at=done.expires_at,
        status=completion_status(
            version_number=row.number,
            expires_at=done.expires_at,
            latest_major_number=rows.majors.get(module_id),
            now=now,
        ),
        certificate_code=row.code,
    )


def _progress(rows: _Rows, progress_row: ModuleProgress | None) -> Progress | None:
    if progress_row is None or not progress_row.module_version_id:
        return None
    return progress_from_counts(
        (rows.seen.get(variant_id, 0), total)
        for variant_id, (version_id, total) in rows.page_totals.items()
        if version_id == progress_row.module_version_id
    )


def _quiz_due(
    quiz_slug: str | None, progress: Progress | None, progress_row: ModuleProgress | None
) -> bool:
    """Every page is read in this cycle but the quiz is not passed yet."""
    return bool(
        quiz_slug
        and progress is not None
        and progress.total
        and progress.seen == progress.total
        and progress_row is not None
        and progress_row.quiz_passed_cycle != progress_row.cycle
    )


def _sort_into(result: MyLearning, item: LearningItem, progress_row: ModuleProgress | None) -> None:
    completion = item.completion
    counts = completion is not None and completion.status.counts
    started_again = (
        progress_row is not None
        and item.progress is not None
        and (item.progress.seen > 0 or progress_row.quiz_passed_cycle == progress_row.cycle)
    )
    if completion is not None and completion.status == CompletionStatus.EXPIRING_SOON:
        result.expiring.append(item)
    elif counts:
        result.completed.append(item)
    elif item.assignment is not None:
        result.todo.append(item)
    elif completion is not None and not started_again:
        result.redo.append(item)
    else:
        result.in_progress.append(item)
