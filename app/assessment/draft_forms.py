"""The quiz editor's forms: posted fields to a question or settings, and a question to fields.

Pure (no Flask): the views pass `request.form`. Nothing here judges the content: a number that
cannot be read is passed on as the text typed, so the quiz file rules (`draft_check`) reject it
with their own message. Field names: `stem-<lang>`, `<list>-<row>-<part>[-<lang>]` for the rows
of `options`, `answers`, `pairs`, `items` and `distractors` (1-based), `<list>-rows` for the
number of rows shown. Blank rows are left out; `row_map` says which form row each kept row was.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any

from app.assessment.questions import (
    Item,
    NumericAnswer,
    Option,
    Pair,
    Question,
    ShortAnswer,
    Texts,
)
from app.assessment.questions import Quiz as QuizDefinition
from app.i18n.languages import LANGUAGES, UNDETERMINED
from app.i18n.markers import N_

TEXT_LANGUAGES: tuple[str, ...] = (UNDETERMINED, *LANGUAGES)
LANGUAGE_LABELS: dict[str, str] = {
    UNDETERMINED: N_("All languages"),
    "de": "Deutsch",
    "fr": "Français",
    "it": "Italiano",
    "en": "English",
}
# The list field of each type, and how many rows a new question offers.
LIST_FIELDS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options",),
    "truefalse": (),
    "short": ("answers",),
    "numeric": ("answers",),
    "matching": ("pairs", "distractors"),
    "ordering": ("items",),
}
MIN_ROWS = {"options": 3, "answers": 2, "pairs": 3, "distractors": 1, "items": 3}
EXTRA_ROWS = 2
MAX_ROWS = 30  # the quiz format's limit of choices of one question

RowMap = dict[str, list[int]]


def new_id(prefix: str) -> str:
    """A fresh id for a question or a row; random, so ordering ids never give the order away."""
    return f"{prefix}-{secrets.token_hex(3)}"


def _texts_of(question: Question) -> list[Texts]:
    texts = [question.stem, question.explanation, question.feedback_true, question.feedback_false]
    texts += [t for o in question.options for t in (o.text, o.feedback)]
    texts += [a.feedback for a in question.answers]
    texts += [t for p in question.pairs for t in (p.prompt, p.match)]
    texts += [i.text for i in question.items] + list(question.distractors)
    return texts


def languages_of(definition: QuizDefinition | None, *questions: Question | None) -> list[str]:
    """The languages to offer for texts: the quiz title's and any the questions already use."""
    used: set[str] = set(definition.title) if definition is not None else set()
    for question in questions:
        if question is not None:
            used.update(lang for texts in _texts_of(question) for lang in texts)
    found = [lang for lang in TEXT_LANGUAGES if lang in used]
    return found or [UNDETERMINED]


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _put_texts(values: dict[str, str], name: str, texts: Texts) -> None:
    for lang, text in texts.items():
        values[f"{name}-{lang}"] = text


def question_values(question: Question) -> dict[str, str]:
    """The form fields of a question, as the browser would post them back unchanged."""
    values: dict[str, str] = {
        "id": question.id,
        "points": _plain(question.points),
        "tags": ", ".join(question.tags),
    }
    _put_texts(values, "stem", question.stem)
    _put_texts(values, "explanation", question.explanation)
    for number, option in enumerate(question.options, start=1):
        values[f"options-{number}-id"] = option.id
        values[f"options-{number}-weight"] = _plain(option.weight) if option.weight else ""
        _put_texts(values, f"options-{number}-text", option.text)
        _put_texts(values, f"options-{number}-feedback", option.feedback)
        if option.correct:
            values["correct"] = str(number)
    for number, answer in enumerate(question.answers, start=1):
        prefix = f"answers-{number}"
        values[f"{prefix}-weight"] = _plain(answer.weight)
        _put_texts(values, f"{prefix}-feedback", answer.feedback)
        if isinstance(answer, ShortAnswer):
            values[f"{prefix}-text"] = answer.text
        else:
            values[f"{prefix}-kind"] = "value" if answer.value is not None else "range"
            for part in ("value", "min", "max"):
                values[f"{prefix}-{part}"] = _plain(getattr(answer, part))
            values[f"{prefix}-tolerance"] = _plain(answer.tolerance) if answer.tolerance else ""
    for number, pair in enumerate(question.pairs, start=1):
        values[f"pairs-{number}-id"] = pair.id
        _put_texts(values, f"pairs-{number}-prompt", pair.prompt)
        _put_texts(values, f"pairs-{number}-match", pair.match)
    for number, texts in enumerate(question.distractors, start=1):
        _put_texts(values, f"distractors-{number}", texts)
    for number, item in enumerate(question.items, start=1):
        values[f"items-{number}-id"] = item.id
        _put_texts(values, f"items-{number}-text", item.text)
    if question.answer is not None:
        values["answer"] = "true" if question.answer else "false"
    _put_texts(values, "feedback_true", question.feedback_true)
    _put_texts(values, "feedback_false", question.feedback_false)
    for flag in ("case_sensitive", "accent_sensitive"):
        if getattr(question, flag):
            values[flag] = "y"
    counts = {
        "options": len(question.options),
        "answers": len(question.answers),
        "pairs": len(question.pairs),
        "distractors": len(question.distractors),
        "items": len(question.items),
    }
    for field in LIST_FIELDS.get(question.type, ()):
        values[f"{field}-rows"] = str(row_count(field, counts[field]))
    return values


def row_count(field: str, filled: int) -> int:
    """How many rows to show for a list field with `filled` rows: room for a few more."""
    return min(MAX_ROWS, max(MIN_ROWS[field], filled + EXTRA_ROWS))


def rows_of(form: Mapping[str, Any], field: str) -> int:
    """The number of rows the posted form showed for a list field (bounded)."""
    try:
        return max(0, min(MAX_ROWS, int(form.get(f"{field}-rows", "0"))))
    except ValueError:
        return 0


# -- reading posted forms -------------------------------------------------------------------------


# Control characters are refused in quiz files (app/content/safe_yaml.py); a form drops them,
# since a YAML dump would escape them and let them through.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value: Any) -> str:
    return _CONTROL_RE.sub("", str(value or "")).replace("\r\n", "\n").strip()


def _text(form: Mapping[str, Any], name: str) -> str:
    return _clean(form.get(name, ""))


def read_texts(form: Mapping[str, Any], name: str) -> Texts:
    """A multilingual text: the non-empty `<name>-<lang>` fields."""
    texts = {}
    for lang in TEXT_LANGUAGES:
        value = _clean(form.get(f"{name}-{lang}", ""))
        if value:
            texts[lang] = value
    return texts


def number(raw: str, default: Any) -> Any:
    """A typed number ("0,5" too); the text itself when it is not one, for the rules to refuse."""
    raw = raw.strip().replace("\u2019", "").replace("'", "")
    if not raw:
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        return raw
    if value.is_integer() and abs(value) < 1e15:
        return int(value)
    return value


def _rows(form: Mapping[str, Any], field: str) -> range:
    return range(1, rows_of(form, field) + 1)


def read_question(form: Mapping[str, Any], qtype: str) -> tuple[Question, RowMap]:
    """Build a question of `qtype` from the posted fields, and the form row of each kept row."""
    row_map: RowMap = {field: [] for field in LIST_FIELDS[qtype]}
    tags = tuple(tag.strip() for tag in _text(form, "tags").split(",") if tag.strip())
    fields: dict[str, Any] = {
        "id": _text(form, "id") or new_id("q"),
        "type": qtype,
        "stem": read_texts(form, "stem"),
        "points": number(_text(form, "points"), 1),
        "explanation": read_texts(form, "explanation"),
        "tags": tags,
    }
    if qtype in ("single", "multiple"):
        fields["options"] = tuple(_options(form, qtype, row_map))
    elif qtype == "truefalse":
        fields["answer"] = {"true": True, "false": False}.get(_text(form, "answer"))
        fields["feedback_true"] = read_texts(form, "feedback_true")
        fields["feedback_false"] = read_texts(form, "feedback_false")
    elif qtype == "short":
        fields["answers"] = tuple(_short_answers(form, row_map))
        fields["case_sensitive"] = bool(form.get("case_sensitive"))
        fields["accent_sensitive"] = bool(form.get("accent_sensitive"))
    elif qtype == "numeric":
        fields["answers"] = tuple(_numeric_answers(form, row_map))
    elif qtype == "matching":
        fields["pairs"] = tuple(_pairs(form, row_map))
        fields["distractors"] = tuple(_distractors(form, row_map))
    elif qtype == "ordering":
        fields["items"] = tuple(_items(form, row_map))
    return Question(**fields), row_map


def _options(form: Mapping[str, Any], qtype: str, row_map: RowMap) -> list[Option]:
    """The options of a single or multiple choice question; empty rows are left out."""
    options = []
    for n in _rows(form, "options"):
        text, feedback = (
            read_texts(form, f"options-{n}-text"),
            read_texts(form, f"options-{n}-feedback"),
        )
        weight = _text(form, f"options-{n}-weight")
        if not text and not feedback and not weight:
            continue
        row_map["options"].append(n)
        options.append(
            Option(
                id=_text(form, f"options-{n}-id") or new_id("o"),
                text=text,
                correct=qtype == "single" and _text(form, "correct") == str(n),
                weight=number(weight, 0) if qtype == "multiple" else 0,
                feedback=feedback,
            )
        )
    return options


def _pairs(form: Mapping[str, Any], row_map: RowMap) -> list[Pair]:
    """The pairs of a matching question; rows without prompt and match are left out."""
    pairs = []
    for n in _rows(form, "pairs"):
        prompt, match = (
            read_texts(form, f"pairs-{n}-prompt"),
            read_texts(form, f"pairs-{n}-match"),
        )
        if prompt or match:
            row_map["pairs"].append(n)
            pair_id = _text(form, f"pairs-{n}-id") or new_id("p")
            pairs.append(Pair(id=pair_id, prompt=prompt, match=match))
    return pairs


def _distractors(form: Mapping[str, Any], row_map: RowMap) -> list[Texts]:
    """The distractors of a matching question; empty rows are left out."""
    distractors = []
    for n in _rows(form, "distractors"):
        texts = read_texts(form, f"distractors-{n}")
        if texts:
            row_map["distractors"].append(n)
            distractors.append(texts)
    return distractors


def _items(form: Mapping[str, Any], row_map: RowMap) -> list[Item]:
    """The items of an ordering question, in the correct order; empty rows are left out."""
    items = []
    for n in _rows(form, "items"):
        text = read_texts(form, f"items-{n}-text")
        if text:
            row_map["items"].append(n)
            items.append(Item(id=_text(form, f"items-{n}-id") or new_id("i"), text=text))
    return items


def _short_answers(form: Mapping[str, Any], row_map: RowMap) -> list[ShortAnswer]:
    answers = []
    for n in _rows(form, "answers"):
        text, feedback = _text(form, f"answers-{n}-text"), read_texts(form, f"answers-{n}-feedback")
        if not text and not feedback:
            continue
        row_map["answers"].append(n)
        weight = number(_text(form, f"answers-{n}-weight"), 100)
        answers.append(ShortAnswer(text=text, weight=weight, feedback=feedback))
    return answers


def _numeric_answers(form: Mapping[str, Any], row_map: RowMap) -> list[NumericAnswer]:
    answers = []
    for n in _rows(form, "answers"):
        parts = {part: _text(form, f"answers-{n}-{part}") for part in ("value", "min", "max")}
        tolerance = _text(form, f"answers-{n}-tolerance")
        feedback = read_texts(form, f"answers-{n}-feedback")
        if not any(parts.values()) and not tolerance and not feedback:
            continue
        row_map["answers"].append(n)
        weight = number(_text(form, f"answers-{n}-weight"), 100)
        # The kind chosen decides which fields count; an empty required number stays "" so
        # that the quiz rules name it ("'value' must be a number").
        if _text(form, f"answers-{n}-kind") == "range":
            bounds = {"min": number(parts["min"], ""), "max": number(parts["max"], "")}
        else:
            bounds = {"value": number(parts["value"], ""), "tolerance": number(tolerance, 0)}
        answers.append(NumericAnswer(**bounds, weight=weight, feedback=feedback))
    return answers


# -- settings --------------------------------------------------------------------------------


def settings_values(definition: QuizDefinition) -> dict[str, str]:
    """The settings form's fields for a quiz."""
    values = {
        "pass_mark": _plain(definition.pass_mark),
        "attempts": _plain(definition.attempts),
        "cooldown_minutes": _plain(definition.cooldown_minutes),
        "time_limit_minutes": _plain(definition.time_limit_minutes),
        "score": definition.score_policy,
        "layout": definition.layout,
        "review": definition.review,
    }
    _put_texts(values, "title", definition.title)
    for flag in ("shuffle_questions", "shuffle_options"):
        if getattr(definition, flag):
            values[flag] = "y"
    for number_, pool in enumerate(definition.pools, start=1):
        values[f"pools-{number_}-draw"] = _plain(pool.draw)
    return values


def read_settings(form: Mapping[str, Any], pools: int) -> tuple[dict[str, Any], dict[int, Any]]:
    """The quiz settings (fields of `questions.Quiz`) and each pool's draw (by 0-based pool)."""
    time_limit = _text(form, "time_limit_minutes")
    settings = {
        "title": read_texts(form, "title"),
        "pass_mark": number(_text(form, "pass_mark"), ""),
        "attempts": number(_text(form, "attempts"), 0),
        "cooldown_minutes": number(_text(form, "cooldown_minutes"), 0),
        "time_limit_minutes": number(time_limit, None) if time_limit else None,
        "score_policy": _text(form, "score"),
        "layout": _text(form, "layout"),
        "review": _text(form, "review"),
        "shuffle_questions": bool(form.get("shuffle_questions")),
        "shuffle_options": bool(form.get("shuffle_options")),
    }
    draws = {index: number(_text(form, f"pools-{index + 1}-draw"), "") for index in range(pools)}
    return settings, draws
