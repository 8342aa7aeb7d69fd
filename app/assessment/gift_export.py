"""Convert the platform's `Question` into Moodle-shaped GIFT question dicts (`gift.py`).

The platform writes GIFT with the [markdown] format throughout; exported questions carry their
id as both name and idnumber, so `gift_convert` reads them back as the same questions.
`gift_export_losses` names what GIFT cannot carry. Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.assessment.gift import DEFAULT_PENALTY, php_number
from app.assessment.questions import NumericAnswer, Question, ShortAnswer, Texts
from app.i18n.languages import UNDETERMINED, text_in
from app.i18n.markers import N_


def questions_to_gift(questions: Iterable[Question], lang: str | None) -> list[dict[str, Any]]:
    """Map platform questions to Moodle-shaped GIFT dicts in `lang`; ordering ones are left out.

    `gift_export_losses` lists what GIFT cannot carry, for the exporter to warn about.
    """
    result = []
    for question in questions:
        answers = _ANSWER_CONVERTERS.get(question.type)
        if answers is None:
            continue
        data = _gift_base(question, lang)
        data.update(answers(question, lang))
        result.append(data)
    return result


def _feedback_dict(texts: Texts, lang: str | None) -> dict[str, str]:
    return {"text": text_in(texts, lang) if texts else "", "format": "markdown"}


def _gift_base(question: Question, lang: str | None) -> dict[str, Any]:
    return {
        "name": question.id,
        "idnumber": question.id,
        "tags": list(question.tags),
        "questiontext": text_in(question.stem, lang),
        "questiontextformat": "markdown",
        "generalfeedback": text_in(question.explanation, lang) if question.explanation else "",
        "generalfeedbackformat": "markdown",
        "defaultmark": question.points,
        "penalty": DEFAULT_PENALTY,
        "length": 1,
    }


def _choice(question: Question, lang: str | None) -> dict[str, Any]:
    """A single or multiple choice question as a multichoice one."""
    single = question.type == "single"
    answers = [
        {
            "text": text_in(option.text, lang),
            "format": "markdown",
            "fraction": (1.0 if option.correct else 0.0) if single else option.weight / 100,
            "feedback": _feedback_dict(option.feedback, lang),
        }
        for option in question.options
    ]
    return {
        "qtype": "multichoice",
        "single": single,
        "shuffleanswers": True,
        "answernumbering": "abc",
        "answers": answers,
    }


def _truefalse(question: Question, lang: str | None) -> dict[str, Any]:
    return {
        "qtype": "truefalse",
        "correctanswer": bool(question.answer),
        "feedbacktrue": _feedback_dict(question.feedback_true, lang),
        "feedbackfalse": _feedback_dict(question.feedback_false, lang),
        "penalty": 1,
    }


def _short(question: Question, lang: str | None) -> dict[str, Any]:
    answers = [
        {
            "text": answer.text,
            "fraction": answer.weight / 100,
            "feedback": _feedback_dict(answer.feedback, lang),
        }
        for answer in question.answers
        if isinstance(answer, ShortAnswer)
    ]
    return {"qtype": "shortanswer", "usecase": question.case_sensitive, "answers": answers}


def _numeric(question: Question, lang: str | None) -> dict[str, Any]:
    """A numeric question as a numerical one: a range becomes its middle and a tolerance."""
    answers = []
    for answer in question.answers:
        if not isinstance(answer, NumericAnswer):
            continue
        low, high = answer.bounds
        value = answer.value if answer.value is not None else (low + high) / 2
        answers.append(
            {
                "answer": php_number(value),
                "tolerance": answer.tolerance if answer.value is not None else high - value,
                "fraction": answer.weight / 100,
                "feedback": _feedback_dict(answer.feedback, lang),
            }
        )
    return {"qtype": "numerical", "answers": answers}


def _matching(question: Question, lang: str | None) -> dict[str, Any]:
    """A matching question as a match one; distractors are answers without a prompt."""
    subquestions = [
        {"text": text_in(p.prompt, lang), "format": "markdown", "answer": text_in(p.match, lang)}
        for p in question.pairs
    ] + [
        {"text": "", "format": "markdown", "answer": text_in(text, lang)}
        for text in question.distractors
    ]
    return {"qtype": "match", "shuffleanswers": True, "subquestions": subquestions}


_ANSWER_CONVERTERS: dict[str, Callable[[Question, str | None], dict[str, Any]]] = {
    "single": _choice,
    "multiple": _choice,
    "truefalse": _truefalse,
    "short": _short,
    "numeric": _numeric,
    "matching": _matching,
}


def gift_export_losses(questions: Iterable[Question], lang: str | None) -> list[tuple[str, str]]:
    """List (question id, message) for everything GIFT cannot carry when exporting in `lang`."""
    losses = []
    for question in questions:

        def lost(template: str, question: Question = question) -> None:
            """Record that `question` loses something in GIFT."""
            losses.append((question.id, template))

        if question.type == "ordering":
            lost(N_("ordering questions cannot be written to GIFT and are left out"))
            continue
        if question.points != 1:
            lost(N_("GIFT has no points: Moodle gives the question 1 point"))
        if question.accent_sensitive:
            lost(N_("GIFT cannot say that accents count"))
        if question.case_sensitive:
            lost(N_("GIFT cannot say that upper and lower case count"))
        if any(a.min is not None for a in question.answers if isinstance(a, NumericAnswer)):
            lost(N_("number ranges are written as value:tolerance"))
        languages = _languages(question)
        if len(languages) > 1 or (lang is not None and languages and lang not in languages):
            lost(N_("GIFT holds one language: only the export language is written"))
    return losses


def _languages(question: Question) -> set[str]:
    texts: list[Texts] = [question.stem, question.explanation, question.feedback_true]
    texts += [question.feedback_false, *question.distractors]
    texts += [t for o in question.options for t in (o.text, o.feedback)]
    texts += [t for p in question.pairs for t in (p.prompt, p.match)]
    texts += [item.text for item in question.items]
    texts += [a.feedback for a in question.answers]
    return {lang for text in texts for lang in text if lang != UNDETERMINED}
