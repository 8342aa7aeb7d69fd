"""A generated learner's quiz attempts: the attempt rows and their statements.

The attempt is written as the assessment feature leaves a submitted one (answers graded, score
and pass decided against the pass mark) and recorded as tracking records it: `attempted`, one
`answered` per question, then `passed` or `failed`; a pass may complete the module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from app.demo.generate_content import ModuleInfo, QuizInfo
from app.demo.generate_learning import Kind, Learner, Verb
from app.tracking import event_statements
from app.tracking import statements as xapi


@dataclass(frozen=True)
class _Attempt:
    """One attempt as decided: which questions are wrong, when, with what score."""

    quiz: QuizInfo
    version_id: int
    version_number: int
    id: int
    number: int  # the learner's n-th attempt at this quiz
    questions: list[str]
    wrong: int  # the first `wrong` questions are answered wrongly
    at: datetime
    submitted: datetime
    score: float
    registration: str | None

    @property
    def passed(self) -> bool:
        """Tell whether the score reaches the quiz's pass mark."""
        return self.score >= self.quiz.definition.pass_mark


def take_quiz(
    learner: Learner, module: ModuleInfo, at: datetime, registration: str | None, *, passes: bool
) -> datetime:
    """Submit one attempt at the module's quiz (all right, or too many wrong); return the end."""
    quiz = module.quiz
    assert quiz is not None
    version_id, number, _created = [v for v in quiz.versions if v[2] <= at][-1]
    questions = [q.id for q in quiz.definition.questions]
    wrong = 0 if passes else (2 if len(questions) == 5 else 1)
    learner.attempts[quiz.id] = learner.attempts.get(quiz.id, 0) + 1
    attempt = _Attempt(
        quiz=quiz,
        version_id=version_id,
        version_number=number,
        id=learner.writer.new_id("attempts"),
        number=learner.attempts[quiz.id],
        questions=questions,
        wrong=wrong,
        at=at,
        submitted=at + timedelta(seconds=30 * len(questions) + 20),
        score=round(100 * (len(questions) - wrong) / len(questions), 4),
        registration=registration,
    )
    _attempt_rows(learner, attempt)
    _attempt_statements(learner, module, attempt)
    if attempt.passed:
        learner.complete_if_due(module, attempt.submitted, registration)
    return attempt.submitted + timedelta(minutes=5)


def _attempt_rows(learner: Learner, attempt: _Attempt) -> None:
    """Write the submitted attempt and its graded answers."""
    rng = learner.run.rng
    learner.writer.add(
        "attempts",
        {
            "id": attempt.id,
            "user_id": learner.person.id,
            "quiz_id": attempt.quiz.id,
            "quiz_version_id": attempt.version_id,
            "number": attempt.number,
            "state": "submitted",
            "seed": rng.getrandbits(48),
            "question_ids": attempt.questions,
            "option_orders": {},
            "started_at": attempt.at,
            "deadline_at": None,
            "submitted_at": attempt.submitted,
            "score_percent": attempt.score,
            "is_passed": attempt.passed,
            "submit_key": f"{rng.getrandbits(64):016x}",
        },
    )
    for index, question_id in enumerate(attempt.questions):
        right = index >= attempt.wrong
        learner.writer.add(
            "attempt_answers",
            {
                "attempt_id": attempt.id,
                "question_id": question_id,
                "response": "o1" if right else "o2",
                "saved_at": attempt.at + timedelta(seconds=30 * (index + 1)),
                "fraction": 1.0 if right else 0.0,
                "points": 1.0 if right else 0.0,
            },
        )


def _attempt_statements(learner: Learner, module: ModuleInfo, attempt: _Attempt) -> None:
    """Record attempted, the answers, then passed or failed."""
    quiz, registration = attempt.quiz, attempt.registration
    given = module.version_at(attempt.submitted) or module.versions[-1]
    ref = xapi.QuizRef(quiz.slug, attempt.version_number, quiz.titles, learner.ref(module, given))
    columns = {
        "module_id": module.id,
        "quiz_id": quiz.id,
        "attempt_id": attempt.id,
        "registration": registration,
    }
    key = f"attempted|attempt:{attempt.id}"
    build = partial(
        event_statements.quiz_attempted, learner.iris, quiz=ref, attempt_number=attempt.number
    )
    shape = ("attempted", quiz.id, attempt.version_number, given.id, attempt.number)
    body = learner.filled(key, shape, build, attempt.at, registration)
    learner.record(key, body, at=attempt.at, verb=Verb.ATTEMPTED, kind=Kind.QUIZ, **columns)
    _answer_statements(learner, attempt, ref, given.id, columns)
    key = f"result|attempt:{attempt.id}"
    duration = attempt.submitted - attempt.at
    build = partial(
        event_statements.quiz_result,
        learner.iris,
        quiz=ref,
        attempt_number=attempt.number,
        score_percent=attempt.score,
        is_passed=attempt.passed,
        duration=duration,
    )
    shape = ("result", *shape[1:], attempt.score, attempt.passed, duration)
    result = learner.filled(key, shape, build, attempt.submitted, registration)
    verb = Verb.PASSED if attempt.passed else Verb.FAILED
    learner.record(key, result, at=attempt.submitted, verb=verb, kind=Kind.QUIZ, **columns)


def _answer_statements(
    learner: Learner, attempt: _Attempt, ref: xapi.QuizRef, given_id: int, columns: dict
) -> None:
    """Record one `answered` per question, in the order asked."""
    quiz = attempt.quiz
    for index, question_id in enumerate(attempt.questions):
        question = quiz.definition.question(question_id)
        right = index >= attempt.wrong
        moment = attempt.at + timedelta(seconds=30 * (index + 1))
        key = f"answered|attempt:{attempt.id}|question:{question_id}"
        build = partial(
            event_statements.question_answered,
            learner.iris,
            quiz=ref,
            question_id=question_id,
            question_type=question.type,
            stem=dict(question.stem),
            points=float(right),
            max_points=float(question.points),
            fraction=float(right),
        )
        shape = ("answered", quiz.id, attempt.version_number, given_id, question_id, right)
        body = learner.filled(key, shape, build, moment, attempt.registration)
        learner.record(key, body, at=moment, verb=Verb.ANSWERED, kind=Kind.QUESTION, **columns)
