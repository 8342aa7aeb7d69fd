"""How a provider's modules do in the campaigns that use them.

Aggregates only: no person is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session

from app.assessment.models import Attempt, AttemptState, Quiz
from app.campaigns.models import Assignment, Campaign, CampaignModule
from app.content.models import Module, ModuleStatus
from app.page_feedback.queries import feedback_by_module, module_scope
from app.people.models import User
from app.readiness.queries.scope import REPORTED_STATES, CampaignInfo, campaign_info
from app.tracking.models import Completion


@dataclass(frozen=True)
class ModuleUsageRow:
    """Aggregates of one module across the campaigns that use it (no person is named)."""

    module_id: int
    slug: str
    campaigns: int = 0
    assigned: int = 0
    completed: int = 0
    quiz_learners: int = 0
    quiz_passed: int = 0
    average_score: float | None = None
    helpful: int = 0
    not_helpful: int = 0
    open_reports: int = 0
    reports: int = 0

    @property
    def completion_share(self) -> float | None:
        """Completed / assigned people (None when nobody is assigned)."""
        return self.completed / self.assigned if self.assigned else None

    @property
    def pass_rate(self) -> float | None:
        """Learners who passed / learners who submitted an attempt (None without attempts)."""
        return self.quiz_passed / self.quiz_learners if self.quiz_learners else None


@dataclass(frozen=True)
class CampaignUsageRow:
    """One campaign's use of a module: its people assigned and completed."""

    campaign: CampaignInfo
    assigned: int
    completed: int

    @property
    def completion_share(self) -> float | None:
        """Completed / assigned people (None when nobody is assigned)."""
        return self.completed / self.assigned if self.assigned else None


def _usage_assignments(module_ids: Select[Any] | Sequence[int]) -> Any:
    """Subquery: (module_id, campaign_id, user_id, completed) of counting assignments.

    Counting: not removed, of an active person, in a campaign past its draft; completed when
    the person's current completion of the module exists (any version, as the trainer sees it).
    """
    done = (
        select(Completion.id)
        .where(
            Completion.user_id == Assignment.user_id,
            Completion.module_id == Assignment.module_id,
            Completion.is_current.is_(True),
        )
        .exists()
    )
    return (
        select(
            Assignment.module_id.label("module_id"),
            Assignment.campaign_id.label("campaign_id"),
            Assignment.user_id.label("user_id"),
            case((done, 1), else_=0).label("completed"),
        )
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.module_id.in_(module_ids),
            Assignment.removed_at.is_(None),
            User.is_active.is_(True),
            Campaign.state.in_(REPORTED_STATES),
        )
        .distinct()
        .subquery("usage")
    )


def module_usage(
    session: Session, viewer: User, *, module_id: int | None = None
) -> list[ModuleUsageRow]:
    """Per module the trainer looks after: campaigns, people, completions, quiz and feedback.

    Set-based: one statement each for the modules, the assignments, the quiz attempts, and the
    feedback (`feedback_by_module`), whatever the number of modules. `module_id` keeps one.
    """
    query = select(Module.id, Module.slug).where(module_scope(viewer))
    if module_id is not None:
        query = query.where(Module.id == module_id)
    else:
        query = query.where(Module.status != ModuleStatus.ARCHIVED)
    modules = session.execute(query.order_by(Module.slug)).all()
    if not modules:
        return []
    ids = [row_id for row_id, _slug in modules]
    assigned = _assigned_counts(session, ids)
    quizzes = _quiz_results(session, ids)
    feedback = {row.module_id: row for row in feedback_by_module(session, viewer)}
    rows = []
    for row_id, slug in modules:
        campaigns, people, completed = assigned.get(row_id, (0, 0, 0))
        learners, passed, mean = quizzes.get(row_id, (0, 0, None))
        said = feedback.get(row_id)
        rows.append(
            ModuleUsageRow(
                module_id=row_id,
                slug=slug,
                campaigns=campaigns,
                assigned=people,
                completed=completed,
                quiz_learners=learners,
                quiz_passed=passed,
                average_score=mean,
                helpful=said.helpful if said else 0,
                not_helpful=said.not_helpful if said else 0,
                open_reports=said.open_reports if said else 0,
                reports=(said.open_reports + said.handled) if said else 0,
            )
        )
    return rows


def _assigned_counts(session: Session, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """{module_id: (campaigns, people assigned, people completed)} (one statement)."""
    usage = _usage_assignments(ids)
    return {
        module_id: (int(campaigns), int(people), int(completed or 0))
        for module_id, campaigns, people, completed in session.execute(
            select(
                usage.c.module_id,
                func.count(usage.c.campaign_id.distinct()),
                func.count(usage.c.user_id.distinct()),
                func.count(case((usage.c.completed == 1, usage.c.user_id)).distinct()),
            ).group_by(usage.c.module_id)
        )
    }


def _quiz_results(session: Session, ids: list[int]) -> dict[int, tuple[int, int, float | None]]:
    """{module_id: (learners, learners who passed, mean score)} of the modules' quizzes, for
    people who were assigned the module in a campaign (the campaigns' learners; one statement)."""
    assigned_learner = (
        select(Assignment.id)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(
            Assignment.user_id == Attempt.user_id,
            Assignment.module_id == Quiz.module_id,
            Assignment.removed_at.is_(None),
            Campaign.state.in_(REPORTED_STATES),
        )
        .exists()
    )
    return {
        module_id: (int(learners), int(passed or 0), None if mean is None else float(mean))
        for module_id, learners, passed, mean in session.execute(
            select(
                Quiz.module_id,
                func.count(Attempt.user_id.distinct()),
                func.count(case((Attempt.is_passed.is_(True), Attempt.user_id)).distinct()),
                func.avg(Attempt.score_percent),
            )
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(
                Quiz.module_id.in_(ids),
                Attempt.state == AttemptState.SUBMITTED,
                assigned_learner,
            )
            .group_by(Quiz.module_id)
        )
    }


def module_campaign_usage(session: Session, module_id: int) -> list[CampaignUsageRow]:
    """The campaigns that use a module, latest due first, with its people (two statements).

    The caller has checked that the viewer looks after the module.
    """
    usage = _usage_assignments([module_id])
    counts = {
        campaign_id: (int(people), int(completed or 0))
        for campaign_id, people, completed in session.execute(
            select(
                usage.c.campaign_id,
                func.count(usage.c.user_id.distinct()),
                func.count(case((usage.c.completed == 1, usage.c.user_id)).distinct()),
            ).group_by(usage.c.campaign_id)
        )
    }
    using = (
        select(CampaignModule.campaign_id)
        .where(
            or_(
                CampaignModule.module_id == module_id,
                CampaignModule.refresher_module_id == module_id,
            )
        )
        .scalar_subquery()
    )
    campaigns = session.scalars(
        select(Campaign)
        .where(
            or_(Campaign.id.in_(using), Campaign.id.in_(list(counts) or [-1])),
            Campaign.state.in_(REPORTED_STATES),
        )
        .order_by(Campaign.due_at.desc(), Campaign.id.desc())
    ).all()
    return [CampaignUsageRow(campaign_info(c), *counts.get(c.id, (0, 0))) for c in campaigns]
