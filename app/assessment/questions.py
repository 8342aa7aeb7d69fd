"""In-memory quiz model: frozen dataclasses with an exact JSON round trip (`to_dict`/`from_dict`).

Multilingual text is a `dict[str, str]` mapping a language code to Markdown. A plain string in a
quiz file means "the same text in every language" and is stored under the key `"und"`
(ISO 639 "undetermined"); `app.i18n.languages.text_in` picks the text to show, by the one
fallback order. Treat the dicts as read-only: the dataclasses are frozen, their dicts are not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Texts = dict[str, str]

QUESTION_TYPES: tuple[str, ...] = (
    "single",
    "multiple",
    "truefalse",
    "short",
    "numeric",
    "matching",
    "ordering",
)
SCORE_POLICIES: tuple[str, ...] = ("highest", "last")
LAYOUTS: tuple[str, ...] = ("all_at_once", "one_per_page")
# The first is the default: the key waits until the learner passed or has no attempt left.
REVIEW_POLICIES: tuple[str, ...] = (
    "after_pass_or_last_attempt",
    "after_submit",
    "after_pass",
    "never",
)
DEFAULT_REVIEW = REVIEW_POLICIES[0]

# The largest values a trainer may set (docs/QUIZ_FORMAT.md). The file format refuses more;
# `from_dict` clamps rows saved before these limits existed, so no stored quiz can push a
# learner's deadline or cool-down past what a datetime holds.
MAX_ATTEMPTS = 100
MAX_COOLDOWN_MINUTES = 43_200  # 30 days
MAX_TIME_LIMIT_MINUTES = 600  # 10 hours
MAX_POINTS = 100
MAX_NUMBER = 1e12  # numeric answers: value, tolerance, min and max


def clamp_minutes(value: Any, maximum: int) -> int:
    """A stored number of minutes as a whole number within 0..maximum (bad rows included)."""
    try:
        minutes = int(value or 0)
    except (TypeError, ValueError, OverflowError):
        return 0
    return max(0, min(minutes, maximum))


def is_blank(texts: Texts) -> bool:
    """Tell whether a multilingual text has no visible content in any language."""
    return not any(value.strip() for value in texts.values())


@dataclass(frozen=True, kw_only=True)
class Option:
    """A choice of a `single` (uses `correct`) or `multiple` (uses `weight`, percent) question."""

    id: str
    text: Texts
    correct: bool = False
    weight: float = 0
    feedback: Texts = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "id": self.id,
            "text": dict(self.text),
            "correct": self.correct,
            "weight": self.weight,
            "feedback": dict(self.feedback),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Option:
        """Rebuild an option from `to_dict` output."""
        return cls(
            id=data["id"],
            text=dict(data["text"]),
            correct=data.get("correct", False),
            weight=data.get("weight", 0),
            feedback=dict(data.get("feedback", {})),
        )


@dataclass(frozen=True, kw_only=True)
class ShortAnswer:
    """An accepted answer of a `short` question; `*` in `text` stands for any characters."""

    text: str
    weight: float = 100
    feedback: Texts = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {"text": self.text, "weight": self.weight, "feedback": dict(self.feedback)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ShortAnswer:
        """Rebuild an answer from `to_dict` output."""
        return cls(
            text=data["text"],
            weight=data.get("weight", 100),
            feedback=dict(data.get("feedback", {})),
        )


@dataclass(frozen=True, kw_only=True)
class NumericAnswer:
    """An accepted answer of a `numeric` question: `value` ± `tolerance`, or `min`..`max`."""

    value: float | None = None
    tolerance: float = 0
    min: float | None = None
    max: float | None = None
    weight: float = 100
    feedback: Texts = field(default_factory=dict)

    @property
    def bounds(self) -> tuple[float, float]:
        """Return the inclusive interval of accepted numbers."""
        if self.value is not None:
            return (self.value - self.tolerance, self.value + self.tolerance)
        if self.min is None or self.max is None:
            raise ValueError("numeric answer needs value or min and max")
        return (self.min, self.max)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "value": self.value,
            "tolerance": self.tolerance,
            "min": self.min,
            "max": self.max,
            "weight": self.weight,
            "feedback": dict(self.feedback),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumericAnswer:
        """Rebuild an answer from `to_dict` output."""
        return cls(
            value=data.get("value"),
            tolerance=data.get("tolerance", 0),
            min=data.get("min"),
            max=data.get("max"),
            weight=data.get("weight", 100),
            feedback=dict(data.get("feedback", {})),
        )


@dataclass(frozen=True, kw_only=True)
class Pair:
    """A prompt of a `matching` question and the text that matches it (plain text, a choice)."""

    id: str
    prompt: Texts
    match: Texts

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {"id": self.id, "prompt": dict(self.prompt), "match": dict(self.match)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pair:
        """Rebuild a pair from `to_dict` output."""
        return cls(id=data["id"], prompt=dict(data["prompt"]), match=dict(data["match"]))


@dataclass(frozen=True, kw_only=True)
class Item:
    """An item of an `ordering` question; the question lists items in the correct order."""

    id: str
    text: Texts

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {"id": self.id, "text": dict(self.text)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Item:
        """Rebuild an item from `to_dict` output."""
        return cls(id=data["id"], text=dict(data["text"]))


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question; only the fields of its `type` are meaningful (see docs/QUIZ_FORMAT.md)."""

    id: str
    type: str
    stem: Texts
    points: float = 1
    explanation: Texts = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    answers: tuple[ShortAnswer, ...] | tuple[NumericAnswer, ...] = ()
    pairs: tuple[Pair, ...] = ()
    items: tuple[Item, ...] = ()
    answer: bool | None = None
    feedback_true: Texts = field(default_factory=dict)
    feedback_false: Texts = field(default_factory=dict)
    case_sensitive: bool = False
    accent_sensitive: bool = False
    distractors: tuple[Texts, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict; `from_dict` gives back an equal question."""
        data: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "stem": dict(self.stem),
            "points": self.points,
            "explanation": dict(self.explanation),
            "tags": list(self.tags),
        }
        # Keep every non-default field whatever the type, so nothing is ever lost in storage.
        if self.options:
            data["options"] = [option.to_dict() for option in self.options]
        if self.answers:
            data["answers"] = [answer.to_dict() for answer in self.answers]
        if self.pairs:
            data["pairs"] = [pair.to_dict() for pair in self.pairs]
        if self.items:
            data["items"] = [item.to_dict() for item in self.items]
        if self.answer is not None:
            data["answer"] = self.answer
        if self.feedback_true:
            data["feedback_true"] = dict(self.feedback_true)
        if self.feedback_false:
            data["feedback_false"] = dict(self.feedback_false)
        if self.case_sensitive:
            data["case_sensitive"] = True
        if self.accent_sensitive:
            data["accent_sensitive"] = True
        if self.distractors:
            data["distractors"] = [dict(text) for text in self.distractors]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        """Rebuild a question from `to_dict` output."""
        answer_cls = NumericAnswer if data["type"] == "numeric" else ShortAnswer
        return cls(
            id=data["id"],
            type=data["type"],
            stem=dict(data["stem"]),
            points=data.get("points", 1),
            explanation=dict(data.get("explanation", {})),
            tags=tuple(data.get("tags", ())),
            options=tuple(Option.from_dict(o) for o in data.get("options", ())),
            answers=tuple(answer_cls.from_dict(a) for a in data.get("answers", ())),
            pairs=tuple(Pair.from_dict(p) for p in data.get("pairs", ())),
            items=tuple(Item.from_dict(i) for i in data.get("items", ())),
            answer=data.get("answer"),
            feedback_true=dict(data.get("feedback_true", {})),
            feedback_false=dict(data.get("feedback_false", {})),
            case_sensitive=data.get("case_sensitive", False),
            accent_sensitive=data.get("accent_sensitive", False),
            distractors=tuple(dict(t) for t in data.get("distractors", ())),
        )


@dataclass(frozen=True, kw_only=True)
class Pool:
    """A group of questions from which an attempt draws `draw` at random."""

    id: str
    draw: int
    questions: tuple[Question, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict."""
        return {
            "id": self.id,
            "draw": self.draw,
            "questions": [question.to_dict() for question in self.questions],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Pool:
        """Rebuild a pool from `to_dict` output."""
        return cls(
            id=data["id"],
            draw=data["draw"],
            questions=tuple(Question.from_dict(q) for q in data["questions"]),
        )


@dataclass(frozen=True, kw_only=True)
class Quiz:
    """A quiz: settings, the questions always asked, and pools to draw from."""

    id: str
    title: Texts
    pass_mark: float
    module_id: str | None = None
    attempts: int = 0
    cooldown_minutes: int = 0
    time_limit_minutes: int | None = None
    score_policy: str = "highest"
    shuffle_questions: bool = False
    shuffle_options: bool = False
    layout: str = "all_at_once"
    review: str = DEFAULT_REVIEW
    questions: tuple[Question, ...] = ()
    pools: tuple[Pool, ...] = ()

    def all_questions(self) -> tuple[Question, ...]:
        """Return the fixed questions followed by every pool question."""
        return self.questions + tuple(q for pool in self.pools for q in pool.questions)

    def question(self, question_id: str) -> Question:
        """Return the question with this id, fixed or in a pool; KeyError if there is none."""
        for question in self.all_questions():
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict; `from_dict` gives back an equal quiz."""
        return {
            "id": self.id,
            "module_id": self.module_id,
            "title": dict(self.title),
            "pass_mark": self.pass_mark,
            "attempts": self.attempts,
            "cooldown_minutes": self.cooldown_minutes,
            "time_limit_minutes": self.time_limit_minutes,
            "score_policy": self.score_policy,
            "shuffle_questions": self.shuffle_questions,
            "shuffle_options": self.shuffle_options,
            "layout": self.layout,
            "review": self.review,
            "questions": [question.to_dict() for question in self.questions],
            "pools": [pool.to_dict() for pool in self.pools],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quiz:
        """Rebuild a quiz from `to_dict` output."""
        return cls(
            id=data["id"],
            module_id=data.get("module_id"),
            title=dict(data["title"]),
            pass_mark=data["pass_mark"],
            attempts=data.get("attempts", 0),
            cooldown_minutes=clamp_minutes(data.get("cooldown_minutes"), MAX_COOLDOWN_MINUTES),
            time_limit_minutes=(
                clamp_minutes(data["time_limit_minutes"], MAX_TIME_LIMIT_MINUTES) or None
                if data.get("time_limit_minutes")
                else None
            ),
            score_policy=data.get("score_policy", "highest"),
            shuffle_questions=data.get("shuffle_questions", False),
            shuffle_options=data.get("shuffle_options", False),
            layout=data.get("layout", "all_at_once"),
            review=data.get("review", DEFAULT_REVIEW),
            questions=tuple(Question.from_dict(q) for q in data.get("questions", ())),
            pools=tuple(Pool.from_dict(p) for p in data.get("pools", ())),
        )
