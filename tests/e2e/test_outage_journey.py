"""The database goes away while a learner takes a quiz: nothing typed is lost, the page retries.

The app's engine refuses every new connection (as against a stopped server) while the learner
answers and moves on; the page keeps the answers, says so in its status line, and saves and
moves on by itself once the database is back.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.assessment.models import AttemptAnswer
from app.extensions import db
from tests.assessment.quiz_factories import make_quiz
from tests.e2e.browser import app_text, sign_in
from tests.factories import PASSWORD, make_org, make_user
from tests.platform.test_outage import database_refusing

pytestmark = pytest.mark.browser

QUIZ = """\
id: outage-check
title: Contrôle pendant une panne
pass_mark: 50
layout: one_per_page
questions:
  - id: login
    type: single
    stem: Comment la personne se connecte-t-elle ?
    options:
      - id: eid
        text: Avec son eID
        correct: true
      - id: avs
        text: Avec son numéro AVS
  - id: cost
    type: numeric
    stem: Combien coûte une lettre papier, en couronnes ?
    answers:
      - value: 8
"""


RETRYING = (
    "Not saved yet: the platform is briefly unavailable. Your answer stays on this page and is "
    "saved automatically."
)


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Retry after one second, so the page's own retry comes quickly."""
    app_config["DB_UNAVAILABLE_RETRY_AFTER"] = 1
    return app_config


def _saved_answers() -> dict[str, Any]:
    db.session.expire_all()
    return {a.question_id: a.response for a in db.session.scalars(select(AttemptAnswer))}


def test_answers_survive_an_outage_and_are_saved_when_it_ends(live_server, page, js_errors):
    app = live_server.app
    js_errors.expected = True  # the 503s of the outage show as failed fetches, on purpose
    org = make_org()
    learner = make_user(org.branch_a1, language="fr")
    quiz = make_quiz(org.provider, QUIZ)
    sign_in(page, live_server.url, learner.email, PASSWORD)
    page.goto(f"{live_server.url}/quizzes/{quiz.slug}")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    attempt_url = page.url

    with database_refusing(app):
        page.locator("#q-login-eid").check()
        status = page.locator("#q-login-status")
        expect(status).to_have_attribute("role", "status")
        expect(status).to_have_text(app_text(app, RETRYING))
        # Moving on while the platform is away keeps the learner on the page, answers intact.
        page.locator('button[name="go"][value="next"]').click()
        expect(page.locator("#quiz-form-status")).not_to_be_empty()
        assert page.url == attempt_url
        expect(page.locator("#q-login-eid")).to_be_checked()
        assert _saved_answers() == {}

    # The database is back: the page saves the answer and moves on by itself.
    expect(page.locator("#q-cost-input")).to_be_visible(timeout=15_000)
    assert _saved_answers() == {"login": "eid"}
