"""Recording a graded quiz attempt: `attempted`, one `answered` per answer, `passed` or `failed`.

Assessment announces `QuizGraded` (`app.platform.hooks.QUIZ_GRADED`) with everything the
statements say, as plain values; `on_quiz_graded` records it. Passing may complete the module
the quiz ends (`app.tracking.completing`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from app.content.models import Module, ModuleVariant, ModuleVersion
from app.people.models import User
from app.platform.events import AnsweredQuestion, QuizGraded
from app.tracking import event_statements
from app.tracking import statements as xapi
from app.tracking.completing import complete_if_due
from app.tracking.lrs import forward_after_request
from app.tracking.operations import (
    Outcome,
    Recorder,
    RecordResult,
    TrackingConfig,
    duplicate,
    lock_learner,
    module_ref,
    refuse,
    registration_for,
    tracking_config,
)


def record_attempt(
    session: Session,
    graded: QuizGraded,
    *,
    registration: str | None = None,
    config: TrackingConfig | None = None,
) -> RecordResult:
    """Record a graded quiz attempt (attempted, answered, passed or failed) and its effects."""
    user = session.get(User, graded.user_id)
    if user is None or not user.is_active:
        return refuse("inactive or unknown learner", user=graded.user_id, attempt=graded.attempt_id)
    lock_learner(session, user.id)
    recorder = Recorder(session, config or tracking_config(), user, graded.at, registration)
    result_key = f"result|attempt:{graded.attempt_id}"
    if recorder.exists(result_key):
        return duplicate(result_key)
    module = _module(session, graded.module_id)
    quiz = _quiz_ref(graded, module)
    common: dict[str, Any] = {
        "module_id": module.id if module else None,
        "quiz_id": graded.quiz_id,
        "attempt_id": graded.attempt_id,
    }
    _add_attempted(recorder, graded, quiz, common)
    for answer in graded.answers:
        _add_answered(recorder, graded, quiz, answer, common)
    _add_result(recorder, result_key, graded, quiz, common)
    recorder.flush()  # the attempt's statements in one INSERT, then their projections
    completion = None
    if module is not None and graded.is_passed:
        completion = complete_if_due(recorder, module, quiz_just_passed=True)
    return RecordResult(Outcome.RECORDED, statements=recorder.added, completion=completion)


# Built once: the module with its current version and that version's titles (`module_ref`).
_MODULE = (
    select(Module)
    .options(
        joinedload(Module.current_version)
        .joinedload(ModuleVersion.variants)
        .load_only(ModuleVariant.language, ModuleVariant.title)
    )
    .where(Module.id == bindparam("module_id"))
)


def _module(session: Session, module_id: int | None) -> Module | None:
    """The quiz's module, with what the statements name it by, in one statement."""
    if module_id is None:
        return None
    return session.scalars(_MODULE, {"module_id": module_id}).unique().one_or_none()


def _quiz_ref(graded: QuizGraded, module: Module | None) -> xapi.QuizRef:
    """The quiz as statements name it, with the module it ends (in its current version)."""
    ref = None
    if module is not None and module.current_version is not None:
        ref = module_ref(module.current_version, module)
    return xapi.QuizRef(
        slug=graded.quiz_slug,
        version=graded.quiz_version_number,
        titles=dict(graded.quiz_titles),
        module=ref,
    )


def _add_attempted(
    recorder: Recorder, graded: QuizGraded, quiz: xapi.QuizRef, common: dict[str, Any]
) -> None:
    """Add `attempted`, dated when the attempt started."""
    key = f"attempted|attempt:{graded.attempt_id}"
    recorder.stage(
        key,
        event_statements.quiz_attempted(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            quiz=quiz,
            attempt_number=graded.attempt_number,
            timestamp=graded.started_at,
            registration=recorder.registration,
        ),
        verb=xapi.Verb.ATTEMPTED,
        kind=xapi.ObjectKind.QUIZ,
        timestamp=graded.started_at,
        **common,
    )


def _add_answered(
    recorder: Recorder,
    graded: QuizGraded,
    quiz: xapi.QuizRef,
    answer: AnsweredQuestion,
    common: dict[str, Any],
) -> None:
    """Add `answered` for one question, dated when the answer was saved (by the submission)."""
    key = f"answered|attempt:{graded.attempt_id}|question:{answer.question_id}"
    moment = min(answer.saved_at or graded.submitted_at, graded.submitted_at)
    recorder.stage(
        key,
        event_statements.question_answered(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            quiz=quiz,
            question_id=answer.question_id,
            question_type=answer.question_type,
            stem=dict(answer.stem),
            points=answer.points,
            max_points=answer.max_points,
            fraction=answer.fraction,
            timestamp=moment,
            registration=recorder.registration,
        ),
        verb=xapi.Verb.ANSWERED,
        kind=xapi.ObjectKind.QUESTION,
        timestamp=moment,
        **common,
    )


def _add_result(
    recorder: Recorder,
    key: str,
    graded: QuizGraded,
    quiz: xapi.QuizRef,
    common: dict[str, Any],
) -> None:
    """Add `passed` or `failed`, with the score and the time taken."""
    recorder.stage(
        key,
        event_statements.quiz_result(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            quiz=quiz,
            attempt_number=graded.attempt_number,
            score_percent=graded.score_percent,
            is_passed=graded.is_passed,
            duration=graded.submitted_at - graded.started_at,
            timestamp=graded.submitted_at,
            registration=recorder.registration,
        ),
        verb=xapi.Verb.PASSED if graded.is_passed else xapi.Verb.FAILED,
        kind=xapi.ObjectKind.QUIZ,
        timestamp=graded.submitted_at,
        **common,
    )


def on_quiz_graded(session: Session, graded: QuizGraded) -> None:
    """`QUIZ_GRADED` receiver: record the attempt; refusals are logged, not raised."""
    registration = registration_for(session, graded.user_id, graded.module_id, graded.at)
    if record_attempt(session, graded, registration=registration).statements:
        forward_after_request()
