"""Reads for job aids: a module's counter points in one language, and its most-missed quiz points.

The most-missed points come from the trainers' item analysis (`analyse_quiz`, each learner's
first attempt) and carry only texts the trainer wrote: the question and the explanation (or the
right option's feedback). No answer, score or name of a learner is read into them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment.item_analysis import TOO_EASY_ABOVE, analyse_quiz
from app.assessment.item_analysis_queries import (
    attempts_from_rows,
    question_keys,
    quiz_versions,
    submitted_answers,
)
from app.assessment.presenters import plain
from app.assessment.queries import quiz_for_module
from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.content.models import Module, ModulePage, ModuleVariant, ModuleVersion
from app.i18n.languages import LANGUAGES, pick_language, text_in
from app.job_aids.extraction import PageSection, counter_sections

# Below this many learners (first attempts) the section is left out: fewer answers say little
# about a question, and the points must never point at a handful of colleagues.
MIN_LEARNERS_FOR_MISSED_POINTS = 10
MAX_MISSED_POINTS = 3


@dataclass(frozen=True)
class ModuleSheet:
    """A published module's counter points in the language chosen for the sheet."""

    module_id: int
    slug: str
    title: str
    summary: str
    language: str
    languages: tuple[str, ...]
    version_number: int
    published_at: datetime
    sections: list[PageSection]


def module_sheet(session: Session, module: Module, *, language: str) -> ModuleSheet | None:
    """The counter points of the module's current version, in `language` if it has it (else
    the language the reader would fall back to); None when it has no published version."""
    version = session.get(ModuleVersion, module.current_version_id or 0)
    if version is None:
        return None
    variants = {
        v.language: v
        for v in session.scalars(
            select(ModuleVariant).where(ModuleVariant.version_id == version.id)
        )
    }
    if not variants:
        return None
    chosen = variants[pick_language(variants, language, module.source_language)]
    pages = session.execute(
        select(ModulePage.title, ModulePage.html)
        .where(ModulePage.variant_id == chosen.id)
        .order_by(ModulePage.position)
    ).all()
    return ModuleSheet(
        module_id=module.id,
        slug=module.slug,
        title=chosen.title,
        summary=chosen.summary,
        language=chosen.language,
        languages=tuple(language for language in LANGUAGES if language in variants),
        version_number=version.number,
        published_at=version.published_at,
        sections=counter_sections((title, html) for title, html in pages),
    )


@dataclass(frozen=True)
class MissedPoint:
    """A question many learners got wrong, and the point the trainer wrote about it."""

    question: str
    point: str
    facility: float  # share of the points learners scored on it (0..1)


@dataclass(frozen=True)
class MissedPoints:
    """The most-missed points of a module's quiz, or why there are none yet."""

    learners: int
    points: tuple[MissedPoint, ...]
    minimum: int = MIN_LEARNERS_FOR_MISSED_POINTS

    @property
    def has_enough_learners(self) -> bool:
        """Tell whether enough learners took the quiz for the points to be shown."""
        return self.learners >= self.minimum


def trainer_point(question: Question, language: str) -> str:
    """What the trainer wrote to explain the right answer: the explanation, else the feedback
    of the right option(s) ("" when the trainer wrote neither)."""
    explanation = plain(text_in(question.explanation, language)) if question.explanation else ""
    if explanation:
        return explanation
    if question.type == "single":
        feedback = [o.feedback for o in question.options if o.correct and o.feedback]
    elif question.type == "multiple":
        feedback = [o.feedback for o in question.options if (o.weight or 0) > 0 and o.feedback]
    elif question.type == "truefalse":
        right = question.feedback_true if question.answer else question.feedback_false
        feedback = [right] if right else []
    else:
        feedback = []
    return " ".join(p for p in (plain(text_in(f, language)) for f in feedback) if p)


def most_missed_points(session: Session, module_id: int, language: str) -> MissedPoints | None:
    """The questions of the module's quiz that learners miss most, with the trainer's point
    (None when the module has no quiz)."""
    quiz = quiz_for_module(session, module_id)
    if quiz is None:
        return None
    # Each question as its newest version has it (the trainers' analysis labels them so too).
    questions: dict[str, Question] = {}
    keys = []
    for _vid, _number, definition in quiz_versions(session, quiz.quiz_id):  # newest first
        parsed = QuizDefinition.from_dict(definition)
        for question in parsed.all_questions():
            questions.setdefault(question.id, question)
        keys += [k for k in question_keys(parsed, language) if k.id not in {q.id for q in keys}]
    analysis = analyse_quiz(keys, attempts_from_rows(submitted_answers(session, quiz.quiz_id)))
    if analysis.learners < MIN_LEARNERS_FOR_MISSED_POINTS:
        return MissedPoints(learners=analysis.learners, points=())
    order = {key.id: index for index, key in enumerate(keys)}
    candidates = sorted(
        (
            stat
            for stat in analysis.questions
            if stat.question_id in questions
            and stat.has_enough_answers
            and stat.facility is not None
            and stat.facility <= TOO_EASY_ABOVE
        ),
        key=lambda stat: (stat.facility, order.get(stat.question_id, len(order))),
    )
    points = []
    for stat in candidates:
        question = questions[stat.question_id]
        point = trainer_point(question, language)
        if point:
            points.append(
                MissedPoint(
                    question=plain(text_in(question.stem, language)),
                    point=point,
                    facility=float(stat.facility or 0.0),
                )
            )
        if len(points) == MAX_MISSED_POINTS:
            break
    return MissedPoints(learners=analysis.learners, points=tuple(points))
