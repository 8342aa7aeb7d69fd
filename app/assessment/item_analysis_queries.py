"""Reads for item analysis: a trainer's quizzes, a quiz's versions and submitted answers, and
their conversion into the plain values `app.assessment.item_analysis` analyses."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.assessment.item_analysis_data import (
    AnswerData,
    AttemptData,
    OptionKey,
    QuestionKey,
)
from app.assessment.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizVersion
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.i18n.languages import text_in
from app.people.models import User
from app.permissions import is_admin, trainer_provider_ids

MAX_ANALYSED_ATTEMPTS = 20_000
_TAG_RE = re.compile(r"<[^>]+>")


def quizzes_for_analysis(session: Session, viewer: User) -> list[tuple[int, str, dict, int, int]]:
    """(id, slug, title, version, submitted attempts) of the quizzes a trainer looks after."""
    counts = (
        select(Attempt.quiz_id, func.count(Attempt.id).label("n"))
        .where(Attempt.state == AttemptState.SUBMITTED)
        .group_by(Attempt.quiz_id)
        .subquery()
    )
    query = (
        select(
            Quiz.id,
            Quiz.slug,
            QuizVersion.definition,
            QuizVersion.number,
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(QuizVersion, QuizVersion.id == Quiz.current_version_id)
        .outerjoin(counts, counts.c.quiz_id == Quiz.id)
        .order_by(Quiz.slug)
    )
    if not is_admin(viewer):
        query = query.where(Quiz.provider_id.in_(trainer_provider_ids(viewer) or {-1}))
    return [
        (qid, slug, dict((definition or {}).get("title", {})), number or 0, int(n))
        for qid, slug, definition, number, n in session.execute(query)
    ]


def quiz_versions(session: Session, quiz_id: int) -> list[tuple[int, int, dict[str, Any]]]:
    """(id, number, definition) of every version of a quiz, newest first."""
    return [
        (vid, number, definition)
        for vid, number, definition in session.execute(
            select(QuizVersion.id, QuizVersion.number, QuizVersion.definition)
            .where(QuizVersion.quiz_id == quiz_id)
            .order_by(QuizVersion.number.desc())
        )
    ]


def submitted_answers(
    session: Session, quiz_id: int, *, version_id: int | None = None
) -> list[tuple[Any, ...]]:
    """Rows (attempt_id, user_id, number, started_at, question_id, response, fraction, saved_at)
    of the most recent submitted attempts of a quiz (at most 20,000 attempts; one query)."""
    conditions = [Attempt.quiz_id == quiz_id, Attempt.state == AttemptState.SUBMITTED]
    if version_id is not None:
        conditions.append(Attempt.quiz_version_id == version_id)
    recent = (
        select(Attempt.id)
        .where(*conditions)
        .order_by(Attempt.id.desc())
        .limit(MAX_ANALYSED_ATTEMPTS)
        .subquery()
    )
    return [
        tuple(row)
        for row in session.execute(
            select(
                Attempt.id,
                Attempt.user_id,
                Attempt.number,
                Attempt.started_at,
                AttemptAnswer.question_id,
                AttemptAnswer.response,
                AttemptAnswer.fraction,
                AttemptAnswer.saved_at,
            )
            .join(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id)
            .where(Attempt.id.in_(select(recent.c.id)))
            .order_by(Attempt.id, AttemptAnswer.id)
        )
    ]


def attempts_from_rows(rows: list[tuple[Any, ...]]) -> list[AttemptData]:
    """Group answer rows (see `submitted_answers`) into attempts."""
    attempts: dict[int, dict[str, Any]] = {}
    for attempt_id, user_id, number, started_at, question_id, response, fraction, saved in rows:
        entry = attempts.setdefault(
            attempt_id,
            {"user_id": user_id, "number": number, "started_at": started_at, "answers": []},
        )
        entry["answers"].append(AnswerData(question_id, response, fraction, saved))
    return [
        AttemptData(
            attempt_id=attempt_id,
            user_id=entry["user_id"],
            number=entry["number"],
            answers=tuple(entry["answers"]),
            started_at=entry["started_at"],
        )
        for attempt_id, entry in attempts.items()
    ]


def _plain(markdown: str, limit: int = 160) -> str:
    """A question's text for a table cell: no markup, one line, shortened."""
    text = _TAG_RE.sub("", markdown or "")
    text = re.sub(r"[*_`#>\[\]]", "", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def question_keys(definition: QuizDefinition, language: str) -> list[QuestionKey]:
    """Turn a quiz definition into what the analysis needs, with labels in `language`."""
    keys = []
    for question in definition.all_questions():
        keys.append(
            QuestionKey(
                id=question.id,
                type=question.type,
                points=float(question.points or 1),
                label=_plain(text_in(question.stem, language)),
                options=_option_keys(question, language),
            )
        )
    return keys


def _option_keys(question: Question, language: str) -> tuple[OptionKey, ...]:
    if question.type == "single":
        return tuple(
            OptionKey(o.id, _plain(text_in(o.text, language), 80), bool(o.correct))
            for o in question.options
        )
    if question.type == "multiple":
        return tuple(
            OptionKey(o.id, _plain(text_in(o.text, language), 80), (o.weight or 0) > 0)
            for o in question.options
        )
    if question.type == "truefalse":
        return (
            OptionKey("true", _("True"), question.answer is True),
            OptionKey("false", _("False"), question.answer is False),
        )
    return ()
