"""The quiz editor in forms: drafts, one form per question, reorder, preview, publish, access."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from app.assessment import drafts
from app.assessment.models import Quiz, QuizDraft, QuizVersion
from app.assessment.operations import definition_of
from app.extensions import db
from app.people.models import Role
from tests.assessment.quiz_factories import KEY_ONLY, make_quiz
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user


@pytest.fixture
def org(app):
    return make_org()


def trainer_client(app, org, language="en"):
    client = app.test_client()
    user = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language=language)
    login_as(client, user)
    return client


@pytest.fixture
def trainer(app, org):
    return trainer_client(app, org)


def page_of(client, path):
    reply = client.get(path)
    assert reply.status_code == 200, path
    text = reply.get_data(as_text=True)
    return csrf_token_from(text), text


def versions(quiz) -> int:
    return db.session.scalar(
        select(func.count(QuizVersion.id)).where(QuizVersion.quiz_id == quiz.id)
    )


def draft_questions(quiz) -> list[str]:
    db.session.expire_all()
    draft = db.session.scalar(select(QuizDraft).where(QuizDraft.quiz_id == quiz.id))
    return [q["id"] for q in draft.definition["questions"]] if draft else []


def lock(quiz) -> str:
    db.session.expire_all()
    return str(drafts.lock_of(drafts.draft_of(db.session, quiz)))


SINGLE = {
    "type": "single",
    "options-rows": "3",
    "stem-und": "Which log-in does the canton accept?",
    "options-1-text-und": "The eID",
    "options-2-text-und": "The AHV number",
    "options-2-feedback-und": "Not an identifier.",
    "points": "2",
    "id": "q-login",
}


def test_every_editor_route_is_404_for_another_provider_and_403_for_learners(app, org):
    quiz = make_quiz(org.provider)
    foreign = app.test_client()
    login_as(foreign, make_user(org.branch_a1, Role.TRAINER, provider=org.other_provider))
    token, _ = page_of(foreign, "/trainer/quizzes")
    base = f"/trainer/quizzes/{quiz.slug}/draft"
    gets = (
        "",
        "/settings",
        "/preview",
        "/preview?key=1",
        "/questions/new?type=single",
        "/questions/q-single",
    )
    posts = (
        "/settings/save",
        "/publish",
        "/discard",
        "/export",
        "/questions",
        "/questions/q-single/save",
        "/questions/q-single/move",
        "/questions/q-single/delete",
    )
    for path in gets:
        assert foreign.get(base + path).status_code == 404, path
    for path in posts:
        reply = foreign.post(base + path, data={"csrf_token": token, "lock": "0", **SINGLE})
        assert reply.status_code == 404, path
    assert draft_questions(quiz) == [] and versions(quiz) == 1
    learner = app.test_client()
    login_as(learner, make_user(org.branch_a1))
    for path in gets:
        assert learner.get(base + path).status_code == 403, path
    assert learner.get("/trainer/quizzes/new/forms").status_code == 403
    # Without the CSRF token, nothing happens.
    trainer = trainer_client(app, org)
    reply = trainer.post(base + "/questions/q-single/delete", data={"lock": "0"})
    assert reply.status_code == 400 and draft_questions(quiz) == []


def test_a_wrong_question_is_refused_beside_its_field_naming_it_and_nothing_is_saved(org, trainer):
    quiz = make_quiz(org.provider)
    token, page = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft/questions/q-single")
    assert 'value="The eID"' in page and 'name="correct" value="1" checked' in page
    data = {"csrf_token": token, "lock": "0", **SINGLE, "id": "q-single"}
    reply = trainer.post(f"/trainer/quizzes/{quiz.slug}/draft/questions/q-single/save", data=data)
    assert reply.status_code == 400
    text = html.unescape(reply.get_data(as_text=True))
    message = (
        "Question 1 (single choice): a single-choice question needs exactly one correct "
        "option, found 0"
    )
    beside = text.split('id="err-options"', 1)[1].split("</ul>", 1)[0]
    assert message in beside
    # The trainer's input is kept, and nothing was stored (not even an empty draft).
    assert 'value="The AHV number"' in text
    assert drafts.draft_of(db.session, quiz) is None and versions(quiz) == 1
    # A number that cannot be read is named by the quiz rules, beside its own row.
    data = {
        "csrf_token": token,
        "lock": "0",
        **SINGLE,
        "id": "q-single",
        "correct": "1",
        "points": "two",
    }
    text = html.unescape(
        trainer.post(
            f"/trainer/quizzes/{quiz.slug}/draft/questions/q-single/save", data=data
        ).get_data(as_text=True)
    )
    assert (
        "Question 1 (single choice): 'points' must be a number"
        in text.split('id="err-points"', 1)[1]
    )


def test_errors_are_in_the_trainers_language(app, org):
    quiz = make_quiz(org.provider)
    client = trainer_client(app, org, language="de")
    token, _ = page_of(client, f"/trainer/quizzes/{quiz.slug}/draft/settings")
    reply = client.post(
        f"/trainer/quizzes/{quiz.slug}/draft/settings/save",
        data={
            "csrf_token": token,
            "lock": "0",
            "title-und": "Kontrolle",
            "pass_mark": "150",
            "score": "highest",
            "layout": "all_at_once",
            "review": "after_submit",
        },
    )
    assert reply.status_code == 400
    text = html.unescape(reply.get_data(as_text=True))
    assert "'pass_mark' muss zwischen 0 und 100 liegen" in text.split('id="err-pass_mark"', 1)[1]
    assert drafts.draft_of(db.session, quiz) is None


def test_add_edit_move_delete_then_publish_a_new_version(org, trainer):
    quiz = make_quiz(org.provider)
    token, page = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft/questions/new?type=numeric")
    assert 'name="answers-1-kind"' in page
    numeric = {
        "csrf_token": token,
        "lock": "0",
        "type": "numeric",
        "answers-rows": "2",
        "stem-und": "How much does a paper letter cost?",
        "id": "q-cost",
        "answers-1-kind": "value",
        "answers-1-value": "8",
        "answers-1-tolerance": "0,5",
        "answers-2-kind": "range",
        "answers-2-min": "7",
        "answers-2-max": "9",
        "answers-2-weight": "50",
    }
    reply = trainer.post(f"/trainer/quizzes/{quiz.slug}/draft/questions", data=numeric)
    assert reply.status_code == 303, reply.get_data(as_text=True)
    order = ["q-single", "q-multi", "q-tf", "q-short", "q-num", "q-match", "q-order", "q-cost"]
    assert draft_questions(quiz) == order and versions(quiz) == 1
    # Move the new question up; a form from before that move is refused, not applied twice.
    stale = {"csrf_token": token, "lock": lock(quiz), "direction": "up"}
    trainer.post(f"/trainer/quizzes/{quiz.slug}/draft/questions/q-cost/move", data=stale)
    assert draft_questions(quiz)[-2:] == ["q-cost", "q-order"]
    again = trainer.post(f"/trainer/quizzes/{quiz.slug}/draft/questions/q-cost/move", data=stale)
    assert again.status_code == 303 and draft_questions(quiz)[-2:] == ["q-cost", "q-order"]
    trainer.post(
        f"/trainer/quizzes/{quiz.slug}/draft/questions/q-tf/delete",
        data={"csrf_token": token, "lock": lock(quiz)},
    )
    assert "q-tf" not in draft_questions(quiz)
    # The editor lists the draft's questions with their type and points.
    _, page = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft")
    assert "How much does a paper letter cost?" in page and "number" in page
    published = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/draft/publish",
        data={"csrf_token": token, "lock": lock(quiz)},
    )
    assert published.status_code == 303
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert versions(quiz) == 2 and drafts.draft_of(db.session, quiz) is None
    definition = definition_of(quiz.current_version)
    cost = definition.question("q-cost")
    assert cost.answers[0].tolerance == 0.5 and cost.answers[1].bounds == (7, 9)
    assert [q.id for q in definition.questions][-2:] == ["q-cost", "q-order"]


def test_publishing_an_invalid_draft_names_the_problem_and_changes_nothing(org, trainer):
    quiz = make_quiz(org.provider)
    token, _ = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft")
    for question_id in ("q-single", "q-multi", "q-tf", "q-short", "q-num", "q-match", "q-order"):
        trainer.post(
            f"/trainer/quizzes/{quiz.slug}/draft/questions/{question_id}/delete",
            data={"csrf_token": token, "lock": lock(quiz)},
        )
    reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/draft/publish",
        data={"csrf_token": token, "lock": lock(quiz)},
    )
    assert reply.status_code == 400
    assert "Quiz settings: the quiz has no questions" in html.unescape(reply.get_data(as_text=True))
    assert versions(quiz) == 1 and drafts.draft_of(db.session, quiz) is not None
    # Discarding the draft brings back the published questions.
    trainer.post(
        f"/trainer/quizzes/{quiz.slug}/draft/discard",
        data={"csrf_token": token, "lock": lock(quiz)},
    )
    assert drafts.draft_of(db.session, quiz) is None
    _, page = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft")
    assert "Which log-in does the canton accept?" in page


def test_learner_preview_sends_no_answer_key_and_the_key_preview_is_marked(org, trainer):
    quiz = make_quiz(org.provider)
    _, learner_view = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft/preview")
    assert "Which log-in does the canton accept?" in learner_view
    assert not [marker for marker in KEY_ONLY if marker in learner_view]
    assert "checked" not in learner_view.split('class="quiz-preview"', 1)[1]
    _, key_view = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft/preview?key=1")
    assert "Trainers only: this preview shows the answer key." in key_view
    assert "ZEPHYRPORTAL" in key_view and "Answer key of question 1" in key_view


def test_more_rows_without_javascript_keeps_the_input(org, trainer):
    quiz = make_quiz(org.provider)
    token, page = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft/questions/q-order")
    assert 'name="items-5-text-und"' in page and 'name="items-6-text-und"' not in page
    data = {
        "csrf_token": token,
        "lock": "0",
        "items-rows": "5",
        "stem-und": "Kept text",
        "action": "more_rows",
    }
    reply = trainer.post(f"/trainer/quizzes/{quiz.slug}/draft/questions/q-order/save", data=data)
    text = reply.get_data(as_text=True)
    assert reply.status_code == 200 and 'name="items-7-text-und"' in text and "Kept text" in text
    assert drafts.draft_of(db.session, quiz) is None


def test_a_new_quiz_in_forms_starts_as_a_draft_and_learners_see_it_once_published(app, org):
    trainer = trainer_client(app, org)
    token, page = page_of(trainer, "/trainer/quizzes/new/forms")
    data = {
        "csrf_token": token,
        "provider": str(org.other_provider.id),
        "id": "Bad Id",
        "title-de": "",
        "pass_mark": "80",
    }
    refused = trainer.post("/trainer/quizzes/new/forms/create", data=data)
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400 and "Choose one of your providers." in text
    assert "'title' is empty" in text and "lowercase slug" in text
    data.update(
        provider=str(org.provider.id),
        id="tax-check",
        **{"title-de": "Steuern", "title-fr": "Impôts"},
    )
    created = trainer.post("/trainer/quizzes/new/forms/create", data=data)
    assert created.status_code == 303 and created.headers["Location"].endswith(
        "/trainer/quizzes/tax-check/draft"
    )
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "tax-check"))
    assert quiz.current_version_id is None
    listed = page_of(trainer, "/trainer/quizzes")[1]
    assert 'href="/trainer/quizzes/tax-check/draft">Steuern</a>' in listed
    assert '<span class="tag">draft</span>' in listed
    # Question forms offer the quiz's languages.
    _, form = page_of(trainer, "/trainer/quizzes/tax-check/draft/questions/new?type=truefalse")
    assert 'name="stem-de"' in form and 'name="stem-fr"' in form and 'name="stem-it"' not in form
    # Learners cannot open a quiz that was never published.
    learner = app.test_client()
    login_as(learner, make_user(org.branch_a1))
    assert learner.get("/quizzes/tax-check").status_code == 404
    add = {
        "csrf_token": token,
        "lock": lock(quiz),
        "type": "truefalse",
        "stem-de": "Ja?",
        "stem-fr": "Oui ?",
        "answer": "true",
        "id": "q-yes",
    }
    assert trainer.post("/trainer/quizzes/tax-check/draft/questions", data=add).status_code == 303
    trainer.post(
        "/trainer/quizzes/tax-check/draft/publish", data={"csrf_token": token, "lock": lock(quiz)}
    )
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).current_version.number == 1
    assert learner.get("/quizzes/tax-check").status_code == 200


def test_a_problem_of_one_row_is_shown_at_that_rows_input(org, trainer):
    quiz = make_quiz(org.provider)
    token, page = page_of(trainer, f"/trainer/quizzes/{quiz.slug}/draft/questions/q-multi")
    form = {
        "csrf_token": token,
        "lock": "0",
        "options-rows": "5",
        "stem-und": "Which documents are needed?",
        "options-1-text-und": "Salary statement",
        "options-1-weight": "50",
        # A blank row in between: the problem must still land on the row the trainer typed.
        "options-3-text-und": "Receipts",
        "options-3-weight": "500",
    }
    reply = trainer.post(f"/trainer/quizzes/{quiz.slug}/draft/questions/q-multi/save", data=form)
    assert reply.status_code == 400
    text = html.unescape(reply.get_data(as_text=True))
    beside = text.split('id="err-options-3-weight"', 1)[1].split("</ul>", 1)[0]
    assert "Question 2 (multiple choice): 'weight' must be between -100 and 100" in beside
    assert 'aria-describedby="err-options-3-weight" aria-invalid="true"' in text
