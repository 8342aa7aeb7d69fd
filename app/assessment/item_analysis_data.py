"""The plain values item analysis takes (questions, attempts, answers) and gives (statistics).

Pure: no Flask, no database (see `app.assessment.item_analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MIN_ANSWERS_FOR_FLAGS = 5


@dataclass(frozen=True)
class OptionKey:
    """An option of a choice question as the trainer sees it, and whether it is right."""

    id: str
    label: str
    is_correct: bool


@dataclass(frozen=True)
class QuestionKey:
    """What the analysis needs to know about a question."""

    id: str
    type: str
    points: float = 1.0
    label: str = ""
    options: tuple[OptionKey, ...] = ()


@dataclass(frozen=True)
class AnswerData:
    """One graded answer of an attempt (`response` None: not answered)."""

    question_id: str
    response: Any
    fraction: float | None
    saved_at: datetime | None = None


@dataclass(frozen=True)
class AttemptData:
    """One submitted attempt with all its answers (one per question asked)."""

    attempt_id: int
    user_id: int
    number: int
    answers: tuple[AnswerData, ...]
    started_at: datetime | None = None


@dataclass(frozen=True)
class OptionStat:
    """How often one option (or open response) was chosen, overall and in the 27 % groups."""

    key: str
    label: str
    is_correct: bool
    count: int
    share: float
    top_share: float | None
    bottom_share: float | None


@dataclass(frozen=True)
class QuestionStat:
    """The statistics of one question."""

    question_id: str
    type: str
    label: str
    asked: int
    answered: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    upper_lower: float | None
    mean_seconds: float | None
    options: tuple[OptionStat, ...]
    flags: tuple[str, ...]
    unanswered: int = 0

    @property
    def has_enough_answers(self) -> bool:
        """Tell whether there were enough answers to flag anything."""
        return self.asked >= MIN_ANSWERS_FOR_FLAGS


@dataclass(frozen=True)
class QuizAnalysis:
    """The statistics of a quiz: the attempts analysed and every question."""

    policy: str
    attempts: int
    learners: int
    mean_percent: float | None
    median_percent: float | None
    sd_percent: float | None
    alpha: float | None
    group_size: int
    questions: tuple[QuestionStat, ...]
    scores: tuple[float, ...] = field(default=(), repr=False)
