"""Trainer pages: list, YAML editor with line errors and preview, GIFT upload, export, results."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.assessment import drafts
from app.assessment.models import Quiz, QuizVersion
from app.extensions import db
from app.people.models import Role
from app.platform.audit import AuditEvent
from tests.assessment.quiz_factories import make_quiz, quiz_yaml, save, start, submit, token_of
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user

RICH = Path(__file__).resolve().parent / "fixtures" / "rich.gift"
XSS_STEM = '<img src=x onerror="alert(1)"> **bold** <script>alert(2)</script>'


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def trainer(app, org):
    client = app.test_client()
    login_as(client, make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="en"))
    return client


def versions(quiz) -> int:
    return db.session.scalar(
        select(func.count(QuizVersion.id)).where(QuizVersion.quiz_id == quiz.id)
    )


def edit_form(client, quiz):
    page = client.get(f"/trainer/quizzes/{quiz.slug}/edit").get_data(as_text=True)
    return csrf_token_from(page), page


def test_trainers_of_another_provider_get_404_and_learners_403(app, org):
    quiz = make_quiz(org.provider)
    foreign = app.test_client()
    login_as(foreign, make_user(org.branch_a1, Role.TRAINER, provider=org.other_provider))
    token = csrf_token_from(foreign.get("/trainer/quizzes").get_data(as_text=True))
    assert quiz.slug not in foreign.get("/trainer/quizzes").get_data(as_text=True)
    for path in ("edit", "results", "gift"):
        assert foreign.get(f"/trainer/quizzes/{quiz.slug}/{path}").status_code == 404, path
    for path in ("save", "gift/import", "export/yaml", "export/gift"):
        reply = foreign.post(f"/trainer/quizzes/{quiz.slug}/{path}", data={"csrf_token": token})
        assert reply.status_code == 404, path
    learner = app.test_client()
    login_as(learner, make_user(org.branch_a1))
    assert learner.get(f"/trainer/quizzes/{quiz.slug}/edit").status_code == 403
    admin = app.test_client()
    login_as(admin, make_user(org.network, Role.ADMIN))
    assert admin.get(f"/trainer/quizzes/{quiz.slug}/results").status_code == 200


def test_list_links_the_providers_quizzes(org, trainer):
    make_quiz(org.provider)
    page = trainer.get("/trainer/quizzes").get_data(as_text=True)
    assert "All types check" in page and "/trainer/quizzes/check-all/draft" in page
    assert 'href="/trainer/quizzes"' in trainer.get("/home").get_data(as_text=True)


def test_editor_shows_line_errors_and_saves_nothing(org, trainer):
    quiz = make_quiz(org.provider)
    token, page = edit_form(trainer, quiz)
    assert "<textarea" in page and "id: check-all" in page
    broken = quiz_yaml().replace("pass_mark: 60", "pass_mark: 160")
    reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": broken, "base_version": "1", "action": "save"},
    )
    assert reply.status_code == 400
    text = reply.get_data(as_text=True)
    assert "line 3: &#39;pass_mark&#39; must be between 0 and 100" in text
    assert versions(quiz) == 1
    renamed = quiz_yaml("new-id")
    reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": renamed, "base_version": "1", "action": "save"},
    )
    assert reply.status_code == 400 and "the quiz id cannot change" in reply.get_data(as_text=True)


def test_yaml_preview_renders_sanitised_questions_and_import_makes_a_draft(org, trainer):
    quiz = make_quiz(org.provider)
    token, _ = edit_form(trainer, quiz)
    source = quiz_yaml().replace(
        "stem: Which log-in does the canton accept?", f"stem: '{XSS_STEM}'"
    )
    preview = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": source, "base_version": "0", "action": "preview"},
    )
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "<strong>bold</strong>" in text
    assert "onerror" not in text.split("</textarea>", 1)[1]
    assert "<script>alert(2)" not in text
    assert "Answer key of question 1" in text and versions(quiz) == 1
    saved = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": source, "base_version": "0", "action": "save"},
    )
    # The import is a draft: learners still get version 1 until it is published.
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/draft")
    assert versions(quiz) == 1
    draft = drafts.draft_of(db.session, quiz)
    assert draft is not None and XSS_STEM in str(draft.definition)
    # A form shown before that import cannot overwrite the draft silently.
    stale = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/save",
        data={"csrf_token": token, "source": quiz_yaml(), "base_version": "0", "action": "save"},
    )
    assert stale.status_code == 409 and versions(quiz) == 1
    # The YAML page now shows the draft, ready to export or change again.
    assert "onerror" in edit_form(trainer, quiz)[1].split("</textarea>", 1)[0]


def test_new_quiz_is_created_for_the_trainers_provider(org, trainer):
    page = trainer.get("/trainer/quizzes/new").get_data(as_text=True)
    token = csrf_token_from(page)
    data = {"csrf_token": token, "source": quiz_yaml("brand-new"), "action": "save"}
    foreign = dict(data, provider=str(org.other_provider.id))
    assert trainer.post("/trainer/quizzes/create", data=foreign).status_code == 400
    created = trainer.post(
        "/trainer/quizzes/create", data=dict(data, provider=str(org.provider.id))
    )
    assert created.status_code == 303
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == "brand-new"))
    assert quiz.provider_id == org.provider.id
    # Created as a draft: nothing for learners until it is published.
    assert quiz.current_version_id is None and drafts.draft_of(db.session, quiz) is not None
    again = trainer.post("/trainer/quizzes/create", data=dict(data, provider=str(org.provider.id)))
    assert again.status_code == 400
    assert "there is already a quiz with the id" in again.get_data(as_text=True)


def test_gift_upload_previews_then_imports(org, trainer):
    quiz = make_quiz(org.provider)
    token = csrf_token_from(
        trainer.get(f"/trainer/quizzes/{quiz.slug}/gift").get_data(as_text=True)
    )
    preview = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/gift/import",
        data={
            "csrf_token": token,
            "action": "preview",
            "language": "",
            "gift_file": (io.BytesIO(RICH.read_bytes()), "rich.gift"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "line 27: essay questions are not supported by the platform and are skipped" in text
    assert "Import 6 questions" in text and versions(quiz) == 1
    hidden = text.split('name="gift_text"', 1)[1]
    gift_text = hidden.split('value="', 1)[1].split('"', 1)[0]
    import html

    imported = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/gift/import",
        data={
            "csrf_token": token,
            "action": "import",
            "language": "",
            "gift_text": html.unescape(gift_text),
        },
    )
    assert imported.status_code == 303, imported.get_data(as_text=True)
    # The questions land in the draft; learners keep version 1 until it is published.
    assert versions(quiz) == 1
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    definition = drafts.working_definition(quiz, drafts.draft_of(db.session, quiz))
    assert len(definition.questions) == 7 + 6


def test_gift_errors_block_the_import_and_big_files_are_refused(org, trainer):
    quiz = make_quiz(org.provider)
    token = csrf_token_from(
        trainer.get(f"/trainer/quizzes/{quiz.slug}/gift").get_data(as_text=True)
    )
    broken = "::a:: Fine {T}\n\n::b:: How many? {#}\n"
    reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/gift/import",
        data={"csrf_token": token, "action": "import", "language": "", "gift_text": broken},
    )
    assert reply.status_code == 400
    assert "line 3: No answers found for numerical question" in reply.get_data(as_text=True)
    assert versions(quiz) == 1
    big = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/gift/import",
        data={
            "csrf_token": token,
            "action": "preview",
            "language": "",
            "gift_file": (io.BytesIO(b"x" * (600 * 1024)), "big.gift"),
        },
        content_type="multipart/form-data",
    )
    assert big.status_code == 400
    assert "at most 512 KB" in big.get_data(as_text=True)


def test_exports_download_and_are_audited(org, trainer):
    quiz = make_quiz(org.provider)
    token, _ = edit_form(trainer, quiz)
    yaml_reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/export/yaml", data={"csrf_token": token}
    )
    assert yaml_reply.status_code == 200
    assert "attachment" in yaml_reply.headers["Content-Disposition"]
    assert yaml_reply.get_data(as_text=True).startswith("id: check-all\n")
    gift_reply = trainer.post(
        f"/trainer/quizzes/{quiz.slug}/export/gift", data={"csrf_token": token, "language": "en"}
    )
    assert "::q-single::" in gift_reply.get_data(as_text=True)
    assert trainer.get(f"/trainer/quizzes/{quiz.slug}/export/yaml").status_code == 405
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "quiz.exported"))
    assert sorted(e.details["format"] for e in events) == ["gift", "yaml"]


def test_results_show_attempts_pass_rate_and_facility(app, org, trainer):
    from tests.assessment.quiz_factories import RIGHT, WRONG

    quiz = make_quiz(org.provider)
    for answers in (RIGHT, WRONG):
        client = app.test_client()
        login_as(client, make_user(org.branch_a1, language="en"))
        attempt_id = start(client, quiz)
        token = token_of(client, attempt_id)
        for question_id, response in answers.items():
            save(client, attempt_id, token, question_id, response)
        submit(client, attempt_id, token)
    page = trainer.get(f"/trainer/quizzes/{quiz.slug}/results").get_data(as_text=True)
    assert "Submitted attempts" in page
    assert page.count("50%") >= 8  # pass rate, average score and 7 questions at 50 % facility
    assert "q-single" in page and "Which log-in does the canton accept?" in page
