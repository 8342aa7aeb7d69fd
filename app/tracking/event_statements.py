"""The statement of each learning event the platform records, as xAPI 1.0.3 (plain dicts).

Pure: no Flask, no database. Built from the vocabulary of `app.tracking.statements` (verbs,
activity IRIs, actors, context and score); each function is one kind of event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from app.tracking.statements import (
    INTERACTION_TYPES,
    Actor,
    Iris,
    ModuleRef,
    ObjectKind,
    QuizRef,
    Verb,
    activity,
    context,
    iso_duration,
    score,
    statement,
)


def module_launched(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    module: ModuleRef,
    language: str | None,
    timestamp: datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner opened a version of a module for the first time (in this cycle)."""
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.LAUNCHED,
        obj=module.activity(iris),
        timestamp=timestamp,
        context=context(revision=module.version, language=language, registration=registration),
    )


def page_experienced(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    module: ModuleRef,
    position: int,
    page_title: str,
    language: str,
    timestamp: datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner saw one page of a module version (in a language)."""
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.EXPERIENCED,
        obj=activity(
            iris.page(module.slug, module.version, position),
            ObjectKind.PAGE,
            {language: page_title},
        ),
        timestamp=timestamp,
        context=context(
            parent=[module.activity(iris)],
            language=language,
            registration=registration,
            extensions={iris.extension("page-position"): position},
        ),
    )


def module_completed(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    module: ModuleRef,
    timestamp: datetime,
    score_percent: float | None,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner met the completion rule for a module version (score: the quiz, if any)."""
    result: dict[str, Any] = {"completion": True, "success": True}
    if score_percent is not None:
        result["score"] = score(score_percent, 100)
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.COMPLETED,
        obj=module.activity(iris),
        timestamp=timestamp,
        result=result,
        context=context(revision=module.version, registration=registration),
    )


def module_attested(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    module: ModuleRef,
    language: str,
    content_hash: str,
    method: str,
    timestamp: datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner confirmed one version of an attestation (its content hash) by re-authenticating.

    `method` says how they proved who they were: "password" or "sso". The `completed` statement
    that follows (the completion rule) is what readiness and campaigns count.
    """
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.ATTESTED,
        verb_iri=iris.verb(Verb.ATTESTED),
        obj=module.activity(iris),
        timestamp=timestamp,
        result={"success": True},
        context=context(
            revision=module.version,
            language=language,
            registration=registration,
            extensions={
                iris.extension("content-hash"): content_hash,
                iris.extension("authentication"): method,
            },
        ),
    )


def quiz_attempted(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    quiz: QuizRef,
    attempt_number: int,
    timestamp: datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner started an attempt at a quiz (stated when the attempt is submitted)."""
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.ATTEMPTED,
        obj=quiz.activity(iris),
        timestamp=timestamp,
        context=context(
            parent=quiz.parents(iris),
            revision=quiz.version,
            registration=registration,
            extensions={iris.extension("attempt-number"): attempt_number},
        ),
    )


def question_answered(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    quiz: QuizRef,
    question_id: str,
    question_type: str,
    stem: Mapping[str, str] | None,
    points: float,
    max_points: float,
    fraction: float,
    timestamp: datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The learner's graded answer to one question (the response itself is not repeated)."""
    grouping = [quiz.module.activity(iris)] if quiz.module else None
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.ANSWERED,
        obj=activity(
            iris.question(quiz.slug, question_id),
            ObjectKind.QUESTION,
            stem,
            interaction_type=INTERACTION_TYPES.get(question_type, "other"),
        ),
        timestamp=timestamp,
        result={
            "score": score(max(0.0, min(points, max_points)), max_points),
            "success": fraction >= 1 - 1e-9,
        },
        context=context(parent=[quiz.activity(iris)], grouping=grouping, registration=registration),
    )


def quiz_result(
    iris: Iris,
    *,
    statement_id: str,
    actor: Actor,
    quiz: QuizRef,
    attempt_number: int,
    score_percent: float,
    is_passed: bool,
    duration: timedelta | None,
    timestamp: datetime,
    registration: str | None = None,
) -> dict[str, Any]:
    """The graded attempt: `passed` or `failed`, with the score out of 100 and the time spent."""
    result: dict[str, Any] = {
        "score": score(max(0.0, min(score_percent, 100.0)), 100),
        "success": bool(is_passed),
        "completion": True,
        "duration": iso_duration(duration) if duration is not None else None,
    }
    return statement(
        statement_id=statement_id,
        actor=actor,
        verb=Verb.PASSED if is_passed else Verb.FAILED,
        obj=quiz.activity(iris),
        timestamp=timestamp,
        result=result,
        context=context(
            parent=quiz.parents(iris),
            revision=quiz.version,
            registration=registration,
            extensions={iris.extension("attempt-number"): attempt_number},
        ),
    )
