"""Turn quiz questions into what the templates show: sanitised HTML, no answer key while open.

`learner_question` starts from `question_display.public_view` (nothing of the answer key is
in it) and only adds rendered text and the learner's own response. `review_question` starts from
`question_display.review_view`, which leaves the key out unless the review policy reveals it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from app.assessment import grading, question_display
from app.assessment.questions import NumericAnswer, Question, ShortAnswer, Texts
from app.content.rendering import plain_text, render_markdown
from app.i18n.languages import text_in
from app.i18n.markers import N_

_SINGLE_PARAGRAPH_RE = re.compile(r"^<p>((?:(?!<p>|</p>).)*)</p>$", re.DOTALL)


# Quiz texts are rendered once per worker, not on every page: the rendering depends on the text
# alone (no media, labels or request), and a published version's texts never change. Bounded:
# a few thousand texts cover every quiz in use.
_RENDERED = 4096


@lru_cache(maxsize=_RENDERED)
def markdown_html(text: str) -> str:
    """Render trainer Markdown to sanitised HTML (the module pipeline)."""
    return render_markdown(text or "")


@lru_cache(maxsize=_RENDERED)
def inline_html(text: str) -> str:
    """Render Markdown for a label: a single paragraph loses its <p> (labels hold no blocks)."""
    html = render_markdown(text or "").strip()
    match = _SINGLE_PARAGRAPH_RE.match(html)
    return match.group(1) if match else html


@lru_cache(maxsize=_RENDERED)
def plain(text: str) -> str:
    """Markdown as plain text (for select options, titles and short listings)."""
    return plain_text(render_markdown(text or "")).strip()


def reveals_answer_key(review: str, *, has_passed: bool, attempts_left: int | None) -> bool:
    """Tell whether the review policy lets the learner see the right answers now.

    The default (`after_pass_or_last_attempt`) waits until the learner passed or has no attempt
    left: showing the key after a failed attempt would let a blank attempt buy the next pass.
    Unknown policies reveal nothing (a stored quiz can never widen what learners see).
    """
    if review == "after_submit":
        return True
    if review == "after_pass":
        return has_passed
    if review == "after_pass_or_last_attempt":
        return has_passed or attempts_left == 0
    return False


def title_in(title: Texts, lang: str) -> str:
    """A quiz title in the learner's language, as plain text."""
    return plain(text_in(title, lang)) or text_in(title, lang)


def learner_question(
    question: Question, lang: str, order: Sequence[str] | None, response: Any
) -> dict[str, Any]:
    """What the attempt page shows of a question: texts and the learner's current answer."""
    view = question_display.public_view(question, lang, order)
    shown: dict[str, Any] = {
        "id": view["id"],
        "type": view["type"],
        "points": view["points"],
        "stem_html": markdown_html(view["stem"]),
        "answered": response is not None,
    }
    if question.type in ("single", "multiple"):
        chosen = set(response if isinstance(response, list) else [response])
        shown["options"] = [
            {
                "id": option["id"],
                "html": inline_html(option["text"]),
                "checked": option["id"] in chosen,
            }
            for option in view["options"]
        ]
    elif question.type == "truefalse":
        shown["value"] = response if isinstance(response, bool) else None
    elif question.type in ("short", "numeric"):
        shown["value"] = "" if response is None else str(response)
    elif question.type == "matching":
        given = response if isinstance(response, Mapping) else {}
        shown["prompts"] = [
            {
                "id": prompt["id"],
                "html": inline_html(prompt["text"]),
                "selected": given.get(prompt["id"], ""),
            }
            for prompt in view["prompts"]
        ]
        shown["choices"] = [
            {"value": choice, "label": plain(choice) or choice} for choice in view["choices"]
        ]
    elif question.type == "ordering":
        positions = {item_id: index for index, item_id in enumerate(response or [], start=1)}
        shown["items"] = [
            {
                "id": item["id"],
                "html": inline_html(item["text"]),
                "position": positions.get(item["id"]),
            }
            for item in view["items"]
        ]
    return shown


def response_from_form(question: Question, form: Mapping[str, Any], prefix: str) -> Any:
    """Read a question's response from posted form fields (`form` is a MultiDict).

    Field names: `<prefix>` for single/truefalse/short/numeric, repeated for multiple,
    `<prefix>-<pair id>` per matching prompt, `<prefix>-<item id>` (a position) per ordering
    item. Raises grading.InvalidResponse when ordering positions do not form 1..n.
    """
    kind = question.type
    if kind == "multiple":
        return list(form.getlist(prefix)) or None
    if kind == "matching":
        answer = {pair.id: form.get(f"{prefix}-{pair.id}", "") for pair in question.pairs}
        answer = {key: value for key, value in answer.items() if value}
        return answer or None
    if kind == "ordering":
        raw = {item.id: form.get(f"{prefix}-{item.id}", "").strip() for item in question.items}
        if not any(raw.values()):
            return None
        try:
            positions = {item_id: int(value) for item_id, value in raw.items()}
        except ValueError as exc:
            raise grading.InvalidResponse(ORDERING_MESSAGE) from exc
        if sorted(positions.values()) != list(range(1, len(positions) + 1)):
            raise grading.InvalidResponse(ORDERING_MESSAGE)
        return sorted(positions, key=positions.__getitem__)
    value = form.get(prefix)
    return value if value not in (None, "") else None


ORDERING_MESSAGE = N_("give each item a different position, from 1 to the number of items")


def _accepted_text(accepted: Any, number_format: Any) -> str:
    if isinstance(accepted, str):
        return accepted
    if "value" in accepted:
        value = number_format(accepted["value"])
        if accepted.get("tolerance"):
            return f"{value} ± {number_format(accepted['tolerance'])}"
        return value
    return f"{number_format(accepted['min'])} – {number_format(accepted['max'])}"


def review_question(
    question: Question, response: Any, lang: str, *, reveal: bool, number_format: Any = str
) -> dict[str, Any]:
    """What the result page shows of a question; the key only when `reveal` is True."""
    view = question_display.review_view(question, response, lang, reveal=reveal)
    shown: dict[str, Any] = {
        "id": view["id"],
        "type": view["type"],
        "points": view["points"],
        "stem_html": markdown_html(view["stem"]),
        "answered": view["answered"],
        "fraction": view["fraction"],
        "is_correct": view["is_correct"],
        "reveal": reveal,
        "feedback_html": [markdown_html(text) for text in view.get("feedback", []) if text],
        "explanation_html": markdown_html(view.get("explanation", "")),
    }
    if question.type in ("single", "multiple"):
        shown["options"] = [
            {
                "html": inline_html(option["text"]),
                "chosen": option["chosen"],
                "is_right": bool(option.get("correct")) or (option.get("weight") or 0) > 0,
                "feedback_html": markdown_html(option.get("feedback", "")),
            }
            for option in view["options"]
        ]
    elif question.type == "truefalse":
        shown["given"] = response if isinstance(response, bool) else None
        shown["answer"] = view.get("answer")
    elif question.type in ("short", "numeric"):
        shown["given"] = "" if response is None else str(response)
        shown["accepted"] = [_accepted_text(a, number_format) for a in view.get("accepted", [])]
    elif question.type == "matching":
        shown["pairs"] = [
            {
                "prompt_html": inline_html(pair["prompt"]),
                "chosen": plain(pair["chosen"]) if pair["chosen"] else "",
                "is_correct": pair["is_correct"],
                "match": plain(pair.get("match", "")) if reveal else "",
            }
            for pair in view["pairs"]
        ]
    elif question.type == "ordering":
        texts = {item.id: text_in(item.text, lang) for item in question.items}
        shown["items"] = [
            {"html": inline_html(item["text"]), "in_place": item["in_place"]}
            for item in view["items"]
        ]
        shown["correct_order"] = [inline_html(texts[i]) for i in view.get("correct_order", [])]
    return shown


def _accepted_of(answer: ShortAnswer | NumericAnswer) -> Any:
    if isinstance(answer, ShortAnswer):
        return answer.text
    if answer.value is not None:
        return {"value": answer.value, "tolerance": answer.tolerance}
    return {"min": answer.min, "max": answer.max}


def answer_key(question: Question, lang: str, number_format: Any = str) -> list[str]:
    """The right answers of a question as short plain lines, for the trainer's preview."""
    kind = question.type
    if kind == "single":
        return [plain(text_in(o.text, lang)) for o in question.options if o.correct]
    if kind == "multiple":
        return [
            f"{plain(text_in(o.text, lang))} ({number_format(o.weight)} %)"
            for o in question.options
            if o.weight
        ]
    if kind == "truefalse":
        return ["true" if question.answer else "false"]
    if kind in ("short", "numeric"):
        lines = []
        for answer in question.answers:
            accepted = _accepted_of(answer)
            lines.append(
                f"{_accepted_text(accepted, number_format)} ({number_format(answer.weight)} %)"
            )
        return lines
    if kind == "matching":
        return [
            f"{plain(text_in(p.prompt, lang))} → {plain(text_in(p.match, lang))}"
            for p in question.pairs
        ]
    if kind == "ordering":
        return [f"{n}. {plain(text_in(i.text, lang))}" for n, i in enumerate(question.items, 1)]
    return []
