"""Extra time (WCAG 2.2.1): a person's deadline on timed quizzes grows by their percentage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.assessment.attempts import AttemptExpired, save_answer, start_attempt, time_allowed
from app.assessment.models import Attempt, AttemptState
from app.extensions import db
from tests.assessment.quiz_factories import NOW, make_quiz, start
from tests.conftest import login_as
from tests.factories import make_org, make_user


@pytest.fixture
def org(app):
    return make_org()


def learner_with(org, percent: int):
    learner = make_user(org.branch_a1)
    learner.extra_time_percent = percent
    db.session.commit()
    return learner


def test_time_allowed_adds_the_percentage():
    assert time_allowed(10, 0) == timedelta(minutes=10)
    assert time_allowed(10, 50) == timedelta(minutes=15)
    assert time_allowed(15, 50) == timedelta(minutes=22, seconds=30)
    assert time_allowed(7, 300) == timedelta(minutes=28)


def test_fifty_percent_gives_a_ten_minute_quiz_fifteen_minutes(org):
    quiz = make_quiz(org.provider, time_limit=10)
    learner = learner_with(org, 50)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    assert attempt.deadline_at == NOW + timedelta(minutes=15)


def test_no_extra_time_keeps_the_quiz_limit(org):
    quiz = make_quiz(org.provider, time_limit=10)
    learner = learner_with(org, 0)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    assert attempt.deadline_at == NOW + timedelta(minutes=10)


def test_untimed_quizzes_stay_untimed(org):
    quiz = make_quiz(org.provider)
    learner = learner_with(org, 100)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    assert attempt.deadline_at is None


def test_an_answer_at_minute_14_counts_and_at_minute_16_is_refused(org):
    quiz = make_quiz(org.provider, time_limit=10)
    learner = learner_with(org, 50)
    attempt, _ = start_attempt(db.session, learner.id, quiz, now=NOW)
    db.session.commit()
    save_answer(db.session, attempt, "q-tf", True, now=NOW + timedelta(minutes=14))
    db.session.commit()
    with pytest.raises(AttemptExpired):
        save_answer(db.session, attempt, "q-single", "opt-eid", now=NOW + timedelta(minutes=16))
    db.session.commit()
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.submitted_at == NOW + timedelta(minutes=15)
    assert attempt.score_percent == pytest.approx(100 / 7)


def test_the_start_page_and_the_timer_show_the_personal_time(app, org):
    quiz = make_quiz(org.provider, time_limit=15)
    learner = learner_with(org, 50)
    client = app.test_client()
    login_as(client, learner)
    page = client.get(f"/quizzes/{quiz.slug}").get_data(as_text=True)
    assert "15 minutes (+50 % extra time: 22 minutes 30 seconds)" in page
    attempt_id = start(client, quiz)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    attempt = db.session.get(Attempt, attempt_id)
    assert f'data-deadline="{attempt.deadline_at.isoformat()}"' in page
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=22, seconds=30)


def test_without_extra_time_the_start_page_shows_only_the_limit(app, org):
    quiz = make_quiz(org.provider, time_limit=15)
    client = app.test_client()
    login_as(client, learner_with(org, 0))
    page = client.get(f"/quizzes/{quiz.slug}").get_data(as_text=True)
    assert "15 minutes" in page and "extra time" not in page
