"""Trainers' item analysis pages on real attempts: scope, filters, flags, exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from app.people.models import Role
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user
from tests.tracking.helpers import T0, make_module, take_quiz


@pytest.fixture
def quiz_scene(app):
    org = make_org()
    built = make_module(org.provider, slug="proxy-access", with_quiz=True)
    for n in range(6):
        take_quiz(make_user(org.branch_a1), built.quiz, correct=n < 4, now=T0 + timedelta(hours=n))
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider)
    outsider = make_user(org.branch_a1, Role.TRAINER, provider=org.other_provider)
    return built, trainer, outsider


def test_trainer_sees_the_item_analysis_of_their_quiz(client, quiz_scene):
    built, trainer, _outsider = quiz_scene
    login_as(client, trainer)
    listing = client.get("/readiness/quizzes").get_data(as_text=True)
    assert built.quiz.slug in listing
    html = client.get(f"/readiness/quizzes/{built.quiz.slug}").get_data(as_text=True)
    assert "Frage 1" in html or "Question 1" in html
    questions = html.split('id="questions-table"')[1].split("</table>")[0]
    assert "67" in questions  # facility 4 of 6
    assert "Attempts analysed" in html and 'data-figure="' in html


def test_other_providers_and_learners_are_refused(client, quiz_scene):
    built, _trainer, outsider = quiz_scene
    login_as(client, outsider)
    assert client.get(f"/readiness/quizzes/{built.quiz.slug}").status_code == 404
    assert built.quiz.slug not in client.get("/readiness/quizzes").get_data(as_text=True)
    assert client.get("/readiness/quizzes/no-such-quiz").status_code == 404
    login_as(client, make_user(None))
    assert client.get(f"/readiness/quizzes/{built.quiz.slug}").status_code == 403


@pytest.mark.parametrize("query", ["?version=99", "?version=x", "?attempts=best"])
def test_bad_filters_are_400(client, quiz_scene, query):
    built, trainer, _outsider = quiz_scene
    login_as(client, trainer)
    assert client.get(f"/readiness/quizzes/{built.quiz.slug}{query}").status_code == 400


def test_version_and_attempt_filters(client, quiz_scene):
    built, trainer, _outsider = quiz_scene
    login_as(client, trainer)
    for query in ("?version=1", "?attempts=all", "?version=1&attempts=first"):
        assert client.get(f"/readiness/quizzes/{built.quiz.slug}{query}").status_code == 200


def test_item_analysis_exports(client, quiz_scene):
    built, trainer, _outsider = quiz_scene
    login_as(client, trainer)
    page = client.get(f"/readiness/quizzes/{built.quiz.slug}").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post(
        f"/readiness/quizzes/{built.quiz.slug}/export/questions.csv", data={"csrf_token": token}
    )
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert rows[0][0] == "Question" and {r[0] for r in rows[1:]} == {"q1", "q2"}
    options = client.post(
        f"/readiness/quizzes/{built.quiz.slug}/export/options.xlsx", data={"csrf_token": token}
    )
    assert options.status_code == 200 and options.get_data()[:2] == b"PK"
