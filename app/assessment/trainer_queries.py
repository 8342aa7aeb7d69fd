"""Reads for the trainers' quiz pages: their quizzes, a quiz's results, what they may edit.

Every read is limited to the trainer's providers (everything for admins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, func, select, true
from sqlalchemy.orm import Session

from app.assessment.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizDraft, QuizVersion
from app.assessment.questions import Texts
from app.content.models import Module
from app.people.models import Provider, User
from app.permissions import is_admin, trainer_provider_ids

# A question counts as answered right when its fraction is 1 (up to float rounding).
CORRECT_THRESHOLD = 1 - 1e-9


def quiz_scope_clause(user: User) -> Any:
    """SQL condition limiting quizzes to the trainer's providers (everything for admins)."""
    if is_admin(user):
        return true()
    return Quiz.provider_id.in_(trainer_provider_ids(user) or {-1})


@dataclass(frozen=True)
class TrainerQuizRow:
    """One quiz in a trainer's list, with its attempt counts."""

    slug: str
    title: Texts
    provider: str
    module_slug: str | None
    version: int | None
    attempts: int
    passed: int
    has_draft: bool = False


def trainer_quiz_rows(session: Session, user: User) -> list[TrainerQuizRow]:
    """Return the quizzes the trainer looks after (all for admins), with submitted attempts."""
    counts = (
        select(
            Attempt.quiz_id,
            func.count(Attempt.id).label("attempts"),
            func.sum(case((Attempt.is_passed.is_(True), 1), else_=0)).label("passed"),
        )
        .where(Attempt.state == AttemptState.SUBMITTED)
        .group_by(Attempt.quiz_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Quiz.slug,
            QuizVersion.definition,
            QuizVersion.number,
            Provider.name,
            Module.slug,
            func.coalesce(counts.c.attempts, 0),
            func.coalesce(counts.c.passed, 0),
            QuizDraft.definition,
        )
        .join(Provider, Provider.id == Quiz.provider_id)
        .outerjoin(QuizVersion, QuizVersion.id == Quiz.current_version_id)
        .outerjoin(QuizDraft, QuizDraft.quiz_id == Quiz.id)
        .outerjoin(Module, Module.id == Quiz.module_id)
        .outerjoin(counts, counts.c.quiz_id == Quiz.id)
        .where(quiz_scope_clause(user))
        .order_by(Quiz.slug)
    ).all()
    return [
        TrainerQuizRow(
            slug=slug,
            # A quiz not yet published is listed under its draft's title.
            title=dict((definition or draft or {}).get("title", {})),
            provider=provider,
            module_slug=module,
            version=number,
            attempts=int(attempts),
            passed=int(passed),
            has_draft=draft is not None,
        )
        for slug, definition, number, provider, module, attempts, passed, draft in rows
    ]


@dataclass(frozen=True)
class QuestionStatRow:
    """How one question fared: times asked, share answered fully right, mean fraction."""

    question_id: str
    asked: int
    correct: int
    mean_fraction: float

    @property
    def facility(self) -> float:
        """Share of learners who got the question fully right (0..1)."""
        return self.correct / self.asked if self.asked else 0.0


@dataclass(frozen=True)
class QuizStats:
    """A quiz's results: submitted attempts, learners, pass rate, mean score, per question."""

    attempts: int
    learners: int
    passed_attempts: int
    passed_learners: int
    mean_score: float | None
    questions: list[QuestionStatRow]

    @property
    def pass_rate(self) -> float:
        """Share of submitted attempts that passed (0..1)."""
        return self.passed_attempts / self.attempts if self.attempts else 0.0


def quiz_statistics(session: Session, quiz: Quiz) -> QuizStats:
    """Compute a quiz's results with two aggregate queries (all versions together)."""
    submitted = and_(Attempt.quiz_id == quiz.id, Attempt.state == AttemptState.SUBMITTED)
    summary = session.execute(
        select(
            func.count(Attempt.id),
            func.count(func.distinct(Attempt.user_id)),
            func.sum(case((Attempt.is_passed.is_(True), 1), else_=0)),
            func.count(func.distinct(case((Attempt.is_passed.is_(True), Attempt.user_id)))),
            func.avg(Attempt.score_percent),
        ).where(submitted)
    ).one()
    per_question = session.execute(
        select(
            AttemptAnswer.question_id,
            func.count(AttemptAnswer.id),
            func.sum(case((AttemptAnswer.fraction >= CORRECT_THRESHOLD, 1), else_=0)),
            func.avg(func.coalesce(AttemptAnswer.fraction, 0.0)),
        )
        .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
        .where(submitted)
        .group_by(AttemptAnswer.question_id)
        .order_by(AttemptAnswer.question_id)
    ).all()
    return QuizStats(
        attempts=int(summary[0] or 0),
        learners=int(summary[1] or 0),
        passed_attempts=int(summary[2] or 0),
        passed_learners=int(summary[3] or 0),
        mean_score=float(summary[4]) if summary[4] is not None else None,
        questions=[
            QuestionStatRow(
                question_id=question_id,
                asked=int(asked),
                correct=int(correct or 0),
                mean_fraction=float(mean or 0.0),
            )
            for question_id, asked, correct, mean in per_question
        ],
    )


def editable_modules(session: Session, user: User) -> list[tuple[int, str, int]]:
    """Return (id, slug, provider id) of the modules whose quizzes the user may edit."""
    query = select(Module.id, Module.slug, Module.provider_id).order_by(Module.slug)
    if not is_admin(user):
        query = query.where(Module.provider_id.in_(trainer_provider_ids(user) or {-1}))
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def editable_providers(session: Session, user: User) -> list[Provider]:
    """Return the providers a user may create quizzes for (all of them for admins)."""
    query = select(Provider).order_by(Provider.name)
    if not is_admin(user):
        query = query.where(Provider.id.in_(trainer_provider_ids(user) or {-1}))
    return list(session.scalars(query))
