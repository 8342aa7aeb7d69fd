"""Attempts at a quiz: start, save answers, submit and grade. They flush; callers commit.

Attempt rules enforced here (the views only translate the errors):
- one open attempt per learner and quiz (starting again resumes it); attempt limit and cool-down;
- answers only to the attempt's own questions, in the shape the question type expects;
- nothing changes after submission or after the deadline (plus a few seconds for requests
  in flight); an open attempt past its deadline is submitted when it is next touched;
- submission (`app.assessment.submission`, whose names this module passes on) is a
  conditional `UPDATE ... WHERE state = 'open'`: whatever the number of concurrent requests,
  exactly one of them grades the attempt, and only that one announces the `QuizGraded` event
  to the listeners (`app.platform.hooks.QUIZ_GRADED`).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.assessment import grading
from app.assessment.attempt_errors import AnswerRefused as AnswerRefused
from app.assessment.attempt_errors import AttemptClosed as AttemptClosed
from app.assessment.attempt_errors import AttemptError as AttemptError
from app.assessment.attempt_errors import AttemptExpired as AttemptExpired
from app.assessment.attempt_errors import AttemptRefused as AttemptRefused
from app.assessment.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizVersion
from app.assessment.operations import definition_of
from app.assessment.queries import attempt_policy
from app.assessment.questions import MAX_TIME_LIMIT_MINUTES, Question, clamp_minutes
from app.assessment.questions import Quiz as QuizDefinition
from app.assessment.submission import QuizGradedListener as QuizGradedListener
from app.assessment.submission import SubmitOutcome as SubmitOutcome
from app.assessment.submission import counted_responses as counted_responses
from app.assessment.submission import lock_attempt
from app.assessment.submission import submit_attempt as submit_attempt
from app.i18n.markers import N_
from app.people.models import User

MAX_RESPONSE_JSON = 20_000

# -- attempts --------------------------------------------------------------------------------


def time_allowed(time_limit_minutes: int, extra_time_percent: int) -> timedelta:
    """The time one person gets for a timed quiz: the limit plus their extra time (WCAG 2.2.1)."""
    # Clamped: a quiz saved before the limit existed must not overflow the deadline.
    minutes = clamp_minutes(time_limit_minutes, MAX_TIME_LIMIT_MINUTES)
    return timedelta(minutes=minutes) * (100 + extra_time_percent) / 100


def _shuffled_choices(definition: QuizDefinition, question: Question) -> bool:
    if question.type in ("ordering", "matching"):
        return True  # a fixed order would give the answer away
    return question.type in ("single", "multiple") and definition.shuffle_options


def _open_attempt(session: Session, user_id: int, quiz: Quiz) -> Attempt | None:
    return session.scalar(
        select(Attempt)
        .where(
            Attempt.user_id == user_id,
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.OPEN,
        )
        .order_by(Attempt.number.desc())
        .limit(1)
        .execution_options(populate_existing=True)
    )


def start_attempt(
    session: Session,
    user_id: int,
    quiz: Quiz,
    *,
    now: datetime,
    listeners: Iterable[QuizGradedListener] = (),
) -> tuple[Attempt, bool]:
    """Start an attempt, or return the open one (resume). Returns (attempt, is_new).

    Raises AttemptRefused when the attempt limit is reached or the cool-down is running.
    """
    version = quiz.current_version
    if version is None:
        raise AttemptRefused(N_("This quiz has no questions yet."))
    open_attempt = _open_attempt(session, user_id, quiz)
    if open_attempt is not None and open_attempt.is_past_deadline(now):
        submit_attempt(session, open_attempt, now=now, key="deadline", listeners=listeners)
    # Serialise a learner's starts (double clicks, two tabs): under READ COMMITTED the checks
    # below would otherwise see another start half-way and open a second attempt. The row is
    # locked after any submission above, so locks are always taken attempt first, learner next.
    extra_time_percent = session.scalar(
        select(User.extra_time_percent).where(User.id == user_id).with_for_update()
    )
    open_attempt = _open_attempt(session, user_id, quiz)
    if open_attempt is not None:
        return open_attempt, False
    policy = attempt_policy(session, user_id, quiz, now=now)
    if policy.attempts_left == 0:
        raise AttemptRefused(
            N_("You have used all %(allowed)s attempts at this quiz."), allowed=policy.allowed
        )
    if policy.cooldown_until is not None:
        raise AttemptRefused(
            N_("You can start the next attempt at %(until)s."), until=policy.cooldown_until
        )
    attempt = _new_attempt(
        user_id,
        quiz,
        version,
        number=policy.last_number + 1,
        now=now,
        extra_time_percent=extra_time_percent or 0,
    )
    session.add(attempt)
    session.flush()
    return attempt, True


def _new_attempt(
    user_id: int,
    quiz: Quiz,
    version: QuizVersion,
    *,
    number: int,
    now: datetime,
    extra_time_percent: int,
) -> Attempt:
    """Draw the questions and option orders of a new attempt and set its deadline."""
    definition = definition_of(version)
    seed = secrets.randbits(62)
    rng = random.Random(seed)
    drawn = grading.draw_questions(definition, rng)
    orders = {
        question.id: list(grading.option_order(question, rng))
        for question in drawn
        if _shuffled_choices(definition, question)
    }
    attempt = Attempt(
        user_id=user_id,
        quiz_id=quiz.id,
        quiz_version_id=version.id,
        number=number,
        state=AttemptState.OPEN,
        seed=seed,
        question_ids=[question.id for question in drawn],
        option_orders=orders,
        started_at=now,
        deadline_at=(
            now + time_allowed(definition.time_limit_minutes, extra_time_percent)
            if definition.time_limit_minutes
            else None
        ),
    )
    return attempt


def normalise_response(question: Question, response: Any) -> Any:
    """Turn "nothing chosen" into None and a valid response into its stored form.

    Raises AnswerRefused for a response of the wrong shape, with the grader's message.
    """
    if response is None:
        return None
    kind = question.type
    if kind == "multiple" and isinstance(response, list | tuple):
        if not response:
            return None
        if not all(isinstance(item, str) for item in response):
            raise AnswerRefused(N_("unknown option"))
        response = sorted(set(response))
    elif kind in ("short", "numeric", "single", "truefalse") and isinstance(response, str):
        if not response.strip():
            return None
    elif kind == "matching" and isinstance(response, dict):
        response = {key: value for key, value in response.items() if value not in (None, "")}
        if not response:
            return None
    elif kind == "ordering" and isinstance(response, list) and not response:
        return None
    if kind == "truefalse" and response in ("true", "false"):
        response = response == "true"
    try:
        grading.grade_question(question, response)
    except grading.InvalidResponse as exc:
        raise AnswerRefused(str(exc.args[0]) if exc.args else N_("invalid answer")) from exc
    if len(json.dumps(response)) > MAX_RESPONSE_JSON:
        raise AnswerRefused(N_("the answer is too long"))
    return response


def save_answer(
    session: Session,
    attempt: Attempt,
    question_id: str,
    response: Any,
    *,
    now: datetime,
    listeners: Iterable[QuizGradedListener] = (),
    locked: bool = False,
    answers: dict[str, AttemptAnswer] | None = None,
) -> AttemptAnswer:
    """Save (or clear, with None) the learner's answer to one question of an open attempt.

    `locked`: the caller read the attempt with `load_attempt(..., for_update=True)` in this
    transaction. `answers`: the attempt's saved answers, read once for several saves; the
    new rows then go in with the caller's flush (one batch). Without them, one upsert.
    """
    if not locked:
        lock_attempt(session, attempt)
    if attempt.state != AttemptState.OPEN:
        raise AttemptClosed(N_("This attempt has already been submitted."))
    if attempt.is_past_deadline(now):
        submit_attempt(session, attempt, now=now, key="deadline", listeners=listeners, locked=True)
        raise AttemptExpired(
            N_("The time is up: your answers saved before the deadline have been graded.")
        )
    if not isinstance(question_id, str) or question_id not in attempt.question_ids:
        raise AnswerRefused(N_("This question is not part of your attempt."))
    question = definition_of(attempt.version).question(question_id)
    stored = normalise_response(question, response)
    values = {"attempt_id": attempt.id, "question_id": question_id}
    values |= {"response": stored, "saved_at": now}
    if answers is None:
        # One statement whether or not the row exists, and no lost race between two tabs.
        session.execute(_UPSERT[session.get_bind().dialect.name], values)
        return AttemptAnswer(**values)  # what was saved; not added to the session
    answer = answers.get(question_id)
    if answer is None:
        answer = answers[question_id] = AttemptAnswer(
            attempt_id=attempt.id, question_id=question_id
        )
        session.add(answer)
    answer.response = stored
    answer.saved_at = now
    return answer


def _upsert(insert_of: Callable[[Any], Any]) -> Any:
    statement = insert_of(AttemptAnswer.__table__)
    return statement.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"response": statement.excluded.response, "saved_at": statement.excluded.saved_at},
    )


# Built once per dialect (the platform runs on these two): save one answer in one statement.
_UPSERT = {"sqlite": _upsert(sqlite.insert), "postgresql": _upsert(postgresql.insert)}


def expire_if_due(
    session: Session,
    attempt: Attempt,
    *,
    now: datetime,
    listeners: Iterable[QuizGradedListener] = (),
) -> bool:
    """Submit an open attempt whose deadline has passed; True when it was submitted now."""
    if attempt.state != AttemptState.OPEN or not attempt.is_past_deadline(now):
        return False
    return submit_attempt(session, attempt, now=now, key="deadline", listeners=listeners).graded_now
