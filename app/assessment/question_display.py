"""What a learner sees of a question: before answering (`public_view`) and in review.

The views are plain dicts in the learner's language; `public_view` holds nothing of the answer
key, and `review_view` leaves the key out unless the review policy reveals it. Pure: no Flask,
no database.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from app.assessment.grading import choice_keys, grade_question, option_order
from app.assessment.questions import NumericAnswer, Question, ShortAnswer
from app.i18n.languages import text_in


def _ordered(question: Question, order: Sequence[str] | None) -> list[str]:
    """Return the choice keys in the stored order, checked against the question."""
    keys = choice_keys(question)
    if order is None:
        if question.type in ("ordering", "matching"):
            # Without a stored order use an unpredictable one: a fixed order leaks the answer.
            return list(option_order(question, random.SystemRandom()))
        return keys
    if sorted(order) != sorted(keys):
        raise ValueError(f"order does not fit question {question.id!r}")
    return list(order)


def public_view(question: Question, lang: str, order: Sequence[str] | None = None) -> dict:
    """Return what a learner may see before submitting: no correct flags, weights or feedback.

    `order` is the question's `option_order`; without it single/multiple options keep their
    order and matching choices and ordering items are shuffled unpredictably.
    """
    view: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "stem": text_in(question.stem, lang),
        "points": question.points,
    }
    keys = _ordered(question, order)
    if question.type in ("single", "multiple"):
        options = {option.id: option for option in question.options}
        view["options"] = [{"id": key, "text": text_in(options[key].text, lang)} for key in keys]
    elif question.type == "ordering":
        items = {item.id: item for item in question.items}
        view["items"] = [{"id": key, "text": text_in(items[key].text, lang)} for key in keys]
    elif question.type == "matching":
        view["prompts"] = [
            {"id": pair.id, "text": text_in(pair.prompt, lang)} for pair in question.pairs
        ]
        texts = {f"pair:{pair.id}": pair.match for pair in question.pairs}
        texts |= {f"distractor:{i}": text for i, text in enumerate(question.distractors)}
        choices: list[str] = []
        for key in keys:
            choice = text_in(texts[key], lang)
            if choice not in choices:
                choices.append(choice)
        view["choices"] = choices
    return view


def review_view(question: Question, response: Any, lang: str, *, reveal: bool = True) -> dict:
    """Return the question after submission: the response, its grade and, if `reveal`, the key.

    With `reveal=False` (review policy not met yet) only the learner's own answer and whether it
    was right are included: no correct answers, weights, feedback or explanation.
    """
    grade = grade_question(question, response)
    view: dict[str, Any] = {
        "id": question.id,
        "type": question.type,
        "stem": text_in(question.stem, lang),
        "points": question.points,
        "response": _jsonable(response),
        "answered": grade.answered,
        "fraction": grade.fraction,
        "is_correct": grade.is_correct,
    }
    if reveal:
        view["feedback"] = [text_in(text, lang) for text in grade.feedback]
        view["explanation"] = text_in(question.explanation, lang) if question.explanation else ""
    chosen = set(grade.chosen)
    if question.type in ("single", "multiple"):
        view["options"] = _review_options(question, chosen, lang, reveal)
    elif question.type == "truefalse" and reveal:
        view["answer"] = question.answer
    elif question.type in ("short", "numeric") and reveal:
        view["accepted"] = [
            _accepted(answer) for answer in question.answers if answer.weight >= 100
        ]
    elif question.type == "matching":
        given = response if isinstance(response, Mapping) else {}
        view["pairs"] = _review_pairs(question, given, chosen, lang, reveal)
    elif question.type == "ordering":
        items = {item.id: item for item in question.items}
        given_order = list(response) if response is not None else []
        view["items"] = [
            {
                "id": item_id,
                "text": text_in(items[item_id].text, lang),
                "in_place": item_id in chosen,
            }
            for item_id in given_order
        ]
        if reveal:
            view["correct_order"] = [item.id for item in question.items]
    return view


def _review_options(
    question: Question, chosen: set[str], lang: str, reveal: bool
) -> list[dict[str, Any]]:
    """The options of a single or multiple choice question in review, chosen ones marked."""
    options = []
    for option in question.options:
        entry: dict[str, Any] = {
            "id": option.id,
            "text": text_in(option.text, lang),
            "chosen": option.id in chosen,
        }
        if reveal:
            if question.type == "single":
                entry["correct"] = option.correct
            else:
                entry["weight"] = option.weight
            entry["feedback"] = text_in(option.feedback, lang) if option.feedback else ""
        options.append(entry)
    return options


def _review_pairs(
    question: Question, given: Mapping[str, Any], chosen: set[str], lang: str, reveal: bool
) -> list[dict[str, Any]]:
    """The pairs of a matching question in review: the learner's match and whether it is right."""
    pairs = []
    for pair in question.pairs:
        entry = {
            "id": pair.id,
            "prompt": text_in(pair.prompt, lang),
            "chosen": given.get(pair.id) or "",
            "is_correct": pair.id in chosen,
        }
        if reveal:
            entry["match"] = text_in(pair.match, lang)
        pairs.append(entry)
    return pairs


def _accepted(answer: ShortAnswer | NumericAnswer) -> Any:
    if isinstance(answer, ShortAnswer):
        return answer.text
    if answer.value is not None:
        return {"value": answer.value, "tolerance": answer.tolerance}
    return {"min": answer.min, "max": answer.max}


def _jsonable(response: Any) -> Any:
    if isinstance(response, set | tuple):
        return sorted(response) if isinstance(response, set) else list(response)
    if isinstance(response, Mapping):
        return dict(response)
    return response
