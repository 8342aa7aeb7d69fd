"""The quiz file's schema: the keys each part allows and the limits (docs/QUIZ_FORMAT.md).

Pure: no Flask, no database. Shared by the YAML reader, the GIFT reader and the forms.
"""

from __future__ import annotations

import re

QUIZ_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ITEM_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

QUIZ_KEYS = (
    "id",
    "module",
    "title",
    "pass_mark",
    "attempts",
    "cooldown_minutes",
    "time_limit_minutes",
    "score",
    "shuffle_questions",
    "shuffle_options",
    "layout",
    "review",
    "questions",
    "pools",
)
POOL_KEYS = ("id", "draw", "questions")
COMMON_QUESTION_KEYS = ("id", "type", "stem", "points", "explanation", "tags")
TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options",),
    "truefalse": ("answer", "feedback_true", "feedback_false"),
    "short": ("answers", "case_sensitive", "accent_sensitive"),
    "numeric": ("answers",),
    "matching": ("pairs", "distractors"),
    "ordering": ("items",),
}
REQUIRED_TYPE_KEYS: dict[str, tuple[str, ...]] = {
    "single": ("options",),
    "multiple": ("options",),
    "truefalse": ("answer",),
    "short": ("answers",),
    "numeric": ("answers",),
    "matching": ("pairs",),
    "ordering": ("items",),
}
SINGLE_OPTION_KEYS = ("id", "text", "correct", "feedback")
MULTIPLE_OPTION_KEYS = ("id", "text", "weight", "feedback")
SHORT_ANSWER_KEYS = ("text", "weight", "feedback")
NUMERIC_ANSWER_KEYS = ("value", "tolerance", "min", "max", "weight", "feedback")
PAIR_KEYS = ("id", "prompt", "match")
ITEM_KEYS = ("id", "text")

# Limits (docs/QUIZ_FORMAT.md), checked before the expensive work: the size before parsing,
# nesting depth and the number of values while composing, counts and lengths while reading.
MAX_QUIZ_CHARS = 200_000
MAX_YAML_VALUES = 40_000
MAX_QUESTIONS = 300
MAX_POOLS = 50
MAX_CHOICES = 30  # options, accepted answers, pairs, distractors, items of one question
MAX_TEXT_CHARS = 10_000
MAX_TITLE_CHARS = 200
MAX_ID_CHARS = 60
MAX_TAGS = 30
# Weights are percentages; a float sum of 33.33 + 33.33 + 33.34 must still count as 100.
WEIGHT_EPSILON = 0.01
