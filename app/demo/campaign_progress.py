"""The demo campaign's learning: who reads and passes what, when, replayed through the features.

`plan_progress` decides, with a fixed seed, which learners of each branch complete both
modules, which are half-way and which have not started; `LearningReplay` replays each moment
through the content reader's and the assessment's own operations, with their listeners (so
tracking records the statements and completions as it would for a real learner).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.assessment.attempts import save_answer, start_attempt, submit_attempt
from app.assessment.models import Quiz
from app.assessment.operations import definition_of
from app.assessment.queries import quiz_for_module
from app.assessment.questions import Question
from app.content.models import Module, ModulePage, ModuleVersion
from app.content.reading import record_page_view
from app.i18n.languages import pick_language
from app.people.models import User
from app.platform.hooks import PAGE_READ, QUIZ_GRADED
from app.timekeeping.days import local_date

PROGRESS_DAYS = 20  # completions spread over the last 20 days
IN_PROGRESS_SHARE = 0.20
# Share of each branch's learners who complete both modules (mean 0.575, about 55 % of
# all learners with this seed), dealt out to the branches at random (fixed seed): some
# branches end up ready, others at risk.
BRANCH_RATES = (
    0.975,
    0.925,
    0.875,
    0.825,
    0.775,
    0.725,
    0.675,
    0.625,
    0.575,
    0.525,
    0.475,
    0.425,
    0.375,
    0.325,
    0.275,
    0.225,
    0.175,
)


@dataclass(order=True)
class ProgressEvent:
    """One learning moment to replay: read some pages, or pass a quiz."""

    at: datetime
    order: int
    user_id: int
    module_slug: str
    kind: str  # "pages" or "quiz"
    pages: int = 0  # how many pages to read ("pages" only; 0 = all)


def correct_response(question: Question) -> Any:
    """A fully correct response to a question, in the shape the grader expects."""
    kind = question.type
    if kind == "single":
        return next(o.id for o in question.options if o.correct)
    if kind == "multiple":
        return [o.id for o in question.options if o.weight > 0]
    if kind == "truefalse":
        return bool(question.answer)
    if kind == "short":
        best = max(question.answers, key=lambda a: a.weight)
        return best.text.replace("*", "") or best.text
    if kind == "numeric":
        best = max(question.answers, key=lambda a: a.weight)
        return str(best.bounds[0] if best.value is None else best.value)
    if kind == "matching":
        return {pair.id: next(iter(pair.match.values())) for pair in question.pairs}
    if kind == "ordering":
        return [item.id for item in question.items]
    raise ValueError(f"no correct response for question type {kind!r}")


class LearningReplay:
    """Replays a learner's reading and quizzes through the content and assessment operations."""

    def __init__(self, session: Any, modules: dict[str, Module]) -> None:
        self.session = session
        self.modules = modules
        self.page_listeners = PAGE_READ.receivers()
        self.attempt_listeners = QUIZ_GRADED.receivers()
        self.pages: dict[tuple[str, str], list[ModulePage]] = {}
        self.quizzes: dict[str, Quiz | None] = {}
        self.users: dict[int, User] = {}

    def _user(self, user_id: int) -> User:
        if user_id not in self.users:
            self.users[user_id] = self.session.get(User, user_id)
        return self.users[user_id]

    def _pages(self, slug: str, language: str) -> list[ModulePage]:
        key = (slug, language)
        if key not in self.pages:
            module = self.modules[slug]
            version = self.session.get(ModuleVersion, module.current_version_id)
            variants = {v.language: v for v in version.variants}
            variant = variants[pick_language(variants, language, module.source_language)]
            self.pages[key] = sorted(variant.pages, key=lambda p: p.position)
        return self.pages[key]

    def page_count(self, slug: str, language: str) -> int:
        """The number of pages the learner reads of a module (in their language)."""
        return len(self._pages(slug, language))

    def read(self, event: ProgressEvent) -> None:
        """Read the event's pages through the content reader's operation."""
        user = self._user(event.user_id)
        module = self.modules[event.module_slug]
        pages = self._pages(event.module_slug, user.preferred_language)
        wanted = pages[: event.pages] if event.pages else pages
        for index, page in enumerate(wanted):
            record_page_view(
                self.session,
                user,
                module,
                page,
                version_id=module.current_version_id,
                language=page.variant.language,
                resume_at=min(index + 1, len(pages) - 1),
                now=event.at + timedelta(minutes=2 * index),
                listeners=self.page_listeners,
            )

    def pass_quiz(self, event: ProgressEvent) -> None:
        """Take the module's quiz with every answer right, through the attempt operations."""
        slug = event.module_slug
        if slug not in self.quizzes:
            found = quiz_for_module(self.session, self.modules[slug].id)
            self.quizzes[slug] = self.session.get(Quiz, found.quiz_id) if found else None
        quiz = self.quizzes[slug]
        if quiz is None:
            return
        attempt, _ = start_attempt(
            self.session, event.user_id, quiz, now=event.at, listeners=self.attempt_listeners
        )
        definition = definition_of(attempt.version)
        for number, question_id in enumerate(attempt.question_ids, start=1):
            save_answer(
                self.session,
                attempt,
                question_id,
                correct_response(definition.question(question_id)),
                now=event.at + timedelta(seconds=30 * number),
                listeners=self.attempt_listeners,
            )
        submit_attempt(
            self.session,
            attempt,
            now=event.at + timedelta(seconds=30 * len(attempt.question_ids) + 20),
            listeners=self.attempt_listeners,
        )


@dataclass(frozen=True)
class _Moments:
    """Random moments of past working days (7:30 to 17:30 local), never in the last two hours."""

    rng: random.Random
    now: datetime
    tz: ZoneInfo
    today: date

    def days_ago(self, days: int) -> datetime:
        """A moment of the working day `days` ago."""
        day = self.today - timedelta(days=days)
        local = datetime.combine(day, time(7, 30), tzinfo=self.tz) + timedelta(
            minutes=self.rng.randrange(0, 10 * 60)
        )
        return min(local.astimezone(self.now.tzinfo), self.now - timedelta(hours=2))


def plan_progress(
    rng: random.Random,
    learners: dict[int, list[tuple[int, str]]],
    replay: LearningReplay,
    module_slugs: tuple[str, str],
    now: datetime,
    tz: ZoneInfo,
) -> tuple[list[ProgressEvent], Counter]:
    """Decide who completes, who is half-way and who has not started, branch by branch."""
    rates = list(BRANCH_RATES)
    rng.shuffle(rates)
    events: list[ProgressEvent] = []
    outcome: Counter = Counter()
    moments = _Moments(rng, now, tz, local_date(now, tz))
    for index, unit_id in enumerate(sorted(learners)):
        rate = rates[index % len(rates)]
        in_progress = min(IN_PROGRESS_SHARE, 1 - rate)
        for user_id, language in learners[unit_id]:
            draw = rng.random()
            order = len(events)
            if draw < rate:
                events += _completing(moments, rate, order, user_id, module_slugs)
                outcome["completed"] += 1
            elif draw < rate + in_progress:
                events += _half_way(moments, replay, order, user_id, language, module_slugs)
                outcome["in progress"] += 1
            else:
                outcome["not started"] += 1
    events.sort()
    return events, outcome


def _completing(
    moments: _Moments, rate: float, order: int, user_id: int, slugs: tuple[str, str]
) -> list[ProgressEvent]:
    """Read and pass both modules, the second one soon after the first."""
    first, second = slugs
    rng, now = moments.rng, moments.now
    # Earlier starters are more common in eager branches: skew towards the past.
    days_ago = max(1, round(PROGRESS_DAYS * rng.random() ** (1.5 - rate)))
    start = moments.days_ago(days_ago)
    gap = timedelta(hours=rng.choice((0, 1, 3, 24, 48)))
    later = min(start + gap, now - timedelta(hours=2))
    return [
        ProgressEvent(start, order, user_id, first, "pages"),
        ProgressEvent(start + timedelta(minutes=40), order, user_id, first, "quiz"),
        ProgressEvent(later + timedelta(minutes=50), order, user_id, second, "pages"),
        ProgressEvent(later + timedelta(minutes=80), order, user_id, second, "quiz"),
    ]


def _half_way(
    moments: _Moments,
    replay: LearningReplay,
    order: int,
    user_id: int,
    language: str,
    slugs: tuple[str, str],
) -> list[ProgressEvent]:
    """The first module done and the second one started, or the first one started."""
    first, second = slugs
    rng = moments.rng
    start = moments.days_ago(rng.randrange(1, PROGRESS_DAYS + 1))
    total = replay.page_count(first, language)
    if rng.random() < 0.4:
        half = max(1, replay.page_count(second, language) // 2)
        return [
            ProgressEvent(start, order, user_id, first, "pages"),
            ProgressEvent(start + timedelta(minutes=40), order, user_id, first, "quiz"),
            ProgressEvent(start + timedelta(minutes=60), order, user_id, second, "pages", half),
        ]
    pages = rng.randrange(1, total) if total > 1 else 1
    return [ProgressEvent(start, order, user_id, first, "pages", pages)]
