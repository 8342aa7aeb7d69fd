"""Convert Moodle-shaped GIFT question dicts (`gift.py`) into the platform's `Question`.

GIFT texts become Markdown: [markdown] is kept, [html] and [moodle] are kept as they are (the
Markdown pipeline's sanitiser cleans the HTML), [plain] has Markdown's special characters
escaped. The platform writes GIFT with the [markdown] format throughout, so
GIFT -> platform -> GIFT -> platform gives the same questions (the way back is `gift_export`).

Ids: a GIFT question's id is its `[id:...]` (idnumber), else its `::name::`, else `q<line>`,
made into a valid id; exported questions carry their id as both name and idnumber.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable
from typing import Any

from app.assessment.gift import php_number
from app.assessment.questions import (
    MAX_NUMBER,
    NumericAnswer,
    Option,
    Pair,
    Question,
    ShortAnswer,
    Texts,
)
from app.i18n.languages import UNDETERMINED
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, make_problem

WEIGHT_EPSILON = 0.01
MAX_ID_LENGTH = 60

_ID_CHAR_RE = re.compile(r"[A-Za-z0-9_.-]")
_MARKDOWN_INLINE_RE = re.compile(r"([\\`*_\[\]<>|~])")
_ENTITY_RE = re.compile(r"&(#?[A-Za-z0-9]+;)")
_LINE_START_RE = re.compile(r"(?m)^([ \t]*)([#+=-])")
_LIST_NUMBER_RE = re.compile(r"(?m)^([ \t]*\d+)([.)])")


def escape_markdown(text: str) -> str:
    """Escape plain text so that Markdown shows it literally."""
    text = _MARKDOWN_INLINE_RE.sub(r"\\\1", text)
    text = _ENTITY_RE.sub(r"&amp;\1", text)
    text = _LINE_START_RE.sub(r"\1\\\2", text)
    return _LIST_NUMBER_RE.sub(r"\1\\\2", text)


def gift_text_to_markdown(text: str, fmt: str) -> str:
    """Turn a GIFT text in a Moodle format into Markdown for the platform."""
    if fmt == "plain":
        return escape_markdown(text)
    # markdown is Markdown; html and Moodle auto-format are HTML that the sanitiser will clean.
    return text


def make_id(text: str) -> str:
    """Make a question id from a name: letters, digits, '-', '_' and '.', at most 60 chars."""
    # Trailing junk is cut by hand: the regex `[^...]+$` is quadratic on a long run of junk
    # that is followed by something else (it retries from every position of the run).
    end = len(text)
    while end and not _ID_CHAR_RE.match(text[end - 1]):
        end -= 1
    text = re.sub(r"[^A-Za-z0-9_.-]+", "-", text[:end])
    text = re.sub(r"^[^A-Za-z0-9]+", "", text)
    return text[:MAX_ID_LENGTH]


def _number(value: float) -> float:
    """Return an int for whole numbers so 50.0 percent is written and compared as 50."""
    if not math.isfinite(value):
        return value
    value = round(value, 7)
    return int(value) if value == int(value) else value


def _option_ids(count: int) -> list[str]:
    letters = string.ascii_lowercase
    return [letters[i] if i < len(letters) else f"o{i + 1}" for i in range(count)]


class _Converter:
    """Converts one GIFT question at a time, collecting problems."""

    def __init__(self, filename: str, lang: str | None) -> None:
        self.filename = filename
        self.key = lang or UNDETERMINED
        self.problems: list[Problem] = []
        self.used_ids: set[str] = set()

    def problem(self, line: int, template: str, severity: str = ERROR, **params: Any) -> None:
        """Record a problem on `line` (an error unless said otherwise)."""
        self.problems.append(make_problem(self.filename, line, template, severity, **params))

    def number(self, value: Any, line: int, key: str) -> float | None:
        """A finite number of sensible size (MAX_NUMBER), or None with an error on the line."""
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            self.problem(
                line,
                N_("'%(key)s' must be a number between -%(max)s and %(max)s"),
                key=key,
                max=php_number(MAX_NUMBER),
            )
            return None
        return _number(number)

    def fractions_ok(self, answers: list[dict[str, Any]], line: int) -> bool:
        """Check every answer weight is a finite number before any arithmetic on it."""
        return all(self.number(a.get("fraction", 0), line, "weight") is not None for a in answers)

    def texts(self, text: str, fmt: str = "markdown") -> Texts:
        """Return a GIFT text as Markdown, stored under the import language."""
        return {self.key: gift_text_to_markdown(text, fmt)} if text != "" else {}

    def plain(self, text: str) -> Texts:
        """Return a plain text stored under the import language."""
        return {self.key: text} if text != "" else {}

    def feedback(self, value: Any, default: str) -> Texts:
        """Return a feedback value ({text, format} or text) as Markdown texts."""
        if isinstance(value, dict):
            return self.texts(value.get("text", ""), value.get("format", default))
        return self.texts(value or "", default)

    def unique_id(self, gift: dict[str, Any], line: int) -> str:
        """Return the question's id, made valid and unique within the import."""
        base = make_id(gift.get("idnumber") or "") or make_id(gift.get("name") or "")
        base = base or f"q{line}"
        candidate, counter = base, 2
        while candidate in self.used_ids:
            candidate = f"{base[: MAX_ID_LENGTH - 4]}-{counter}"
            counter += 1
        self.used_ids.add(candidate)
        return candidate

    def convert(self, gift: dict[str, Any]) -> Question | None:
        """Return the platform question for a GIFT dict, or None after reporting why not."""
        line = int(gift.get("line") or 1)
        qtype = gift.get("qtype")
        if qtype in ("essay", "description"):
            self.problem(
                line,
                N_("%(qtype)s questions are not supported by the platform and are skipped"),
                WARNING,
                qtype=qtype,
            )
            return None
        handler = getattr(self, f"_{qtype}", None)
        if handler is None:
            self.problem(line, N_("unsupported question type '%(qtype)s'"), qtype=qtype)
            return None
        fmt = gift.get("questiontextformat", "moodle")
        stem = self.texts(gift.get("questiontext", ""), fmt)
        if not stem or not any(value.strip() for value in stem.values()):
            self.problem(line, N_("'%(key)s' is empty"), key="stem")
            return None
        if not self.fractions_ok(list(gift.get("answers") or []), line):
            return None
        fields = handler(gift, line, fmt)
        if fields is None:
            return None
        points = self.number(gift.get("defaultmark", 1) or 1, line, "points")
        if points is None:
            return None
        return Question(
            id=self.unique_id(gift, line),
            stem=stem,
            points=points,
            explanation=self.texts(
                gift.get("generalfeedback", ""), gift.get("generalfeedbackformat", fmt)
            ),
            tags=tuple(gift.get("tags") or ()),
            **fields,
        )

    def _multichoice(self, gift: dict[str, Any], line: int, fmt: str) -> dict[str, Any] | None:
        answers = gift.get("answers", [])
        ids = _option_ids(len(answers))
        if gift.get("single", True):
            correct = [a for a in answers if math.isclose(float(a.get("fraction", 0)), 1)]
            if len(correct) != 1:
                self.problem(
                    line,
                    N_("a single-choice question needs exactly one correct option, found %(n)s"),
                    n=len(correct),
                )
                return None
            if any(0 != float(a.get("fraction", 0)) != 1 for a in answers):
                self.problem(
                    line,
                    N_("partial credit for wrong options is not supported and counts as 0"),
                    WARNING,
                )
            options = tuple(
                Option(
                    id=option_id,
                    text=self.texts(a.get("text", ""), a.get("format", fmt)),
                    correct=a in correct,
                    feedback=self.feedback(a.get("feedback"), fmt),
                )
                for option_id, a in zip(ids, answers, strict=True)
            )
            return {"type": "single", "options": options}
        options = tuple(
            Option(
                id=option_id,
                text=self.texts(a.get("text", ""), a.get("format", fmt)),
                weight=_number(float(a.get("fraction", 0)) * 100),
                feedback=self.feedback(a.get("feedback"), fmt),
            )
            for option_id, a in zip(ids, answers, strict=True)
        )
        total = sum(option.weight for option in options if option.weight > 0)
        if abs(total - 100) > WEIGHT_EPSILON:
            self.problem(
                line,
                N_("the positive weights must add up to 100, they add up to %(total)s"),
                total=php_number(total),
            )
            return None
        return {"type": "multiple", "options": options}

    def _truefalse(self, gift: dict[str, Any], line: int, fmt: str) -> dict[str, Any]:
        return {
            "type": "truefalse",
            "answer": bool(gift.get("correctanswer")),
            "feedback_true": self.feedback(gift.get("feedbacktrue"), fmt),
            "feedback_false": self.feedback(gift.get("feedbackfalse"), fmt),
        }

    def _weight(self, answer: dict[str, Any], line: int) -> float | None:
        weight = _number(float(answer.get("fraction", 0)) * 100)
        if not 0 <= weight <= 100:
            self.problem(line, N_("'weight' must be between 0 and 100"))
            return None
        return weight

    def _shortanswer(self, gift: dict[str, Any], line: int, fmt: str) -> dict[str, Any] | None:
        answers = []
        for answer in gift.get("answers", []):
            weight = self._weight(answer, line)
            if weight is None:
                return None
            if answer.get("text", "") == "":
                self.problem(line, N_("an empty accepted answer is skipped"), WARNING)
                continue
            answers.append(
                ShortAnswer(
                    text=answer["text"],
                    weight=weight,
                    feedback=self.feedback(answer.get("feedback"), fmt),
                )
            )
        if not answers:
            self.problem(line, N_("a question needs at least one answer"))
            return None
        return {
            "type": "short",
            "answers": tuple(answers),
            "case_sensitive": bool(gift.get("usecase")),
        }

    def _numerical(self, gift: dict[str, Any], line: int, fmt: str) -> dict[str, Any] | None:
        answers = []
        for answer in gift.get("answers", []):
            if str(answer.get("answer", "")) in ("", "*"):
                if (answer.get("feedback") or {}).get("text"):
                    self.problem(
                        line,
                        N_("feedback for any other number is not supported and is left out"),
                        WARNING,
                    )
                continue
            weight = self._weight(answer, line)
            if weight is None:
                return None
            value = self.number(answer["answer"], line, "value")
            tolerance = self.number(answer.get("tolerance") or 0, line, "tolerance")
            if value is None or tolerance is None:
                return None
            answers.append(
                NumericAnswer(
                    value=value,
                    tolerance=abs(tolerance),
                    weight=weight,
                    feedback=self.feedback(answer.get("feedback"), fmt),
                )
            )
        if not answers:
            self.problem(line, N_("a question needs at least one answer"))
            return None
        return {"type": "numeric", "answers": tuple(answers)}

    def _match(self, gift: dict[str, Any], line: int, fmt: str) -> dict[str, Any] | None:
        pairs = []
        distractors = []
        for sub in gift.get("subquestions", []):
            if sub.get("text", "") == "":
                # Moodle shows a subquestion without text as an extra, wrong answer.
                distractors.append(self.plain(sub.get("answer", "")))
                continue
            pairs.append(
                Pair(
                    id=f"p{len(pairs) + 1}",
                    prompt=self.texts(sub["text"], sub.get("format", fmt)),
                    match=self.plain(sub.get("answer", "")),
                )
            )
        if len(pairs) < 2:
            self.problem(line, N_("a matching question needs at least 2 pairs"))
            return None
        return {"type": "matching", "pairs": tuple(pairs), "distractors": tuple(distractors)}


def gift_to_questions(
    gift_dicts: Iterable[dict[str, Any]], filename: str = "<gift>", lang: str | None = None
) -> tuple[list[Question], list[Problem]]:
    """Map Moodle-shaped GIFT questions to platform questions; essays and descriptions are skipped.

    Texts are stored under `lang`, or as language-neutral ("und") text when it is None.
    """
    converter = _Converter(filename, lang)
    questions = []
    for gift in gift_dicts:
        question = converter.convert(gift)
        if question is not None:
            questions.append(question)
    return questions, converter.problems
