"""Taking a quiz over HTTP: pages, autosave, no answer key while open, scope, status codes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.assessment.models import Attempt, AttemptAnswer, AttemptState
from app.content.models import ModuleStatus
from app.extensions import db
from app.people.models import Role
from tests.assessment.quiz_factories import (
    JSON,
    KEY_ONLY,
    RIGHT,
    WRONG,
    form_fields,
    make_module,
    make_quiz,
    save,
    start,
    submit,
    token_of,
)
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user

ALLOWED_DATA_ATTRIBUTES = {
    "data-question-id",
    "data-type",
    "data-pair",
    "data-item",
    "data-save-url",
    "data-saved",
    "data-not-saved",
    "data-incomplete",
    "data-retrying",
    "data-unavailable",
    "data-deadline",
    "data-now",
    "data-grace",
    "data-label-minutes",
    "data-label-over",
    "data-alert-five",
    "data-alert-one",
}


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, language="en")


def assert_no_key(text: str) -> None:
    """Nothing of the answer key in what the browser gets while the attempt is open."""
    for marker in KEY_ONLY:
        assert marker.lower() not in text.lower(), marker
    for word in ("correct", "weight", "fraction", "tolerance", "feedback", "explanation"):
        assert not re.search(rf"\b{word}\b", text, re.IGNORECASE), word
    names = set(re.findall(r"\b(data-[a-z-]+)=", text))
    assert names <= ALLOWED_DATA_ATTRIBUTES, names - ALLOWED_DATA_ATTRIBUTES


def test_the_open_attempt_sends_no_answer_key_in_html_or_json(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    assert_no_key(client.get(f"/quizzes/{quiz.slug}").get_data(as_text=True))
    attempt_id = start(client, quiz)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert_no_key(page)
    assert page.count("<fieldset") == 7 and page.count("<legend") == 7
    # Ordering positions are not preselected: an untouched question is unanswered.
    assert not re.search(
        r'name="q-q-order-[^"]+"[^>]*>\s*<option value="">–</option>\s*<option value="1" selected',
        page,
    )
    token = csrf_token_from(page)
    for question_id, response in RIGHT.items():
        reply = save(client, attempt_id, token, question_id, response)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        assert set(reply.json) == {"saved", "question_id", "answered", "saved_at"}
        assert_no_key(reply.get_data(as_text=True))
    # With every answer right and saved, the page shows the answers but still no key.
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    for marker in ("FEEDBACK-", "EXPLAIN-", "correct", "weight", "fraction"):
        assert marker not in page
    assert_no_key(client.get(f"/attempts/{attempt_id}/confirm").get_data(as_text=True))


def test_one_question_per_page_saves_with_next_and_previous_without_javascript(app, org, learner):
    quiz = make_quiz(org.provider, layout="one_per_page")
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    attempt = db.session.get(Attempt, attempt_id)
    first, second = attempt.question_ids[:2]
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count("<fieldset") == 1 and f'data-question-id="{first}"' in page
    token = csrf_token_from(page)
    form = {"csrf_token": token, "page": "1", "shown": first, "go": "next"}
    form.update(form_fields(first, RIGHT[first]))
    response = client.post(f"/attempts/{attempt_id}/save", data=form)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/attempts/{attempt_id}?page=2")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'data-question-id="{second}"' in page
    back = client.post(
        f"/attempts/{attempt_id}/save",
        data={"csrf_token": token, "page": "2", "shown": second, "go": "prev"},
    )
    assert back.headers["Location"].endswith("page=1")
    saved = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))
    assert {a.question_id: a.response is not None for a in saved} == {first: True, second: False}
    finish = client.post(
        f"/attempts/{attempt_id}/save",
        data={"csrf_token": token, "page": "1", "shown": first, "go": "finish"},
    )
    assert finish.headers["Location"].endswith(f"/attempts/{attempt_id}/confirm")


def test_the_whole_flow_without_javascript_grades_and_reviews(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    data = [("csrf_token", token), ("page", "1"), ("go", "finish")]
    for question_id, response in RIGHT.items():
        data.append(("shown", question_id))
        fields = form_fields(question_id, response)
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                data.append((name, item))
    from werkzeug.datastructures import MultiDict

    response = client.post(f"/attempts/{attempt_id}/save", data=MultiDict(data))
    assert response.status_code == 303, response.get_data(as_text=True)
    confirm = client.get(f"/attempts/{attempt_id}/confirm").get_data(as_text=True)
    assert "You have answered all 7 questions." in confirm
    done = submit(client, attempt_id, csrf_token_from(confirm))
    assert done.status_code == 303 and done.headers["Location"].endswith("/result")
    result = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Score: 100%" in result and "Passed" in result
    assert "FEEDBACK-SINGLE-RIGHT" in result and "EXPLAIN-SINGLE" in result
    assert "ZEPHYRPORTAL" in result


def test_confirmation_lists_unanswered_questions(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    save(client, attempt_id, token_of(client, attempt_id), "q-single", "opt-eid")
    page = client.get(f"/attempts/{attempt_id}/confirm").get_data(as_text=True)
    assert "6 questions are not answered yet" in page
    assert page.count(f"/attempts/{attempt_id}#question-") == 6


def test_tampered_and_absurd_answers_get_a_clear_400(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    cases = [
        ("q-single", "opt-forged", "unknown option"),
        ("q-from-elsewhere", "x", "This question is not part of your attempt."),
        ("q-num", "1e309", "the number is out of range"),
        ("q-num", "12abc", "please enter a number"),
        ("q-num", "99999999999999999999", "the number is out of range"),
        ("q-multi", {"m-salary": True}, "a list of options is expected"),
    ]
    for question_id, response, message in cases:
        reply = save(client, attempt_id, token, question_id, response)
        assert reply.status_code == 400, question_id
        assert reply.json["error"]["message"] == message
    assert save(client, attempt_id, token, "q-num", "-7").status_code == 200
    malformed = client.post(
        f"/attempts/{attempt_id}/answers",
        data="not json",
        headers={**JSON, "X-CSRFToken": token, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400
    no_csrf = client.post(
        f"/attempts/{attempt_id}/answers", json={"question_id": "q-tf", "response": True}
    )
    assert no_csrf.status_code == 400
    # The same through the plain form: the page comes back with the message and a 400.
    form = {"csrf_token": token, "page": "1", "shown": "q-single", "q-q-single": "opt-forged"}
    page = client.post(f"/attempts/{attempt_id}/save", data=form)
    assert page.status_code == 400
    assert "Question " in page.get_data(as_text=True)
    assert "unknown option" in page.get_data(as_text=True)
    ordering = {
        "csrf_token": token,
        "page": "1",
        "shown": "q-order",
        "q-q-order-s-open": "1",
        "q-q-order-s-login": "1",
        "q-q-order-s-fill": "2",
    }
    assert client.post(f"/attempts/{attempt_id}/save", data=ordering).status_code == 400
    foreign = {"csrf_token": token, "page": "1", "shown": "q-elsewhere"}
    assert client.post(f"/attempts/{attempt_id}/save", data=foreign).status_code == 400


def test_after_submission_answers_are_refused_with_409(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    first = submit(client, attempt_id, token, Accept="application/json")
    assert first.status_code == 200 and first.json["state"] == "submitted"
    reply = save(client, attempt_id, token, "q-tf", True)
    assert reply.status_code == 409
    assert reply.json["error"]["result_url"].endswith(f"/attempts/{attempt_id}/result")
    again = submit(client, attempt_id, token, Accept="application/json")
    assert again.status_code == 200 and again.json == first.json


def test_after_the_deadline_answers_get_410_and_the_attempt_is_graded(app, org, learner):
    quiz = make_quiz(org.provider, time_limit=10)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert 'role="timer"' in page and "data-deadline=" in page
    assert save(client, attempt_id, token, "q-single", "opt-eid").status_code == 200
    app.config["CLOCK_OFFSET"] = timedelta(minutes=11)
    # GET never writes: the page says the time is up and offers a button (a POST).
    time_up = client.get(f"/attempts/{attempt_id}")
    assert "The time is up" in time_up.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == AttemptState.OPEN
    late = save(client, attempt_id, token, "q-tf", True)
    assert late.status_code == 410
    assert late.json["error"]["code"] == "expired"
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.score_percent == pytest.approx(100 / 7)


def test_another_learners_attempt_is_a_404_everywhere(app, org, learner):
    quiz = make_quiz(org.provider)
    owner = app.test_client()
    login_as(owner, learner)
    attempt_id = start(owner, quiz)
    other = app.test_client()
    login_as(other, make_user(org.branch_a1, language="en"))
    token = csrf_token_from(other.get(f"/quizzes/{quiz.slug}").get_data(as_text=True))
    for path in ("", "/confirm", "/result"):
        assert other.get(f"/attempts/{attempt_id}{path}").status_code == 404
    assert save(other, attempt_id, token, "q-tf", True).status_code == 404
    assert submit(other, attempt_id, token).status_code == 404
    assert other.post(f"/attempts/{attempt_id}/save", data={"csrf_token": token}).status_code == 404
    assert other.get("/attempts/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == AttemptState.OPEN


def test_quizzes_of_unpublished_modules_are_hidden_from_learners(app, org, learner):
    draft = make_module(org.provider, "draft-module", ModuleStatus.DRAFT)
    quiz = make_quiz(org.provider, module=draft)
    client = app.test_client()
    login_as(client, learner)
    assert client.get(f"/quizzes/{quiz.slug}").status_code == 404
    assert client.get("/quizzes/no-such-quiz").status_code == 404
    trainer = app.test_client()
    login_as(trainer, make_user(org.branch_a1, Role.TRAINER, provider=org.provider))
    assert trainer.get(f"/quizzes/{quiz.slug}").status_code == 200
    foreign = app.test_client()
    login_as(foreign, make_user(org.branch_a1, Role.TRAINER, provider=org.other_provider))
    assert foreign.get(f"/quizzes/{quiz.slug}").status_code == 404


def test_result_offers_the_next_attempt_with_the_cooldown(app, org, learner):
    quiz = make_quiz(org.provider, cooldown=10)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    for question_id, response in WRONG.items():
        save(client, attempt_id, token, question_id, response)
    submit(client, attempt_id, token)
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Not passed" in page and "You can start the next attempt at" in page
    refused = client.post(f"/quizzes/{quiz.slug}/attempts", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "You can start the next attempt at" in refused.get_data(as_text=True)
    app.config["CLOCK_OFFSET"] = timedelta(minutes=11)
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Start attempt 2" in page
    assert start(client, quiz) != attempt_id


@pytest.mark.parametrize("review", ["never", "after_pass"])
def test_review_policy_hides_the_key(app, org, learner, review):
    quiz = make_quiz(org.provider, review=review, cooldown=0)
    client = app.test_client()
    login_as(client, learner)
    attempt_id = start(client, quiz)
    token = token_of(client, attempt_id)
    for question_id, response in WRONG.items():
        save(client, attempt_id, token, question_id, response)
    submit(client, attempt_id, token)
    page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Wrong" in page and "Not passed" in page
    for marker in KEY_ONLY:
        assert marker not in page
    if review == "after_pass":
        second = start(client, quiz)
        for question_id, response in RIGHT.items():
            save(client, second, token, question_id, response)
        submit(client, second, token)
        page = client.get(f"/attempts/{attempt_id}/result").get_data(as_text=True)
        assert "EXPLAIN-SINGLE" in page and "ZEPHYRPORTAL" in page


def test_double_start_resumes_the_same_attempt(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    assert start(client, quiz) == start(client, quiz)


def test_the_home_page_lists_standalone_quizzes_and_attempts_in_progress(app, org, learner):
    quiz = make_quiz(org.provider)
    client = app.test_client()
    login_as(client, learner)
    home = client.get("/home").get_data(as_text=True)
    assert f"/quizzes/{quiz.slug}" in home
    attempt_id = start(client, quiz)
    assert f"/attempts/{attempt_id}" in client.get("/home").get_data(as_text=True)


def test_quiz_for_module_gives_the_link_target(app, org):
    from app.assessment.queries import quiz_for_module

    module = make_module(org.provider)
    quiz = make_quiz(org.provider, module=module)
    found = quiz_for_module(db.session, module.id)
    assert found.slug == quiz.slug and found.title == {"und": "All types check"}
    with app.test_request_context():
        from flask import url_for

        assert url_for("assessment.quiz_start", quiz_slug=found.slug) == f"/quizzes/{quiz.slug}"
