"""A learner's own page, "my learning": what is assigned, in progress, to redo, expiring, done.

It takes a fixed number of queries whatever the number of modules: one per assignment source
and one statement (`learner_modules.LEARNER_MODULES`, built once) for everything else.
Assignments come from the features that make them (campaigns, by hand): each connects a source to
`app.platform.hooks.ASSIGNMENT_SOURCES`, a callable `(session, user_id, now)` that returns
`AssignmentRow`s in one query; my learning lists what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.content.module_quizzes import quiz_slugs
from app.i18n.languages import pick_language
from app.tracking.completion import (
    CompletionStatus,
    Progress,
    completion_status,
    progress_from_counts,
)
from app.tracking.learner_modules import LEARNER_MODULES

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
class _ModuleRow:
    """What my learning reads about one module of the learner (one row per module)."""

    module_id: int
    slug: str
    source_language: str
    current_version_id: int
    progress: _ProgressFacts | None
    completion: _CompletionFacts | None
    position: _PositionFacts | None
    latest_major: int | None
    # version -> language -> title, and version -> (seen, total) per variant with pages
    titles: dict[int, dict[str, str]] = field(default_factory=dict)
    counts: dict[int, list[tuple[int, int]]] = field(default_factory=dict)


@dataclass(frozen=True)
class _ProgressFacts:
    version_id: int | None
    cycle: int
    quiz_passed_cycle: int | None
    last_activity_at: datetime


@dataclass(frozen=True)
class _CompletionFacts:
    completed_at: datetime
    score_percent: float | None
    expires_at: datetime | None
    version_number: int
    certificate_code: str | None


@dataclass(frozen=True)
class _PositionFacts:
    version_id: int
    position: int
    language: str


def my_learning(
    session: Session,
    user_id: int,
    *,
    language: str,
    now: datetime,
    sources: Iterable[AssignmentSource] = (),
    quiz_links: bool = True,
) -> MyLearning:
    """Return a learner's modules: assigned (overdue first), in progress, to redo, expiring
    soon and completed. One query plus one per assignment source, whatever the count (and one
    more, for quiz links, only when a module waits for its quiz; without `quiz_links`, no
    quiz is asked about and none is offered)."""
    assigned = assignments_for(session, user_id, now, sources)
    modules = _module_rows(session, user_id, assigned)
    result = MyLearning()
    if not modules:
        return result
    items = {
        row.module_id: _item(row, assigned.get(row.module_id), language=language, now=now)
        for row in modules
    }
    due = [item.module_id for item in items.values() if item.quiz_due]
    slugs = quiz_slugs(session, due) if due and quiz_links else {}
    for row in modules:
        item = items[row.module_id]
        if item.quiz_due:
            slug = slugs.get(row.module_id)
            item = replace(item, quiz_slug=slug, quiz_due=slug is not None)
        _sort_into(result, item, row.progress)
    result.todo.sort(key=lambda i: (not i.is_overdue, _due_key(i.due_at), i.title.casefold()))
    result.in_progress.sort(key=lambda i: i.last_activity_at or now, reverse=True)
    result.redo.sort(key=lambda i: i.title.casefold())
    result.expiring.sort(key=lambda i: i.completion.expires_at if i.completion else now)
    result.completed.sort(
        key=lambda i: i.completion.completed_at if i.completion else now, reverse=True
    )
    return result


def _module_rows(
    session: Session, user_id: int, assigned: dict[int, AssignmentRow]
) -> list[_ModuleRow]:
    """Every published module the learner has progress in, a completion of, or is assigned,
    with its titles and page counts, in one statement (built once, see `learner_modules`)."""
    modules: dict[int, _ModuleRow] = {}
    for row in session.execute(LEARNER_MODULES, {"user_id": user_id, "assigned": list(assigned)}):
        module = modules.get(row.module_id)
        if module is None:
            module = modules[row.module_id] = _module_row(row)
        module.titles.setdefault(row.version_id, {})[row.language] = row.title
        if row.pages:
            module.counts.setdefault(row.version_id, []).append((row.seen, row.pages))
    return list(modules.values())


def _module_row(row: Any) -> _ModuleRow:
    return _ModuleRow(
        module_id=row.module_id,
        slug=row.slug,
        source_language=row.source_language,
        current_version_id=row.current_version_id,
        progress=None
        if row.progress_id is None
        else _ProgressFacts(
            row.progress_version_id, row.cycle, row.quiz_passed_cycle, row.last_activity_at
        ),
        completion=None
        if row.completion_id is None
        else _CompletionFacts(
            row.completed_at,
            row.score_percent,
            row.expires_at,
            row.completed_number,
            row.certificate_code,
        ),
        position=None
        if row.position_version_id is None
        else _PositionFacts(row.position_version_id, row.position, row.position_language),
        latest_major=row.latest_major,
    )


def _item(
    row: _ModuleRow, assignment: AssignmentRow | None, *, language: str, now: datetime
) -> LearningItem:
    """One module of my learning, in the language the learner reads it in."""
    progress_row = row.progress
    version_id = (
        progress_row.version_id
        if progress_row and progress_row.version_id
        else row.current_version_id
    )
    names = row.titles.get(version_id) or row.titles.get(row.current_version_id) or {}
    shown = pick_language(names, language, row.source_language) if names else language
    completion = _completion_info(row, now)
    progress = _progress(row)
    position = row.position
    # Resume where the reader left off in the version shown now; a new version starts over.
    if position is not None and position.version_id == row.current_version_id:
        resume = position.position + 1
        shown = position.language
    elif progress is not None and version_id == row.current_version_id:
        resume = min(progress.seen + 1, max(progress.total, 1))
    else:
        resume = 1
    return LearningItem(
        module_id=row.module_id,
        slug=row.slug,
        title=names.get(shown) or next(iter(names.values()), row.slug),
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
        # Whether the module ends with a quiz is asked only when it could be due (see above).
        quiz_due=_quiz_due(progress, progress_row),
        last_activity_at=progress_row.last_activity_at if progress_row else None,
    )


def _completion_info(row: _ModuleRow, now: datetime) -> CompletionInfo | None:
    done = row.completion
    if done is None:
        return None
    return CompletionInfo(
        completed_at=done.completed_at,
        version_number=done.version_number,
        score_percent=done.score_percent,
        expires_at=done.expires_at,
        status=completion_status(
            version_number=done.version_number,
            expires_at=done.expires_at,
            latest_major_number=row.latest_major,
            now=now,
        ),
        certificate_code=done.certificate_code,
    )


def _progress(row: _ModuleRow) -> Progress | None:
    if row.progress is None or not row.progress.version_id:
        return None
    return progress_from_counts(row.counts.get(row.progress.version_id, ()))


def _quiz_due(progress: Progress | None, progress_row: _ProgressFacts | None) -> bool:
    """Every page is read in this cycle but the quiz (if the module has one) is not passed."""
    return bool(
        progress is not None
        and progress.total
        and progress.seen == progress.total
        and progress_row is not None
        and progress_row.quiz_passed_cycle != progress_row.cycle
    )


def _sort_into(result: MyLearning, item: LearningItem, progress_row: _ProgressFacts | None) -> None:
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
