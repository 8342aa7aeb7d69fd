"""Reads about quizzes and a learner's attempts, returned as plain rows.

The trainers' reads (their quizzes, results, what they may edit) are `trainer_queries`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    bindparam,
    case,
    cast,
    func,
    inspect,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, joinedload

from app.assessment.models import (
    DEADLINE_GRACE,
    Attempt,
    AttemptAnswer,
    AttemptState,
    Quiz,
    QuizVersion,
)
from app.assessment.operations import definition_of
from app.assessment.questions import MAX_COOLDOWN_MINUTES, Texts, clamp_minutes
from app.content.models import Module, ModuleStatus
from app.db import TZDateTime
from app.platform.reads import Deferred, Read


def _id(obj: Any) -> int:
    return obj if isinstance(obj, int) else obj.id


# -- single objects ---------------------------------------------------------------------------


# One statement for the quiz, its current version's header (the definition is parsed once per
# version by `definition_of`, so its JSON is loaded only then) and its module's status.
_QUIZ_BY_SLUG = (
    select(Quiz)
    .options(
        joinedload(Quiz.current_version).defer(QuizVersion.definition),
        joinedload(Quiz.module).load_only(Module.status),
    )
    .where(Quiz.slug == bindparam("slug"))
)


def quiz_by_slug(session: Session, slug: str) -> Quiz | None:
    """Return the quiz with this slug, if any (with its current version and module status)."""
    return session.scalar(_QUIZ_BY_SLUG, {"slug": slug})


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
    if "module" in inspect(quiz).unloaded:
        status = session.scalar(select(Module.status).where(Module.id == quiz.module_id))
    else:
        status = quiz.module.status if quiz.module is not None else None
    return status == ModuleStatus.PUBLISHED


# Built once: an attempt with its quiz and its version's header (the definition itself is
# parsed once per version by `definition_of`), plain or under a row lock (of the attempt's row
# only) for the requests that write.
_ATTEMPT = (
    select(Attempt)
    .options(
        joinedload(Attempt.version, innerjoin=True).defer(QuizVersion.definition),
        joinedload(Attempt.quiz, innerjoin=True),
    )
    .where(Attempt.id == bindparam("attempt_id"))
)
_ATTEMPT_FOR_UPDATE = _ATTEMPT.with_for_update(of=Attempt).execution_options(populate_existing=True)


def load_attempt(session: Session, attempt_id: int, *, for_update: bool = False) -> Attempt | None:
    """One statement: the attempt, its quiz and version; `for_update` locks it for a write."""
    statement = _ATTEMPT_FOR_UPDATE if for_update else _ATTEMPT
    return session.scalar(statement, {"attempt_id": attempt_id})


ANSWERS_OF_ATTEMPT = select(AttemptAnswer).where(
    AttemptAnswer.attempt_id == bindparam("attempt_id")
)


def answers_by_question(session: Session, attempt_id: int) -> dict[str, AttemptAnswer]:
    """Return the saved answers of an attempt, by question id."""
    return {
        answer.question_id: answer
        for answer in session.scalars(ANSWERS_OF_ATTEMPT, {"attempt_id": attempt_id})
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
    deadline_at: datetime | None = None


@dataclass(frozen=True)
class LearnerStanding:
    """A learner's attempts at a quiz (most recent first) and what follows from them."""

    attempts: list[AttemptRow]  # the SHOWN_ATTEMPTS most recent
    policy: AttemptPolicy
    best: AttemptRow | None
    has_passed: bool


# The start and result pages list the most recent attempts, not a history without end (the page
# stays small); the policy, the best attempt and "passed" still count every attempt.
SHOWN_ATTEMPTS = 20


def _standing_statement() -> Any:
    """One statement: the recent attempts, plus the best and last submitted, with totals."""
    submitted_first = case((Attempt.state == AttemptState.SUBMITTED, 0), else_=1)
    ranked = (
        select(
            Attempt.id,
            Attempt.number,
            Attempt.state,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.score_percent,
            Attempt.is_passed,
            Attempt.deadline_at,
            func.row_number().over(order_by=Attempt.number.desc()).label("recent"),
            func.row_number()
            .over(
                order_by=(
                    submitted_first,
                    Attempt.score_percent.desc().nulls_last(),
                    Attempt.number.asc(),
                )
            )
            .label("best_rank"),
            func.row_number()
            .over(order_by=(submitted_first, Attempt.number.desc()))
            .label("last_rank"),
            func.count().over().label("used"),
            # Typed: an aggregate bypasses the column type (SQLite would return a naive string).
            type_coerce(func.max(Attempt.submitted_at).over(), TZDateTime()).label(
                "last_submitted"
            ),
            func.max(case((Attempt.is_passed.is_(True), 1), else_=0)).over().label("passed"),
        )
        .where(Attempt.user_id == bindparam("user_id"), Attempt.quiz_id == bindparam("quiz_id"))
        .subquery()
    )
    return (
        select(ranked)
        .where(
            (ranked.c.recent <= SHOWN_ATTEMPTS)
            | (ranked.c.best_rank == 1)
            | (ranked.c.last_rank == 1)
            | (ranked.c.state == AttemptState.OPEN)
        )
        .order_by(ranked.c.number.desc())
    )


# Built once, run with bound ids.
_STANDING = _standing_statement()


def _row(row: Any) -> AttemptRow:
    return AttemptRow(
        id=row.id,
        number=row.number,
        state=AttemptState(row.state).value,
        started_at=row.started_at,
        submitted_at=row.submitted_at,
        score_percent=row.score_percent,
        is_passed=row.is_passed,
        deadline_at=row.deadline_at,
    )


def _settings(quiz: Quiz) -> tuple[int, int, str]:
    """The current version's attempt limit, cool-down (minutes) and score policy."""
    if quiz.current_version is None:
        return 0, 0, "highest"
    definition = definition_of(quiz.current_version)
    cooldown = clamp_minutes(definition.cooldown_minutes, MAX_COOLDOWN_MINUTES)
    return int(definition.attempts or 0), cooldown, definition.score_policy


def _policy(quiz: Quiz, rows: list[Any], now: datetime) -> AttemptPolicy:
    """Apply the current version's attempt limit and cool-down to the standing's rows."""
    allowed, cooldown, _score_policy = _settings(quiz)
    used = rows[0].used if rows else 0
    last_submitted = rows[0].last_submitted if rows else None
    open_row = next((row for row in rows if row.state == AttemptState.OPEN), None)
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
        last_number=rows[0].number if rows else 0,
        attempts_left=left,
        cooldown_until=until,
        open_attempt_id=open_row.id if open_row else None,
        open_attempt_expired=expired,
    )


def _best(quiz: Quiz, rows: list[Any]) -> AttemptRow | None:
    """The attempt that counts: the highest (earliest of equals) or the last submitted one."""
    rank = "last_rank" if _settings(quiz)[2] == "last" else "best_rank"
    best = next((row for row in rows if getattr(row, rank) == 1), None)
    if best is None or best.state != AttemptState.SUBMITTED:
        return None
    return _row(best)


def _standing_rows(session: Session, user: Any, quiz: Quiz) -> list[Any]:
    return session.execute(_STANDING, {"user_id": _id(user), "quiz_id": quiz.id}).all()


def learner_standing(session: Session, user: Any, quiz: Quiz, *, now: datetime) -> LearnerStanding:
    """Read the learner's attempts once and derive the policy, the best result and passing."""
    rows = _standing_rows(session, user, quiz)
    return LearnerStanding(
        attempts=[_row(row) for row in rows if row.recent <= SHOWN_ATTEMPTS],
        policy=_policy(quiz, rows, now),
        best=_best(quiz, rows),
        has_passed=bool(rows and rows[0].passed),
    )


def attempt_policy(session: Session, user: Any, quiz: Quiz, *, now: datetime) -> AttemptPolicy:
    """Apply the current version's attempt limit and cool-down to the learner's attempts."""
    return _policy(quiz, _standing_rows(session, user, quiz), now)


def best_result(session: Session, user: Any, quiz: Quiz) -> AttemptRow | None:
    """Return the attempt that counts: the highest or the last submitted one (quiz setting)."""
    return _best(quiz, _standing_rows(session, user, quiz))


@dataclass(frozen=True)
class LearnerQuizRow:
    """A quiz on a learner's home page: an attempt to resume or a standalone quiz."""

    slug: str
    title: Texts
    open_attempt_id: int | None
    deadline_at: datetime | None


def _learner_quiz_parts() -> Any:
    """The learner's open attempts (20, newest first) then the standalone quizzes (50, by
    slug), in one statement; only each definition's title is read, not its questions."""
    open_part = (
        select(
            literal(0).label("part"),
            Attempt.started_at.label("started_at"),
            Quiz.slug.label("slug"),
            QuizVersion.definition["title"].label("title"),
            Attempt.id.label("attempt_id"),
            Attempt.deadline_at.label("deadline_at"),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(QuizVersion, QuizVersion.id == Attempt.quiz_version_id)
        .where(Attempt.user_id == bindparam("user_id"), Attempt.state == AttemptState.OPEN)
        .order_by(Attempt.started_at.desc())
        .limit(20)
        .subquery()
    )
    standalone = (
        select(
            literal(1).label("part"),
            # Typed, for PostgreSQL, which takes an untyped NULL in a subquery for text.
            cast(null(), Attempt.started_at.type).label("started_at"),
            Quiz.slug.label("slug"),
            QuizVersion.definition["title"].label("title"),
            cast(null(), Attempt.id.type).label("attempt_id"),
            cast(null(), Attempt.deadline_at.type).label("deadline_at"),
        )
        .join(QuizVersion, QuizVersion.id == Quiz.current_version_id)
        .where(Quiz.module_id.is_(None))
        .order_by(Quiz.slug)
        .limit(50)
        .subquery()
    )
    both = union_all(select(open_part), select(standalone)).subquery()
    return select(both.c.slug, both.c.title, both.c.attempt_id, both.c.deadline_at).order_by(
        both.c.part, both.c.started_at.desc(), both.c.slug
    )


# Built once; each home page binds the learner only.
_LEARNER_QUIZZES = _learner_quiz_parts()


def learner_quizzes(user: Any) -> Deferred:
    """The learner's open attempts and the standalone quizzes they can take, as
    `LearnerQuizRow`s (one read, run with the page's others: see `app.platform.reads`)."""
    return Deferred((Read(_LEARNER_QUIZZES, {"user_id": _id(user)}),), _learner_quiz_rows)


def _learner_quiz_rows(found: Any) -> list[LearnerQuizRow]:
    rows: list[LearnerQuizRow] = []
    seen: set[str] = set()
    for slug, title, attempt_id, deadline in found:
        if attempt_id is None and slug in seen:
            continue
        seen.add(slug)
        rows.append(LearnerQuizRow(slug, dict(title or {}), attempt_id, deadline))
    return rows
