"""A learner's own page, "my learning": what is assigned, in progress, to redo, expiring, done.

It takes a fixed number of reads whatever the number of modules, run as one statement
(`app.platform.reads`): one per assignment source and one (`learner_modules`) for everything
else. Assignments come from the features that make them (`app.tracking.assignment_sources`);
my learning lists what they return.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.content.module_quizzes import quiz_slugs
from app.i18n.languages import pick_language
from app.platform.reads import Deferred, Read, resolve
from app.tracking.assignment_sources import (
    AssignmentRow,
    AssignmentSource,
    assignments_for,
    due_order,
)
from app.tracking.completion import (
    CompletionStatus,
    Progress,
    completion_status,
    progress_from_counts,
)
from app.tracking.learner_modules import learner_modules

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
    assignment_done: bool = False
    is_overdue: bool = False
    progress: Progress | None = None
    completion: CompletionInfo | None = None
    resume_number: int = 1
    quiz_slug: str | None = None
    quiz_due: bool = False
    last_activity_at: datetime | None = None

    @property
    def is_to_do_again(self) -> bool:
        """Assigned and not done, though an older completion still counts (a refresher done in
        last year's campaign): the learner must read it again."""
        return (
            self.assignment is not None
            and not self.assignment_done
            and self.completion is not None
            and self.completion.status.counts
        )


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

    def items(self) -> list[LearningItem]:
        """Every module shown, whatever its list."""
        return [*self.todo, *self.in_progress, *self.redo, *self.expiring, *self.completed]

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
    sources: Sequence[AssignmentSource] = (),
    quiz_links: bool = True,
) -> MyLearning:
    """Return a learner's modules: assigned (overdue first), in progress, to redo, expiring
    soon and completed. One statement whatever the count (and one more, for quiz links, only
    when a module waits for its quiz; without `quiz_links`, none is asked about or offered)."""
    (result,) = resolve(session, [learning(user_id, language=language, now=now, sources=sources)])
    due = [item.module_id for item in result.items() if item.quiz_due]
    return with_quiz_links(result, quiz_slugs(session, due) if due and quiz_links else {})


def learning(
    user_id: int, *, language: str, now: datetime, sources: Sequence[AssignmentSource] = ()
) -> Deferred:
    """My learning's reads (one per source, then `learner_modules`) and how they become a
    `MyLearning`, whose items waiting for a quiz have no quiz link yet (`with_quiz_links`)."""
    sources = tuple(sources)
    params = {"user_id": user_id, "now": now}
    reads = tuple(Read(source.statement, params) for source in sources)
    modules = Read(_modules_statement(sources), params)

    def finish(*rows: Sequence[Any]) -> MyLearning:
        assigned = assignments_for(zip(sources, rows[:-1], strict=True))
        return _sorted(_module_rows(rows[-1]), assigned, language=language, now=now)

    return Deferred((*reads, modules), finish)


def with_quiz_links(result: MyLearning, slugs: dict[int, str]) -> MyLearning:
    """`result` with each module waiting for its quiz linked to it (`slugs`: module -> quiz);
    a module without a quiz in `slugs` is not offered one."""
    for items in (result.todo, result.in_progress, result.redo, result.expiring, result.completed):
        for n, item in enumerate(items):
            if item.quiz_due:
                slug = slugs.get(item.module_id)
                items[n] = replace(item, quiz_slug=slug, quiz_due=slug is not None)
    return result


def _sorted(
    modules: list[_ModuleRow], assigned: dict[int, AssignmentRow], *, language: str, now: datetime
) -> MyLearning:
    result = MyLearning()
    for row in modules:
        item = _item(row, assigned.get(row.module_id), language=language, now=now)
        _sort_into(result, item, row.progress)
    result.todo.sort(key=lambda i: (not i.is_overdue, due_order(i.due_at), i.title.casefold()))
    result.in_progress.sort(key=lambda i: i.last_activity_at or now, reverse=True)
    result.redo.sort(key=lambda i: i.title.casefold())
    result.expiring.sort(key=lambda i: i.completion.expires_at if i.completion else now)
    result.completed.sort(
        key=lambda i: i.completion.completed_at if i.completion else now, reverse=True
    )
    return result


# Built once per set of sources (an app has one): the modules statement with "assigned" as a
# subquery of the sources' own statements, so it runs in the same statement as they do.
_MODULE_STATEMENTS: dict[tuple[AssignmentSource, ...], Select[Any]] = {}


def _modules_statement(sources: tuple[AssignmentSource, ...]) -> Select[Any]:
    statement = _MODULE_STATEMENTS.get(sources)
    if statement is None:
        assigned = [select(source.statement.subquery().c[0]) for source in sources]
        statement = _MODULE_STATEMENTS[sources] = learner_modules(assigned)
    return statement


def _module_rows(rows: Iterable[Any]) -> list[_ModuleRow]:
    """Every published module the learner has progress in, a completion of, or is assigned,
    with its titles and page counts (the rows of `learner_modules`)."""
    modules = []
    for row in rows:
        module = _module_row(row)
        for version_id, language, title, pages, seen in row.variants or ():
            module.titles.setdefault(version_id, {})[language] = title
            if pages:
                module.counts.setdefault(version_id, []).append((seen, pages))
        modules.append(module)
    return modules


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
    counts = completion is not None and completion.status.counts
    assignment_done = assignment is not None and (
        counts if assignment.is_done is None else assignment.is_done
    )
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
        assignment_done=assignment_done,
        is_overdue=bool(
            assignment
            and assignment.due_at is not None
            and assignment.due_at < now
            and not assignment_done
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
    if item.assignment is not None and not item.assignment_done:
        # Whatever an older completion says: a refresher done last year is to do again.
        result.todo.append(item)
    elif completion is not None and completion.status == CompletionStatus.EXPIRING_SOON:
        result.expiring.append(item)
    elif counts:
        result.completed.append(item)
    elif item.assignment is not None:
        return  # done through the full module (a refresher), whose own item shows it
    elif completion is not None and not started_again:
        result.redo.append(item)
    else:
        result.in_progress.append(item)
