"""Builders for tracking tests: modules with versions and pages, quizzes, reading and passing."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.assessment.attempts import save_answer, start_attempt, submit_attempt
from app.assessment.models import Attempt, Quiz
from app.assessment.operations import save_quiz_definition
from app.assessment.questions import Option, Question
from app.assessment.questions import Quiz as QuizDefinition
from app.content.models import (
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
)
from app.extensions import db
from app.people.models import Provider, User
from app.tracking.operations import RecordResult
from app.tracking.page_views import record_page_view
from app.tracking.quiz_results import on_quiz_graded

T0 = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
_numbers = itertools.count(1)


@dataclass
class Built:
    """A module and its versions, with the pages of each version by language."""

    module: Module
    versions: list[ModuleVersion] = field(default_factory=list)
    pages: dict[int, dict[str, list[ModulePage]]] = field(default_factory=dict)
    quiz: Quiz | None = None

    @property
    def current(self) -> ModuleVersion:
        return self.versions[-1]

    def page_ids(self, language: str = "fr", version: ModuleVersion | None = None) -> list[int]:
        version = version or self.current
        return [page.id for page in self.pages[version.id][language]]


def add_version(
    built: Built,
    *,
    languages: dict[str, int] | None = None,
    is_major: bool = False,
    valid_days: int | None = None,
    published_at: datetime = T0,
) -> ModuleVersion:
    """Publish a new version of the module (it becomes the current one)."""
    languages = languages or {"fr": 3}
    number = len(built.versions) + 1
    version = ModuleVersion(
        module_id=built.module.id,
        number=number,
        is_major=is_major,
        change_note="",
        content_hash=f"hash-{built.module.slug}-{number}",
        valid_days=valid_days,
        minutes=5,
        published_at=published_at,
        created_at=published_at,
    )
    db.session.add(version)
    db.session.flush()
    built.pages[version.id] = {}
    for language, count in languages.items():
        variant = ModuleVariant(
            version_id=version.id,
            language=language,
            title=f"{built.module.slug} ({language}) v{number}",
            summary="A module for tests.",
            tags=[],
            minutes=5,
            content_hash=f"h-{number}-{language}",
            markdown="# test",
        )
        db.session.add(variant)
        db.session.flush()
        pages = []
        for position in range(count):
            page = ModulePage(
                variant_id=variant.id,
                position=position,
                title=f"Page {position + 1} {language}",
                markdown="text",
                html="<p>text</p>",
                text="text",
            )
            db.session.add(page)
            pages.append(page)
        db.session.flush()
        built.pages[version.id][language] = pages
    built.module.current_version_id = version.id
    built.versions.append(version)
    db.session.commit()
    return version


def make_module(
    provider: Provider,
    *,
    slug: str | None = None,
    languages: dict[str, int] | None = None,
    valid_days: int | None = None,
    status: ModuleStatus = ModuleStatus.PUBLISHED,
    with_quiz: bool = False,
) -> Built:
    """Create a published module with one version (and, optionally, its quiz)."""
    slug = slug or f"module-{next(_numbers)}"
    module = Module(slug=slug, provider_id=provider.id, source_language="fr", status=status)
    db.session.add(module)
    db.session.flush()
    built = Built(module=module)
    add_version(built, languages=languages, valid_days=valid_days)
    if with_quiz:
        built.quiz = make_quiz(built)
    return built


def make_quiz(built: Built, *, pass_mark: float = 50) -> Quiz:
    """Give the module a two-question quiz (a passes with both right, fails with none)."""
    questions = tuple(
        Question(
            id=f"q{n}",
            type="single",
            stem={"fr": f"Question {n} ?", "de": f"Frage {n}?"},
            options=(
                Option(id="a", text={"fr": "Juste"}, correct=True),
                Option(id="b", text={"fr": "Faux"}),
            ),
        )
        for n in (1, 2)
    )
    definition = QuizDefinition(
        id=f"{built.module.slug}-quiz",
        title={"fr": f"Quiz {built.module.slug}"},
        pass_mark=pass_mark,
        questions=questions,
    )
    quiz, _version = save_quiz_definition(
        db.session,
        definition,
        provider_id=built.module.provider_id,
        module_id=built.module.id,
        now=T0,
    )
    db.session.commit()
    return quiz


def read_pages(
    user: User, page_ids: list[int], now: datetime = T0, step: timedelta = timedelta(minutes=1)
) -> list[RecordResult]:
    """Record page views one after the other (one transaction each, as the reader does)."""
    results = []
    for index, page_id in enumerate(page_ids):
        results.append(record_page_view(db.session, user, page_id, now=now + index * step))
        db.session.commit()
    return results


def take_quiz(user: User, quiz: Quiz, *, correct: bool, now: datetime = T0) -> Attempt:
    """Take the module's quiz with every answer right (or wrong), with the tracking listener."""
    listeners = [on_quiz_graded]
    attempt, _new = start_attempt(db.session, user.id, quiz, now=now, listeners=listeners)
    for question_id in attempt.question_ids:
        save_answer(
            db.session,
            attempt,
            question_id,
            "a" if correct else "b",
            now=now + timedelta(minutes=1),
            listeners=listeners,
        )
    submit_attempt(db.session, attempt, now=now + timedelta(minutes=2), listeners=listeners)
    db.session.commit()
    return attempt
