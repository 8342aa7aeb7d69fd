"""The typed events between assessment and tracking: what they carry, and that tracking needs
nothing else (it never imports assessment)."""

from __future__ import annotations

import ast
import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from app.assessment.attempts import save_answer, start_attempt, submit_attempt
from app.extensions import db
from app.people.models import Role
from app.platform.events import CompletionReached, QuizGraded
from app.platform.hooks import COMPLETION_REACHED
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, make_module, read_pages

TRACKING = Path(__file__).resolve().parents[2] / "app" / "tracking"


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, Role.LEARNER)


def _plain(value) -> bool:
    """Tell whether a value is made of plain data only (no ORM rows)."""
    if dataclasses.is_dataclass(value):
        return all(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return not hasattr(value, "_sa_instance_state")


def test_quiz_graded_carries_the_attempt_as_plain_values(app, org, learner):
    built = make_module(org.provider, languages={"fr": 1}, with_quiz=True)
    heard: list[QuizGraded] = []
    attempt, _new = start_attempt(db.session, learner.id, built.quiz, now=T0)
    for question_id in attempt.question_ids:
        save_answer(db.session, attempt, question_id, "a", now=T0 + timedelta(minutes=1))
    submit_attempt(
        db.session,
        attempt,
        now=T0 + timedelta(minutes=2),
        listeners=[lambda session, graded: heard.append(graded)],
    )
    [graded] = heard
    assert _plain(graded)
    assert graded.attempt_id == attempt.id and graded.user_id == learner.id
    assert graded.quiz_slug == built.quiz.slug and graded.module_id == built.module.id
    assert graded.is_passed and graded.score_percent == 100
    assert [answer.question_id for answer in graded.answers] == list(attempt.question_ids)
    assert all(answer.fraction == 1 and answer.max_points == 1 for answer in graded.answers)
    assert graded.submitted_at == T0 + timedelta(minutes=2)


def test_completion_reached_is_announced_once_when_a_completion_starts_to_count(app, org, learner):
    built = make_module(org.provider, languages={"fr": 2}, valid_days=365)
    heard: list[CompletionReached] = []

    def receiver(session, reached):
        heard.append(reached)

    # The app whose context is current (the one recording asks for receivers).
    target = current_app._get_current_object()
    COMPLETION_REACHED.connect(target, receiver)
    try:
        read_pages(learner, built.page_ids())
        # Reading a page again starts the next cycle: it does not count until it is complete.
        read_pages(learner, built.page_ids()[:1], now=T0 + timedelta(hours=1))
    finally:
        COMPLETION_REACHED.disconnect(target, receiver)
    [reached] = heard
    assert _plain(reached)
    assert (reached.user_id, reached.module_id, reached.version_id) == (
        learner.id,
        built.module.id,
        built.current.id,
    )
    assert reached.number == 1 and reached.score_percent is None
    assert reached.expires_at == reached.completed_at + timedelta(days=365)


def test_a_module_without_a_quiz_completes_on_reading_and_one_with_a_quiz_does_not(
    app, org, learner
):
    plain = make_module(org.provider, languages={"fr": 1})
    quizzed = make_module(org.provider, languages={"fr": 1}, with_quiz=True)
    [read_plain] = read_pages(learner, plain.page_ids())
    [read_quizzed] = read_pages(learner, quizzed.page_ids())
    assert read_plain.completion is not None
    assert read_quizzed.completion is None  # assessment said the module ends with a quiz
    db.session.rollback()


def test_tracking_never_imports_assessment():
    for path in TRACKING.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not any(name.startswith("app.assessment") for name in names), path.name
