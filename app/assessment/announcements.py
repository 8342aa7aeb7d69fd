"""What assessment tells the other features: the `QuizGraded` event and which modules have a quiz.

Other features (tracking) learn about quizzes only through these plain values, never by
reading assessment's tables: the event carries everything the learning record states about an
attempt, and `module_quizzes` answers the `MODULE_QUIZZES` question of `app.platform.hooks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.assessment.models import Attempt, AttemptAnswer, Quiz
from app.assessment.operations import definition_of
from app.assessment.questions import Quiz as QuizDefinition
from app.platform.events import AnsweredQuestion, QuizGraded


def quiz_graded_event(
    session: Session,
    attempt: Attempt,
    *,
    now: datetime,
    definition: QuizDefinition | None = None,
    answers: Mapping[str, AttemptAnswer] | None = None,
) -> QuizGraded:
    """Describe a graded attempt as the `QuizGraded` event (`now`: when it was graded).

    Grading passes the definition and answers it has just read; without them they are read.
    """
    quiz = session.get(Quiz, attempt.quiz_id)
    assert quiz is not None, "an attempt always belongs to a quiz"
    version = attempt.version
    if definition is None:
        definition = definition_of(version)
    if answers is None:
        answers = {
            answer.question_id: answer
            for answer in session.scalars(
                select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
            )
        }
    return QuizGraded(
        attempt_id=attempt.id,
        attempt_number=attempt.number,
        user_id=attempt.user_id,
        quiz_id=quiz.id,
        quiz_slug=quiz.slug,
        quiz_version_number=version.number,
        quiz_titles=dict(definition.title),
        module_id=quiz.module_id,
        started_at=attempt.started_at,
        submitted_at=attempt.submitted_at or now,
        score_percent=float(attempt.score_percent or 0),
        is_passed=bool(attempt.is_passed),
        at=now,
        answers=_answered(definition, attempt.question_ids, answers),
    )


def _answered(
    definition: QuizDefinition, asked: Iterable[str], answers: Mapping[str, AttemptAnswer]
) -> tuple[AnsweredQuestion, ...]:
    """The asked questions that got a response, in the order they were asked."""
    answered = []
    for question_id in asked:
        answer = answers.get(question_id)
        if answer is None or answer.response is None:
            continue
        question = definition.question(question_id)
        answered.append(
            AnsweredQuestion(
                question_id=question_id,
                question_type=question.type,
                stem=dict(question.stem),
                points=float(answer.points or 0),
                max_points=float(question.points),
                fraction=float(answer.fraction or 0),
                saved_at=answer.saved_at,
            )
        )
    return tuple(answered)


# Built once (the module page and "page done" ask on every request): the ids are one
# expanding parameter.
_MODULE_QUIZZES = (
    select(Quiz.module_id, Quiz.slug)
    .where(
        Quiz.module_id.in_(bindparam("module_ids", expanding=True)),
        Quiz.current_version_id.is_not(None),
    )
    .order_by(Quiz.id)
)


def module_quizzes(session: Session, module_ids: Iterable[int]) -> dict[int, str]:
    """Return the quiz slug of each module that ends with a quiz (one with a version).

    A module with several quizzes is given its first one, as the reader links to it.
    """
    slugs: dict[int, str] = {}
    rows = session.execute(_MODULE_QUIZZES, {"module_ids": list(module_ids)})
    for module_id, slug in rows:
        slugs.setdefault(module_id, slug)
    return slugs
