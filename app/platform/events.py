"""Cross-feature events: plain, typed facts one feature announces and others react to.

Each event carries what its receivers need, so a receiver never reads the announcing
feature's tables. Events are frozen dataclasses of plain values (no ORM objects), passed with
the open session to the receivers of the matching hook in `app.platform.hooks`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PageRead:
    """A learner opened a page of a module version (announced by the content reader)."""

    user_id: int
    module_id: int
    version_id: int
    page_id: int
    language: str
    at: datetime


@dataclass(frozen=True)
class AnsweredQuestion:
    """One question of a graded attempt that the learner answered, as its statement tells it."""

    question_id: str
    question_type: str
    stem: dict[str, str]
    points: float
    max_points: float
    fraction: float
    saved_at: datetime | None


@dataclass(frozen=True)
class QuizGraded:
    """A quiz attempt was submitted and graded (announced by assessment, recorded by tracking).

    `answers` are the questions that got a response, in the order they were asked; `at` is when
    the attempt was graded (a late submission ends earlier, at its deadline: `submitted_at`).
    """

    attempt_id: int
    attempt_number: int
    user_id: int
    quiz_id: int
    quiz_slug: str
    quiz_version_number: int
    quiz_titles: dict[str, str]
    module_id: int | None
    started_at: datetime
    submitted_at: datetime
    score_percent: float
    is_passed: bool
    at: datetime
    answers: tuple[AnsweredQuestion, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CompletionReached:
    """A learner's completion of a module version starts to count (announced by tracking)."""

    user_id: int
    module_id: int
    version_id: int
    number: int
    completed_at: datetime
    expires_at: datetime | None
    score_percent: float | None
