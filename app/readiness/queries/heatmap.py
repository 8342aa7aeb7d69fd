"""The unit × module heat map and the quiz scores of a campaign's assigned people."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, select
from sqlalchemy.orm import Session

from app.assessment.models import Attempt, AttemptState, Quiz, QuizVersion
from app.campaigns.models import Assignment, CampaignModule
from app.people.models import Unit, User
from app.readiness.queries.counting import (
    CAMPAIGN,
    Where,
    assignment_rows_shaped,
    root_clause,
    scope_clause,
)
from app.readiness.queries.report import ReadinessReport
from app.readiness.queries.scope import UnitNode
from app.readiness.queries.unit_counts import ModuleCell


def campaign_required_modules(session: Session, campaign_id: int) -> list[int]:
    """The campaign's required modules still in it, in the campaign's order (one query)."""
    return list(
        session.scalars(
            select(CampaignModule.module_id)
            .where(
                CampaignModule.campaign_id == campaign_id,
                CampaignModule.is_required.is_(True),
                CampaignModule.removed_at.is_(None),
            )
            .order_by(CampaignModule.position, CampaignModule.id)
        )
    )


@lru_cache(maxsize=64)
def _cells_by_unit_statement(shape: tuple[int | None, bool]) -> Any:
    rows = assignment_rows_shaped(shape).subquery("a")
    return select(rows.c.unit_id, rows.c.module_id, func.count(), func.sum(rows.c.done)).group_by(
        rows.c.unit_id, rows.c.module_id
    )


def module_cells_by_unit(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[ModuleCell]:
    """Assigned and done per (unit people belong to, module) under the root (one query)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    return [
        ModuleCell(int(unit_id), int(module_id), int(n), int(done or 0))
        for unit_id, module_id, n, done in session.execute(
            _cells_by_unit_statement(where.shape), where.params
        )
    ]


@lru_cache(maxsize=64)
def _cells_by_person_statement(shape: tuple[int | None, bool]) -> Any:
    rows = assignment_rows_shaped(shape).subquery("a")
    return (
        select(rows.c.user_id, rows.c.module_id, func.max(rows.c.done))
        .where(rows.c.unit_id == bindparam("unit_id", type_=Integer))
        .group_by(rows.c.user_id, rows.c.module_id)
    )


def module_cells_by_person(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, unit: UnitNode
) -> list[ModuleCell]:
    """Done or not per (person directly in the unit, module) (one query)."""
    where = Where.of(campaign_id, viewer, now, unit.path)
    return [
        ModuleCell(int(user_id), int(module_id), 1, int(done or 0))
        for user_id, module_id, done in session.execute(
            _cells_by_person_statement(where.shape), {**where.params, "unit_id": unit.id}
        )
    ]


def roll_up_cells(
    cells: Iterable[ModuleCell], report: ReadinessReport, unit_ids: Iterable[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Add per-unit cells up to the given units (their subtrees): {(unit, module): (n, done)}."""
    wanted = set(unit_ids)
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        node = report.units.get(cell.key)
        if node is None:
            continue
        for ancestor_id in node.unit.ancestor_ids:
            if ancestor_id in wanted:
                entry = totals[(ancestor_id, cell.module_id)]
                entry[0] += cell.assigned
                entry[1] += cell.done
    return {key: (value[0], value[1]) for key, value in totals.items()}


@dataclass(frozen=True)
class QuizScores:
    """The distribution of assigned people's best scores in one quiz."""

    quiz_id: int
    slug: str
    title: dict[str, str]
    bins: tuple[int, ...]

    @property
    def people(self) -> int:
        """How many people have a submitted attempt."""
        return sum(self.bins)


def quiz_score_bins(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[QuizScores]:
    """Best submitted score per assigned person in each quiz of the campaign's modules,
    counted in bins of 10 points (one query)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    rows = session.execute(_score_bins_statement(where.shape), where.params).all()
    by_quiz: dict[int, tuple[str, dict[str, str], list[int]]] = {}
    for quiz_id, slug, definition, index, n in rows:
        entry = by_quiz.setdefault(
            quiz_id, (slug, dict((definition or {}).get("title", {})), [0] * 10)
        )
        entry[2][int(index)] += int(n)
    return [
        QuizScores(quiz_id, slug, title, tuple(bins))
        for quiz_id, (slug, title, bins) in sorted(by_quiz.items(), key=lambda item: item[1][0])
    ]


@lru_cache(maxsize=64)
def _score_bins_statement(shape: tuple[int | None, bool]) -> Any:
    """The score bins' statement for one shape of `Where` (built once, bind parameters)."""
    scope_paths, has_root = shape
    people = (
        select(Assignment.user_id)
        .join(User, User.id == Assignment.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            Assignment.campaign_id == CAMPAIGN,
            Assignment.removed_at.is_(None),
            User.is_active.is_(True),
            scope_clause(scope_paths),
            *([root_clause()] if has_root else []),
        )
        .distinct()
    )
    modules = select(CampaignModule.module_id).where(CampaignModule.campaign_id == CAMPAIGN)
    best = (
        select(
            Attempt.quiz_id,
            Attempt.user_id,
            func.max(Attempt.score_percent).label("best"),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.state == AttemptState.SUBMITTED,
            Attempt.score_percent.is_not(None),
            Quiz.module_id.in_(modules),
            Attempt.user_id.in_(people),
        )
        .group_by(Attempt.quiz_id, Attempt.user_id)
        .subquery("best")
    )
    bin_expr = case(
        *[(best.c.best >= 10 * n, n) for n in range(9, 0, -1)],
        else_=0,
    )
    counted = (
        select(best.c.quiz_id, bin_expr.label("bin"), func.count().label("n"))
        .group_by(best.c.quiz_id, bin_expr)
        .subquery("counted")
    )
    return (
        select(Quiz.id, Quiz.slug, QuizVersion.definition, counted.c.bin, counted.c.n)
        .join(counted, counted.c.quiz_id == Quiz.id)
        .outerjoin(QuizVersion, QuizVersion.id == Quiz.current_version_id)
    )
