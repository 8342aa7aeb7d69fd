"""After a quiz: the review policy holds the key back, a pass leads to the certificate, a fail to
when the next attempt opens and what to re-read (issue 12)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.assessment.presenters import reveals_answer_key
from app.assessment.questions import DEFAULT_REVIEW, REVIEW_POLICIES, Quiz
from app.extensions import db
from app.tracking.models import Certificate
from tests.assessment.quiz_factories import (
    JSON,
    KEY_ONLY,
    RIGHT,
    WRONG,
    make_module,
    make_quiz,
    save,
    start,
    submit,
    token_of,
)
from tests.conftest import login_as
from tests.factories import make_org, make_user
from tests.tracking import helpers as tracking


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, language="en")


# -- the rule, on its own --------------------------------------------------------------------


def test_the_default_review_waits_for_a_pass_or_the_last_attempt():
    assert DEFAULT_REVIEW == "after_pass_or_last_attempt" == REVIEW_POLICIES[0]
    assert Quiz(id="q", title={}, pass_mark=50).review == DEFAULT_REVIEW
    assert Quiz.from_dict({"id": "q", "title": {}, "pass_mark": 50}).review == DEFAULT_REVIEW


@pytest.mark.parametrize(
    ("review", "has_passed", "attempts_left", "expected"),
    [
        ("after_pass_or_last_attempt", False, 2, False),
        ("after_pass_or_last_attempt", False, None, False),  # unlimited: never the last one
        ("after_pass_or_last_attempt", True, 2, True),
        ("after_pass_or_last_attempt", False, 0, True),
        ("after_submit", False, 2, True),
        ("after_pass", False, 0, False),
        ("after_pass", True, 0, True),
        ("never", True, 0, False),
        ("something-unknown", True, 0, False),
    ],
)
def test_reveals_answer_key(review, has_passed, attempts_left, expected):
    assert (
        reveals_answer_key(review, has_passed=has_passed, attempts_left=attempts_left) is expected
    )


# -- over HTTP ---------------------------------------------------------------------------------


def _attempt(client, quiz, answers: dict) -> tuple[int, str]:
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    for question_id, response in answers.items():
        save(client, attempt_id, token, question_id, response)
    return attempt_id, token


def _key_in(text: str) -> list[str]:
    return [marker for marker in KEY_ONLY if marker.lower() in text.lower()]


def test_a_blank_attempt_shows_no_key_in_html_or_json_and_says_when_it_will(
    app, client, org, learner
):
    quiz = make_quiz(org.provider, attempts=3, cooldown=0, review=DEFAULT_REVIEW)
    login_as(client, learner)
    attempt_id, token = _attempt(client, quiz, {})
    reply = submit(client, attempt_id, token, **JSON)
    assert reply.status_code == 200 and _key_in(reply.get_data(as_text=True)) == []
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert _key_in(page) == []
    assert "right answer" not in page.lower().replace("right answers and", "")
    assert "shown once you have passed, or after your last attempt" in page
    # The start page states the same policy before the first attempt.
    start_page = client.get(f"/quizzes/{quiz.slug}").get_data(as_text=True)
    assert "shown once you have passed, or after your last attempt" in start_page


def test_the_key_appears_once_the_learner_has_passed(app, client, org, learner):
    quiz = make_quiz(org.provider, attempts=3, cooldown=0, review=DEFAULT_REVIEW)
    login_as(client, learner)
    failed, token = _attempt(client, quiz, WRONG)
    submit(client, failed, token)
    assert _key_in(client.get(f"/attempts/{failed}/result").get_data(as_text=True)) == []
    passed, token = _attempt(client, quiz, RIGHT)
    submit(client, passed, token)
    page = client.get(f"/attempts/{passed}/result").get_data(as_text=True)
    assert "EXPLAIN-SINGLE" in page and "ZEPHYRPORTAL" in page
    # A passed quiz offers no further attempt.
    assert "Start attempt" not in page and f"/quizzes/{quiz.slug}/attempts" not in page


def test_the_key_appears_after_the_last_attempt(app, client, org, learner):
    quiz = make_quiz(org.provider, attempts=2, cooldown=0, review=DEFAULT_REVIEW)
    login_as(client, learner)
    first, token = _attempt(client, quiz, WRONG)
    submit(client, first, token)
    assert _key_in(client.get(f"/attempts/{first}/result").get_data(as_text=True)) == []
    last, token = _attempt(client, quiz, WRONG)
    submit(client, last, token)
    page = client.get(f"/attempts/{last}/result").get_data(as_text=True)
    assert "EXPLAIN-SINGLE" in page
    assert "You have used all your attempts" in page


def test_a_quiz_may_choose_to_show_the_key_after_every_attempt(app, client, org, learner):
    quiz = make_quiz(org.provider, attempts=3, cooldown=0, review="after_submit")
    login_as(client, learner)
    attempt_id, token = _attempt(client, quiz, {})
    submit(client, attempt_id, token)
    assert "EXPLAIN-SINGLE" in client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)


def test_a_failed_attempt_says_when_to_retry_and_what_to_reread(app, client, org, learner):
    built = tracking.make_module(org.provider, languages={"en": 3}, with_quiz=True)
    quiz = built.quiz
    # The tracking helper's quiz has no cool-down: give this one ten minutes.
    quiz.current_version.definition = {**quiz.current_version.definition, "cooldown_minutes": 10}
    db.session.commit()
    login_as(client, learner)
    attempt_id, token = _attempt(client, quiz, {"q1": "b", "q2": "b"})
    submit(client, attempt_id, token)
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Not passed" in page and "You can start the next attempt at" in page
    assert 'id="reread"' in page
    for number in (1, 2, 3):
        assert f"/modules/{built.module.slug}/pages/{number}" in page
    assert "Start reading again" in page
    assert "Start attempt" not in page  # the cool-down is running
    app.config["CLOCK_OFFSET"] = timedelta(minutes=11)
    later = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Start attempt 2" in later and "You can start the next attempt at" not in later


def test_a_pass_after_reading_every_page_links_to_the_certificate(app, client, org, learner):
    built = tracking.make_module(org.provider, languages={"en": 2}, with_quiz=True)
    tracking.read_pages(learner, built.page_ids("en"))
    login_as(client, learner)
    attempt_id, token = _attempt(client, built.quiz, {"q1": "a", "q2": "a"})
    submit(client, attempt_id, token)
    code = db.session.scalar(select(Certificate.code).where(Certificate.user_id == learner.id))
    assert code
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f"/learning/certificates/{code}" in page and "See my certificate" in page
    assert "Start attempt" not in page
    certificate = client.get(f"/learning/certificates/{code}")
    assert certificate.status_code == 200


def test_a_pass_with_pages_unread_sends_the_learner_back_to_the_module(app, client, org, learner):
    built = tracking.make_module(org.provider, languages={"en": 2}, with_quiz=True)
    login_as(client, learner)
    attempt_id, token = _attempt(client, built.quiz, {"q1": "a", "q2": "a"})
    submit(client, attempt_id, token)
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Read the remaining pages of the module" in page
    assert re.search(rf'href="/modules/{built.module.slug}"', page)


def test_a_standalone_quiz_result_has_no_module_to_reread(app, client, org, learner):
    module = make_module(org.provider)  # a bare module row: no version, nothing to read
    quiz = make_quiz(org.provider, module=module, attempts=3, cooldown=0)
    login_as(client, learner)
    attempt_id, token = _attempt(client, quiz, WRONG)
    submit(client, attempt_id, token)
    page = client.get(f"/attempts/{attempt_id}/result")
    assert page.status_code == 200 and 'id="reread"' not in page.get_data(as_text=True)
