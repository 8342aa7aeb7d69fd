"""Reads of the learning record, as plain rows: my learning, certificates, exports, the API.

"My learning" takes a fixed number of queries whatever the number of modules. Assignments
come from the features that make them (campaigns, by hand): each registers a source in
`app.platform.hooks.ASSIGNMENT_SOURCES`, a callable `(session, user_id, now)` that
returns `AssignmentRow`s in one query; my learning lists what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from app.content.models import (
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
)
from app.i18n.languages import pick_language
from app.people.models import Unit, User
from app.permissions import is_admin, managed_unit_paths, unit_scope_clause
from app.tracking.certificates import normalise_code
from app.tracking.completion import (
    CompletionStatus,
    Progress,
    completion_status,
    progress_from_counts,
)
from app.tracking.models import (
    Certificate,
    Completion,
    ModuleProgress,
    PageProgress,
    Statement,
)
from app.tracking.statements import Verb, with_stored

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


def _latest_majors(session: Session, module_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        session.execute(
            select(ModuleVersion.module_id, func.max(ModuleVersion.number))
            .where(ModuleVersion.module_id.in_(list(module_ids)), ModuleVersion.is_major.is_(True))
            .group_by(ModuleVersion.module_id)
        ).all()
    )


def _quiz_slugs(session: Session, module_ids: Iterable[int]) -> dict[int, str]:
    try:
        from app.assessment.models import Quiz
    except ImportError:  # the assessment feature is not installed
        return {}
    slugs: dict[int, str] = {}
    rows = session.execute(
        select(Quiz.module_id, Quiz.slug)
        .where(Quiz.module_id.in_(list(module_ids)), Quiz.current_version_id.is_not(None))
        .order_by(Quiz.id)
    )
    for module_id, slug in rows:
        slugs.setdefault(module_id, slug)
    return slugs


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
    progress_rows = {
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
    module_ids = set(progress_rows) | set(completions) | set(assigned)
    if not module_ids:
        return MyLearning()
    modules = {
        module.id: module
        for module in session.scalars(
            select(Module).where(
                Module.id.in_(module_ids),
                Module.status == ModuleStatus.PUBLISHED,
                Module.current_version_id.is_not(None),
            )
        )
    }
    if not modules:
        return MyLearning()
    versions = {m.current_version_id for m in modules.values()} | {
        p.module_version_id for p in progress_rows.values() if p.module_version_id
    }
    titles: dict[int, dict[str, str]] = {}
    for version_id, lang, title in session.execute(
        select(ModuleVariant.version_id, ModuleVariant.language, ModuleVariant.title).where(
            ModuleVariant.version_id.in_(versions)
        )
    ):
        titles.setdefault(version_id, {})[lang] = title
    page_totals = {
        variant_id: (version_id, total)
        for variant_id, version_id, total in session.execute(
            select(ModuleVariant.id, ModuleVariant.version_id, func.count(ModulePage.id))
            .join(ModulePage, ModulePage.variant_id == ModuleVariant.id)
            .where(ModuleVariant.version_id.in_(versions))
            .group_by(ModuleVariant.id, ModuleVariant.version_id)
        )
    }
    seen = dict(
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
    positions = {
        row.module_id: row
        for row in session.scalars(
            select(ReadingPosition).where(ReadingPosition.user_id == user_id)
        )
    }
    majors = _latest_majors(session, modules)
    quizzes = _quiz_slugs(session, modules)

    result = MyLearning()
    for module_id, module in modules.items():
        progress_row = progress_rows.get(module_id)
        version_id = (
            progress_row.module_version_id
            if progress_row and progress_row.module_version_id
            else module.current_version_id
        )
        names = titles.get(version_id) or titles.get(module.current_version_id) or {}
        shown = pick_language(names, language, module.source_language) if names else language
        completion_row = completions.get(module_id)
        completion = None
        if completion_row is not None:
            done = completion_row.Completion
            completion = CompletionInfo(
                completed_at=done.completed_at,
                version_number=completion_row.number,
                score_percent=done.score_percent,
                expires_at=done.expires_at,
                status=completion_status(
                    version_number=completion_row.number,
                    expires_at=done.expires_at,
                    latest_major_number=majors.get(module_id),
                    now=now,
                ),
                certificate_code=completion_row.code,
            )
        progress = None
        if progress_row is not None and progress_row.module_version_id:
            progress = progress_from_counts(
                (seen.get(variant_id, 0), total)
                for variant_id, (vid, total) in page_totals.items()
                if vid == progress_row.module_version_id
            )
        position = positions.get(module_id)
        # Resume where the reader left off in the version shown now; a new version starts over.
        if position is not None and position.version_id == module.current_version_id:
            resume = position.position + 1
            shown = position.language
        elif progress is not None and version_id == module.current_version_id:
            resume = min(progress.seen + 1, max(progress.total, 1))
        else:
            resume = 1
        assignment = assigned.get(module_id)
        quiz_slug = quizzes.get(module_id)
        quiz_due = bool(
            quiz_slug
            and progress is not None
            and progress.total
            and progress.seen == progress.total
            and progress_row is not None
            and progress_row.quiz_passed_cycle != progress_row.cycle
        )
        item = LearningItem(
            module_id=module_id,
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
            quiz_due=quiz_due,
            last_activity_at=progress_row.last_activity_at if progress_row else None,
        )
        _sort_into(result, item, progress_row)
    result.todo.sort(key=lambda i: (not i.is_overdue, _due_key(i.due_at), i.title.casefold()))
    result.in_progress.sort(key=lambda i: i.last_activity_at or now, reverse=True)
    result.redo.sort(key=lambda i: i.title.casefold())
    result.expiring.sort(key=lambda i: i.completion.expires_at if i.completion else now)
    result.completed.sort(
        key=lambda i: i.completion.completed_at if i.completion else now, reverse=True
    )
    return result


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


# --- certificates --------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateRow:
    """What a certificate shows (and, less of it, the public verification page)."""

    code: str
    user_id: int
    learner_name: str
    module_slug: str
    module_title: str
    version_number: int
    completed_at: datetime
    score_percent: float | None
    expires_at: datetime | None
    status: CompletionStatus | None  # None: the completion is not in the derived table

    @property
    def is_valid(self) -> bool:
        """Tell whether the completion still counts."""
        return self.status is not None and self.status.counts


def certificate_by_code(
    session: Session, code: str, *, language: str, now: datetime
) -> CertificateRow | None:
    """Return the certificate with this code (typed in any case, with or without dashes)."""
    normalised = normalise_code(code)
    if normalised is None:
        return None
    row = session.execute(
        select(Certificate, Statement, User, Module, Completion)
        .join(Statement, Statement.id == Certificate.statement_id)
        .join(User, User.id == Certificate.user_id)
        .join(Module, Module.id == Statement.module_id)
        .outerjoin(Completion, Completion.statement_id == Certificate.statement_id)
        .where(Certificate.code == normalised)
    ).first()
    if row is None:
        return None
    certificate, statement, user, module, completion = row
    version_id = statement.module_version_id
    version = session.get(ModuleVersion, version_id) if version_id else None
    if version is None:
        return None
    names = {variant.language: variant.title for variant in version.variants}
    title = names.get(pick_language(names, language, module.source_language), module.slug)
    status = None
    if completion is not None:
        major = _latest_majors(session, [module.id]).get(module.id)
        status = completion_status(
            version_number=version.number,
            expires_at=completion.expires_at,
            latest_major_number=major,
            now=now,
        )
    return CertificateRow(
        code=certificate.code,
        user_id=user.id,
        learner_name=user.display_name,
        module_slug=module.slug,
        module_title=title,
        version_number=version.number,
        completed_at=statement.timestamp,
        score_percent=completion.score_percent if completion else None,
        expires_at=completion.expires_at if completion else None,
        status=status,
    )


# --- scope -------------------------------------------------------------------------------


def learner_scope_clause(viewer: Any, user_column: Any) -> ColumnElement[bool]:
    """SQL condition: the learner (`user_column`) is the viewer or someone they manage."""
    if is_admin(viewer):
        return true()
    own = user_column == viewer.id
    if not managed_unit_paths(viewer):
        return own
    managed = (
        select(User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(unit_scope_clause(viewer, Unit.path))
    )
    return or_(own, user_column.in_(managed))


# --- statements (API, personal data) -----------------------------------------------------------


@dataclass(frozen=True)
class StatementFilter:
    """The xAPI query filters the API accepts."""

    since: datetime | None = None
    until: datetime | None = None
    verb: Verb | None = None
    activity: str | None = None
    agent_email: str | None = None
    registration: str | None = None
    ascending: bool = False


def statements_page(
    session: Session, viewer: Any, filters: StatementFilter, *, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Return one page of the statements the viewer may see (xAPI JSON) and the total.

    As an LRS does (xAPI 1.0.3, Communication 2.1.4), a voided statement is left out; the
    statement that voids it is listed.
    """
    voiding = aliased(Statement)
    conditions: list[ColumnElement[bool]] = [
        learner_scope_clause(viewer, Statement.user_id),
        ~select(voiding.id)
        .where(voiding.verb == Verb.VOIDED, voiding.object_iri == Statement.uuid)
        .exists(),
    ]
    if filters.since is not None:
        conditions.append(Statement.stored_at > filters.since)
    if filters.until is not None:
        conditions.append(Statement.stored_at <= filters.until)
    if filters.verb is not None:
        conditions.append(Statement.verb == filters.verb)
    if filters.activity is not None:
        conditions.append(Statement.object_iri == filters.activity)
    if filters.registration is not None:
        conditions.append(Statement.registration == filters.registration)
    if filters.agent_email is not None:
        conditions.append(
            Statement.user_id.in_(
                select(User.id).where(func.lower(User.email) == filters.agent_email.lower())
            )
        )
    total = session.scalar(select(func.count(Statement.id)).where(*conditions)) or 0
    order = (
        (Statement.stored_at.asc(), Statement.id.asc())
        if filters.ascending
        else (Statement.stored_at.desc(), Statement.id.desc())
    )
    rows = session.execute(
        select(Statement.payload, Statement.stored_at)
        .where(*conditions)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return [with_stored(payload, stored_at) for payload, stored_at in rows], total


@dataclass(frozen=True)
class CompletionRow:
    """A completion as the API and the exports list it."""

    user_id: int
    user_name: str
    user_email: str
    module_id: int
    module_slug: str
    version_number: int
    number: int
    completed_at: datetime
    score_percent: float | None
    expires_at: datetime | None
    is_current: bool
    status: CompletionStatus
    certificate_code: str | None


def completions_page(
    session: Session,
    viewer: Any,
    *,
    now: datetime,
    offset: int,
    limit: int,
    since: datetime | None = None,
    until: datetime | None = None,
    module_slug: str | None = None,
    current_only: bool = True,
    user_id: int | None = None,
) -> tuple[list[CompletionRow], int]:
    """Return one page of the completions the viewer may see (newest first) and the total."""
    conditions: list[ColumnElement[bool]] = [learner_scope_clause(viewer, Completion.user_id)]
    if user_id is not None:
        conditions.append(Completion.user_id == user_id)
    if since is not None:
        conditions.append(Completion.completed_at > since)
    if until is not None:
        conditions.append(Completion.completed_at <= until)
    if current_only:
        conditions.append(Completion.is_current.is_(True))
    if module_slug is not None:
        module_ids = select(Module.id).where(Module.slug == module_slug)
        conditions.append(Completion.module_id.in_(module_ids))
    total = session.scalar(select(func.count(Completion.id)).where(*conditions)) or 0
    rows = session.execute(
        select(
            Completion,
            User.first_name,
            User.last_name,
            User.email,
            Module.slug,
            ModuleVersion.number,
            Certificate.code,
        )
        .join(User, User.id == Completion.user_id)
        .join(Module, Module.id == Completion.module_id)
        .join(ModuleVersion, ModuleVersion.id == Completion.module_version_id)
        .outerjoin(Certificate, Certificate.statement_id == Completion.statement_id)
        .where(*conditions)
        .order_by(Completion.completed_at.desc(), Completion.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    majors = _latest_majors(session, {row.Completion.module_id for row in rows}) if rows else {}
    return [
        CompletionRow(
            user_id=done.user_id,
            user_name=f"{first} {last}".strip(),
            user_email=email,
            module_id=done.module_id,
            module_slug=slug,
            version_number=number,
            number=done.number,
            completed_at=done.completed_at,
            score_percent=done.score_percent,
            expires_at=done.expires_at,
            is_current=done.is_current,
            status=completion_status(
                version_number=number,
                expires_at=done.expires_at,
                latest_major_number=majors.get(done.module_id),
                now=now,
            ),
            certificate_code=code,
        )
        for done, first, last, email, slug, number, code in rows
    ], total


# --- personal data ------------------------------------------------------------------------


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


def statement_rows_for_csv(statements: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Flatten xAPI statements into the columns of the personal data CSV."""
    rows = []
    for body in statements:
        definition = body.get("object", {}).get("definition", {})
        name = definition.get("name") or {}
        result = body.get("result") or {}
        score = result.get("score") or {}
        rows.append(
            [
                body.get("id"),
                body.get("timestamp"),
                body.get("stored"),
                body.get("verb", {}).get("display", {}).get("en-US"),
                body.get("object", {}).get("id"),
                next(iter(name.values()), ""),
                score.get("scaled"),
                result.get("success"),
                result.get("completion"),
                result.get("duration"),
                (body.get("context") or {}).get("registration"),
            ]
        )
    return rows


STATEMENT_CSV_HEADER = (
    "statement_id",
    "timestamp",
    "stored",
    "verb",
    "object",
    "object_name",
    "score_scaled",
    "success",
    "completion",
    "duration",
    "registration",
)
