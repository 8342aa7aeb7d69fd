"""Reads of page feedback: the page a learner rates, and trainers' counts and report lists.

A trainer sees the modules of their providers (admins: all). The `problem_reports` table also
holds questions and new-module requests (app.learner_requests): these reads count and list
problem reports only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, literal, select
from sqlalchemy.orm import Session

from app.content.models import Module, ModulePage, ModuleStatus, ModuleVariant, ModuleVersion
from app.learner_requests.models import ProblemReport, ReportStatus, RequestKind
from app.page_feedback.models import PageRating
from app.people.models import User
from app.permissions import is_admin, trainer_provider_ids


@dataclass(frozen=True)
class FeedbackPage:
    """A module page as feedback needs it (and the fields the view-module rule reads)."""

    page_id: int
    position: int
    title: str
    language: str
    version_id: int
    version_number: int
    module_id: int
    slug: str
    provider_id: int
    status: ModuleStatus
    current_version_id: int | None


def feedback_page(session: Session, page_id: int) -> FeedbackPage | None:
    """The page with its version and module (None when there is no such page)."""
    row = session.execute(
        select(
            ModulePage.id,
            ModulePage.position,
            ModulePage.title,
            ModuleVariant.language,
            ModuleVersion.id,
            ModuleVersion.number,
            Module.id,
            Module.slug,
            Module.provider_id,
            Module.status,
            Module.current_version_id,
        )
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .join(ModuleVersion, ModuleVersion.id == ModuleVariant.version_id)
        .join(Module, Module.id == ModuleVersion.module_id)
        .where(ModulePage.id == page_id)
    ).one_or_none()
    return FeedbackPage(*row) if row is not None else None


def _is_problem() -> ColumnElement[bool]:
    return ProblemReport.kind == RequestKind.PROBLEM


def module_scope(viewer: User) -> ColumnElement[bool]:
    """SQL condition: the viewer looks after the module (a trainer of its provider, or admin)."""
    if is_admin(viewer):
        return literal(True)
    return Module.provider_id.in_(trainer_provider_ids(viewer) or {-1})


@dataclass(frozen=True)
class ModuleFeedbackRow:
    """Feedback on one module: helpful yes/no and reports by status."""

    module_id: int
    slug: str
    helpful: int
    not_helpful: int
    received: int
    in_progress: int
    handled: int

    @property
    def open_reports(self) -> int:
        """Reports not yet handled."""
        return self.received + self.in_progress


def feedback_by_module(session: Session, viewer: User) -> list[ModuleFeedbackRow]:
    """Feedback counts per module the trainer looks after, with any feedback (two queries)."""
    ratings = {
        module_id: (int(yes or 0), int(no or 0))
        for module_id, yes, no in session.execute(
            select(
                PageRating.module_id,
                func.sum(case((PageRating.is_helpful.is_(True), 1), else_=0)),
                func.sum(case((PageRating.is_helpful.is_(False), 1), else_=0)),
            )
            .join(Module, Module.id == PageRating.module_id)
            .where(module_scope(viewer))
            .group_by(PageRating.module_id)
        )
    }
    reports: dict[int, dict[str, int]] = defaultdict(dict)
    for module_id, status, n in session.execute(
        select(ProblemReport.module_id, ProblemReport.status, func.count())
        .join(Module, Module.id == ProblemReport.module_id)
        .where(module_scope(viewer), _is_problem())
        .group_by(ProblemReport.module_id, ProblemReport.status)
    ):
        reports[module_id][status.value] = int(n)
    ids = set(ratings) | set(reports)
    if not ids:
        return []
    slugs = dict(session.execute(select(Module.id, Module.slug).where(Module.id.in_(ids))).all())
    rows = [
        ModuleFeedbackRow(
            module_id=module_id,
            slug=slugs.get(module_id, str(module_id)),
            helpful=ratings.get(module_id, (0, 0))[0],
            not_helpful=ratings.get(module_id, (0, 0))[1],
            received=reports[module_id].get(ReportStatus.RECEIVED.value, 0),
            in_progress=reports[module_id].get(ReportStatus.IN_PROGRESS.value, 0),
            handled=reports[module_id].get(ReportStatus.HANDLED.value, 0),
        )
        for module_id in ids
    ]
    return sorted(rows, key=lambda r: (-r.open_reports, -r.not_helpful, r.slug))


def module_in_trainer_scope(session: Session, viewer: User, module_id: int) -> Module | None:
    """The module if the trainer looks after it (admins: any), else None."""
    return session.scalar(select(Module).where(Module.id == module_id, module_scope(viewer)))


@dataclass(frozen=True)
class PageFeedbackRow:
    """Ratings of one page of one version and language."""

    page_id: int
    version_number: int
    language: str
    position: int
    title: str
    helpful: int
    not_helpful: int
    reports: int


def feedback_by_page(session: Session, module_id: int) -> list[PageFeedbackRow]:
    """Ratings and report counts per page of a module with any feedback (two queries)."""
    ratings = {
        page_id: (int(yes or 0), int(no or 0))
        for page_id, yes, no in session.execute(
            select(
                PageRating.page_id,
                func.sum(case((PageRating.is_helpful.is_(True), 1), else_=0)),
                func.sum(case((PageRating.is_helpful.is_(False), 1), else_=0)),
            )
            .where(PageRating.module_id == module_id)
            .group_by(PageRating.page_id)
        )
    }
    reports = dict(
        session.execute(
            select(ProblemReport.page_id, func.count())
            .where(ProblemReport.module_id == module_id, _is_problem())
            .group_by(ProblemReport.page_id)
        ).all()
    )
    ids = set(ratings) | set(reports)
    if not ids:
        return []
    pages = session.execute(
        select(
            ModulePage.id,
            ModuleVersion.number,
            ModuleVariant.language,
            ModulePage.position,
            ModulePage.title,
        )
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .join(ModuleVersion, ModuleVersion.id == ModuleVariant.version_id)
        .where(ModulePage.id.in_(ids))
        .order_by(ModuleVersion.number.desc(), ModuleVariant.language, ModulePage.position)
    ).all()
    return [
        PageFeedbackRow(
            page_id=page_id,
            version_number=number,
            language=language,
            position=position + 1,
            title=title,
            helpful=ratings.get(page_id, (0, 0))[0],
            not_helpful=ratings.get(page_id, (0, 0))[1],
            reports=int(reports.get(page_id, 0)),
        )
        for page_id, number, language, position, title in pages
    ]


@dataclass(frozen=True)
class ReportRow:
    """A problem report as a trainer or its author sees it."""

    id: int
    module_id: int
    slug: str
    version_number: int
    language: str
    page_position: int
    page_title: str
    comment: str
    status: ReportStatus
    created_at: datetime
    status_changed_at: datetime | None


def _report_query() -> Select[Any]:
    return (
        select(
            ProblemReport.id,
            ProblemReport.module_id,
            Module.slug,
            ModuleVersion.number,
            ModuleVariant.language,
            ModulePage.position,
            ModulePage.title,
            ProblemReport.comment,
            ProblemReport.status,
            ProblemReport.created_at,
            ProblemReport.status_changed_at,
        )
        .join(Module, Module.id == ProblemReport.module_id)
        .join(ModulePage, ModulePage.id == ProblemReport.page_id)
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .join(ModuleVersion, ModuleVersion.id == ModuleVariant.version_id)
    )


def _report_row(row: Any) -> ReportRow:
    values = list(row)
    values[5] = values[5] + 1
    return ReportRow(*values)


def module_reports(
    session: Session, module_id: int, *, status: ReportStatus | None = None, limit: int = 500
) -> list[ReportRow]:
    """A module's problem reports, open ones first, newest first (one query)."""
    query = _report_query().where(ProblemReport.module_id == module_id, _is_problem())
    if status is not None:
        query = query.where(ProblemReport.status == status)
    order = case(
        (ProblemReport.status == ReportStatus.RECEIVED, 0),
        (ProblemReport.status == ReportStatus.IN_PROGRESS, 1),
        else_=2,
    )
    return [
        _report_row(row)
        for row in session.execute(
            query.order_by(order, ProblemReport.created_at.desc(), ProblemReport.id.desc()).limit(
                limit
            )
        )
    ]


def report_in_trainer_scope(session: Session, viewer: User, report_id: int) -> ProblemReport | None:
    """The report if the trainer looks after its module (admins: any), else None."""
    return session.scalar(
        select(ProblemReport)
        .join(Module, Module.id == ProblemReport.module_id)
        .where(ProblemReport.id == report_id, module_scope(viewer), _is_problem())
    )
