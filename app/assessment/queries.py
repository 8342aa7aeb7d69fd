"""Reads about quizzes and a learner's attempts, returned as plain rows.

The trainers' reads (their quizzes, results, what they may edit) are `trainer_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.assessment.models import (
    DEADLINE_GRACE,
    Attempt,
    AttemptAnswer,
    AttemptState,
    Quiz,
    QuizVersion,
)
from app.assessment.questions import MAX_COOLDOWN_MINUTES, Texts, clamp_minutes
from app.content.models import Module, ModuleStatus


def _id(obj: Any) -> int:
    return obj if isinstance(obj, int) else obj.id


# -- single objects ---------------------------------------------------------------------------


def quiz_by_slug(session: Session, slug: str) -> Quiz | None:
    """Return the quiz with this slug, if any."""
    return session.scalar(select(Quiz).where(Quiz.slug == slug))


def module_by_slug(session: Session, slug: str) -> Module | None:
    """Return the module with this slug (the id in its files), if any."""
    return session.scalar(select(Module).where(Module.slug == slug))


def module_slug(session: Session, module_id: int | None) -> str | None:
    """Return the slug of a module, if there is one."""
    if module_id is None:
        return None
    return session.scalar(select(Module.slug).where(Module.id == module_id))


def is_quiz_open_to_learners(session: Session, quiz: Quiz) -> bool:
    """A quiz can be taken when it has a version and its module (if any) is published."""
    if quiz.current_version_id is None:
        return False
    if quiz.module_id is None:
        return True
    status = session.scalar(select(Module.status).where(Module.id == quiz.module_id))
    return status == ModuleStatus.PUBLISHED


def answers_by_question(session: Session, attempt_id: int) -> dict[str, AttemptAnswer]:
    """Return the saved answers of an attempt, by question id."""
    return {
        answer.question_id: answer
        for answer in session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)
        )
    }


@dataclass(frozen=True)
class ModuleQuiz:
    """The quiz that ends a module: link with `url_for("assessment.quiz_start", quiz_slug=...)`."""

    quiz_id: int
    slug: str
    title: Texts


def quiz_for_module(session: Session, module_id: int) -> ModuleQuiz | None:
    """Return the quiz of a module (one with a version), for the module reader to link to."""
    row = session.execute(
        select(Quiz.id, Quiz.slug, QuizVersion.definition)
        .join(QuizVersion, QuizVersion.id == Quiz.current_version_id)
        .where(Quiz.module_id == module_id)
        .order_by(Quiz.id)
        .limit(1)
    ).first()
    if row is None:
        return None
    return ModuleQuiz(quiz_id=row.id, slug=row.slug, title=dict(row.definition.get("title", {})))


# -- a learner's attempts -------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptPolicy:
    """Where a learner stands with a quiz's attempt rules at `now`."""

    allowed: int  # 0 = unlimited
    used: int
    last_number: int
    attempts_left: int | None  # None = unlimited
    cooldown_until: datetime | None
    open_attempt_id: int | None
    open_attempt_expired: bool

    @property
    def can_start(self) -> bool:
        """Tell whether a new attempt may start now (an open one is resumed instead)."""
        return self.attempts_left != 0 and self.cooldown_until is None


def attempt_policy(session: Session, user: Any, quiz: Quiz, *, now: datetime) -> AttemptPolicy:
    """Apply the current version's attempt limit and cool-down to the learner's attempts."""
    settings = quiz.current_version.definition if quiz.current_version else {}
    allowed = int(settings.get("attempts") or 0)
    cooldown = clamp_minutes(settings.get("cooldown_minutes"), MAX_COOLDOWN_MINUTES)
    row = session.execute(
        select(
            func.count(Attempt.id),
            func.coalesce(func.max(Attempt.number), 0),
            func.max(Attempt.submitted_at),
        ).where(Attempt.user_id == _id(user), Attempt.quiz_id == quiz.id)
    ).one()
    used, last_number, last_submitted = int(row[0]), int(row[1]), row[2]
    if last_submitted is not None and last_submitted.tzinfo is None:
        # Aggregates bypass the column type on SQLite: the value comes back naive UTC.
        last_submitted = last_submitted.replace(tzinfo=now.tzinfo)
    open_row = session.execute(
        select(Attempt.id, Attempt.deadline_at)
        .where(
            Attempt.user_id == _id(user),
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.OPEN,
        )
        .order_by(Attempt.number.desc())
        .limit(1)
    ).first()
    expired = bool(
        open_row and open_row.deadline_at and now > open_row.deadline_at + DEADLINE_GRACE
    )
    left = None if allowed == 0 else max(0, allowed - used)
    until = None
    if cooldown and last_submitted is not None and left != 0:
        candidate = last_submitted + timedelta(minutes=cooldown)
        if candidate > now:
            until = candidate
    return AttemptPolicy(
        allowed=allowed,
        used=used,
        last_number=last_number,
        attempts_left=left,
        cooldown_until=until,
        open_attempt_id=open_row.id if open_row else None,
        open_attempt_expired=expired,
    )


@dataclass(frozen=True)
class AttemptRow:
    """One attempt in a learner's list."""

    id: int
    number: int
    state: str
    started_at: datetime
    submitted_at: datetime | None
    score_percent: float | None
    is_passed: bool | None


def _row(attempt: Attempt) -> AttemptRow:
    return AttemptRow(
        id=attempt.id,
        number=attempt.number,
        state=attempt.state.value,
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at,
        score_percent=attempt.score_percent,
        is_passed=attempt.is_passed,
    )


def attempts_of(session: Session, user: Any, quiz: Quiz) -> list[AttemptRow]:
    """Return a learner's attempts at a quiz, the most recent first."""
    attempts = session.scalars(
        select(Attempt)
        .where(Attempt.user_id == _id(user), Attempt.quiz_id == quiz.id)
        .order_by(Attempt.number.desc())
    )
    return [_row(attempt) for attempt in attempts]


def best_result(session: Session, user: Any, quiz: Quiz) -> AttemptRow | None:
    """Return the attempt that counts: the highest or the last submitted one (quiz setting)."""
    settings = quiz.current_version.definition if quiz.current_version else {}
    query = select(Attempt).where(
        Attempt.user_id == _id(user),
        Attempt.quiz_id == quiz.id,
        Attempt.state == AttemptState.SUBMITTED,
    )
    if settings.get("score_policy") == "last":
        query = query.order_by(Attempt.number.desc())
    else:
        query = query.order_by(Attempt.score_percent.desc(), Attempt.number.asc())
    attempt = session.scalar(query.limit(1))
    return _row(attempt) if attempt is not None else None


def has_passed(session: Session, user: Any, quiz: Quiz) -> bool:
    """Tell whether any submitted attempt of the learner passed (for the review policy)."""
    return bool(
        session.scalar(
            select(func.count(Attempt.id)).where(
                Attempt.user_id == _id(user),
                Attempt.quiz_id == quiz.id,
                Attempt.is_passed.is_(True),
            )
        )
    )


@dataclass(frozen=True)
class LearnerQuizRow:
    """A quiz on a learner's home page: an attempt to resume or a standalone quiz."""

    slug: str
    title: Texts
    open_attempt_id: int | None
    deadline_at: datetime | None


def learner_quizzes(session: Session, user: Any) -> list[LearnerQuizRow]:
    """Return the learner's open attempts and the standalone quizzes they can take."""
    open_rows = session.execute(
        select(Quiz.slug, QuizVersion.definition, Attempt.id, Attempt.deadline_at)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
        .where(Attempt.user_id == _id(user), Attempt.state == AttemptState.OPEN)
        .order_by(Attempt.started_at.desc())
        .limit(20)
    ).all()
    rows = [
        LearnerQuizRow(slug, dict(definition.get("title", {})), attempt_id, deadline)
        for slug, definition, attempt_id, deadline in open_rows
    ]
    seen = {row.slug for row in rows}
    standalone = session.execute(
        select(Quiz.slug, QuizVersion.definition)
        .join(QuizVersion, QuizVersion.id == Quiz.current_version_id)
        .where(Quiz.module_id.is_(None))
        .order_by(Quiz.slug)
        .limit(50)
    ).all()
    rows += [
        LearnerQuizRow(slug, dict(definition.get("title", {})), None, None)
        for slug, definition in standalone
        if slug not in seen
    ]
    return rows
