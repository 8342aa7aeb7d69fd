"""Submitting an attempt: grade it once, store the result and announce `QuizGraded`.

Submission is a conditional `UPDATE ... WHERE state = 'open'` made under the attempt's row
lock: whatever the number of concurrent requests, exactly one of them grades the attempt, and
only that one writes the answers' points and announces the `QuizGraded` event to the listeners
(`app.platform.hooks.QUIZ_GRADED`). `app.assessment.attempts` holds the other attempt rules.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.assessment import grading
from app.assessment.announcements import quiz_graded_event
from app.assessment.models import DEADLINE_GRACE, Attempt, AttemptAnswer, AttemptState
from app.assessment.operations import definition_of
from app.assessment.queries import ANSWERS_OF_ATTEMPT
from app.assessment.questions import Quiz as QuizDefinition
from app.platform.events import QuizGraded

# A receiver of `QUIZ_GRADED`: runs in the grading transaction, after grading.
QuizGradedListener = Callable[[Session, QuizGraded], None]


@dataclass(frozen=True)
class SubmitOutcome:
    """The submitted attempt, and whether this call graded it (False: it was already)."""

    attempt: Attempt
    graded_now: bool


def lock_attempt(session: Session, attempt: Attempt) -> None:
    """Re-read the attempt under a row lock (PostgreSQL); SQLite's writers are serialised."""
    session.refresh(attempt, with_for_update=True)


def counted_responses(attempt: Attempt, answers: Iterable[AttemptAnswer]) -> dict[str, Any]:
    """The responses that count: saved by the deadline (with its grace), to asked questions."""
    cutoff = attempt.deadline_at + DEADLINE_GRACE if attempt.deadline_at else None
    asked = set(attempt.question_ids)
    return {
        answer.question_id: answer.response
        for answer in answers
        if answer.response is not None
        and answer.question_id in asked
        and (cutoff is None or (answer.saved_at is not None and answer.saved_at <= cutoff))
    }


_SUBMITTED_COLUMNS = ("state", "submitted_at", "submit_key", "score_percent", "is_passed")
# Built once: the one state change of a submission (the bound names differ from the columns').
_SUBMIT = (
    update(Attempt)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.state == AttemptState.OPEN)
    .values({name: bindparam(f"new_{name}") for name in _SUBMITTED_COLUMNS})
    .execution_options(synchronize_session=False)
)


def _params(values: dict[str, Any]) -> dict[str, Any]:
    """The bound values of `_SUBMIT`, from the new values by column name."""
    return {f"new_{name}": value for name, value in values.items()}


def submit_attempt(
    session: Session,
    attempt: Attempt,
    *,
    now: datetime,
    key: str | None = None,
    listeners: Iterable[QuizGradedListener] = (),
    locked: bool = False,
) -> SubmitOutcome:
    """Submit and grade the attempt exactly once; later calls return the stored result.

    The attempt's row is locked first (`locked`: the caller read it with
    `load_attempt(..., for_update=True)` in this transaction), so no answer is saved while it
    is graded. Then one `UPDATE attempts SET state='submitted', score... WHERE id=:id AND
    state='open'` stores the result: only the call whose update hits the row writes the
    answers' points and announces. A late submission ends at the deadline and is graded on
    the answers saved by then. Listeners receive the `QuizGraded` event inside the same
    transaction, after grading.
    """
    if not locked:
        lock_attempt(session, attempt)
    if attempt.state != AttemptState.OPEN:
        return SubmitOutcome(attempt, graded_now=False)
    ended_at = now
    if attempt.deadline_at is not None and now > attempt.deadline_at:
        ended_at = attempt.deadline_at
    definition, answers, grade = _grade(session, attempt)
    values = {
        "state": AttemptState.SUBMITTED,
        "submitted_at": ended_at.astimezone(UTC),
        "submit_key": (key or secrets.token_hex(8))[:64],
        "score_percent": grade.score_percent,
        "is_passed": grading.is_passed(grade.score_percent, attempt.version.pass_mark),
    }
    result = session.execute(_SUBMIT, {"attempt_id": attempt.id} | _params(values))
    if result.rowcount != 1:
        session.refresh(attempt)
        return SubmitOutcome(attempt, graded_now=False)
    for name, value in values.items():  # what the row now holds, without reading it again
        set_committed_value(attempt, name, value)
    _store_points(session, attempt, answers, grade)
    listeners = list(listeners)
    if listeners:
        graded = quiz_graded_event(
            session, attempt, now=now, definition=definition, answers=answers
        )
        for listener in listeners:
            listener(session, graded)
    session.flush()
    return SubmitOutcome(attempt, graded_now=True)


def _grade(
    session: Session, attempt: Attempt
) -> tuple[QuizDefinition, dict[str, AttemptAnswer], grading.AttemptGrade]:
    """Grade the attempt's saved answers (nothing written); return what it read and the grade."""
    definition = definition_of(attempt.version)
    questions = [definition.question(question_id) for question_id in attempt.question_ids]
    answers = {
        answer.question_id: answer
        for answer in session.scalars(
            # Fresh values: an answer upserted in this transaction may be in the session stale.
            ANSWERS_OF_ATTEMPT,
            {"attempt_id": attempt.id},
            execution_options={"populate_existing": True},
        )
    }
    responses = counted_responses(attempt, answers.values())
    valid: dict[str, Any] = {}
    for question in questions:
        if question.id in responses:
            try:
                grading.grade_question(question, responses[question.id])
            except grading.InvalidResponse:
                continue  # validated when saved; a stored oddity counts as unanswered
            valid[question.id] = responses[question.id]
    return definition, answers, grading.grade_attempt(questions, valid)


def _store_points(
    session: Session,
    attempt: Attempt,
    answers: dict[str, AttemptAnswer],
    grade: grading.AttemptGrade,
) -> None:
    """Write each question's points: one batched update, one insert for the unanswered."""
    definition = definition_of(attempt.version)
    unanswered = []
    for question_id in attempt.question_ids:
        question = definition.question(question_id)
        fraction = grade.per_question[question_id].fraction
        points = round(question.points * fraction, 6)
        answer = answers.get(question_id)
        if answer is None:
            unanswered.append(
                {"attempt_id": attempt.id, "question_id": question_id, "response": None}
                | {"fraction": fraction, "points": points}
            )
            continue
        answer.fraction = fraction
        answer.points = points
    if unanswered:
        # One batch: their ids are never read, so no RETURNING row by row.
        session.execute(insert(AttemptAnswer), unanswered)
