"""Job-aid pages on real shipped modules: languages, most-missed points, permissions, poster."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from app.assessment.attempts import save_answer, start_attempt, submit_attempt
from app.assessment.operations import save_quiz_definition
from app.assessment.questions import Option, Question
from app.assessment.questions import Quiz as QuizDefinition
from app.content.models import Module
from app.extensions import db
from app.job_aids.queries import MIN_LEARNERS_FOR_MISSED_POINTS, most_missed_points
from app.people.models import Role
from tests.campaigns.builders import make_campaign
from tests.conftest import app_text, login_as
from tests.content.builders import COURSES, import_paths
from tests.factories import make_org, make_user
from tests.job_aids.helpers import decode_matrix, svg_matrix

T0 = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
TAX = "declaration-impot-en-ligne"
ACCOUNT = "guichet-virtuel-compte"
JOB_AID = f"/modules/{TAX}/job-aid"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    app_config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Zurich"
    return app_config


@pytest.fixture
def org(app):
    org = make_org()
    import_paths([COURSES / TAX, COURSES / ACCOUNT])
    return org


def module(slug: str) -> Module:
    return db.session.query(Module).filter_by(slug=slug).one()


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_learner_prints_the_steps_and_say_box_with_a_qr_code_of_the_module(client, org):
    login_as(client, make_user(org.branch_a1, language="fr"))
    html = text_of(client.get(JOB_AID))
    assert "La personne se connecte elle-même au Guichet virtuel avec son compte" in html
    assert "Elle se déconnecte" in html
    assert "Je peux vous montrer où le mettre" in html
    assert "<svg " in html and 'viewBox="0 0 ' in html
    assert f"http://localhost/modules/{TAX}</span>" in html
    assert 'lang="fr-CH"' in html and "À dire à la clientèle" in html
    # A page without points (the introduction) is not on the sheet; tips stay in the module.
    assert "Mars, le mois de la déclaration" not in html
    assert "Début mars, affichez au guichet" not in html


def test_the_branch_language_is_chosen_with_lang_and_the_page_speaks_it(client, org):
    login_as(client, make_user(org.branch_a1, Role.MANAGER, language="fr"))
    html = text_of(client.get(JOB_AID + "?lang=de"))
    assert 'lang="de-CH"' in html
    assert "Die Person meldet sich selbst mit ihrem Konto am virtuellen Schalter an" in html
    assert "Ich kann Ihnen zeigen, wo Sie es eintragen." in html
    assert "Der Kundschaft sagen" in html  # the say-box title, in German too
    assert "Je peux vous montrer" not in html
    # A language the module lacks falls back as the reader does (the source language).
    italian = text_of(client.get(JOB_AID + "?lang=it"))
    assert "La personne se connecte elle-même" in italian
    three = text_of(client.get(f"/modules/{ACCOUNT}/job-aid?lang=it"))
    assert 'lang="it-CH"' in three and 'hreflang="de"' in three and 'hreflang="fr"' in three


def test_an_unknown_language_is_refused_with_a_message_naming_it(client, org):
    login_as(client, make_user(org.branch_a1))
    response = client.get(JOB_AID + "?lang=xx")
    assert response.status_code == 400
    assert "“xx”" in response.get_data(as_text=True)
    assert "lang=" in response.get_data(as_text=True)


def test_unknown_draft_and_archived_modules_are_404(client, org):
    login_as(client, make_user(org.branch_a1, Role.TRAINER, provider=org.provider))
    assert client.get("/modules/no-such-module/job-aid").status_code == 404
    from app.content.models import ModuleStatus

    module(ACCOUNT).status = ModuleStatus.ARCHIVED
    db.session.commit()
    assert client.get(f"/modules/{ACCOUNT}/job-aid").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, org):
    response = client.get(JOB_AID)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_module_page_links_to_the_job_aid_for_staff_only(client, org):
    login_as(client, make_user(org.branch_a1))
    assert "/job-aid" not in text_of(client.get(f"/modules/{TAX}"))
    login_as(client, make_user(org.branch_a1, Role.MANAGER))
    page = text_of(client.get(f"/modules/{TAX}"))
    assert f'href="/modules/{TAX}/job-aid?lang=en' not in page  # the module has no English
    assert re.search(rf'href="/modules/{TAX}/job-aid\?lang=fr"', page)


# --- the most-missed points ------------------------------------------------------------------


def make_quiz(module_id: int, provider_id: int):
    """A quiz with a hard question (explanation), a medium one (right option's feedback), an
    easy one, and one everyone misses that has no text from the trainer."""

    def single(qid: str, stem: str, *, explanation=None, feedback=None) -> Question:
        return Question(
            id=qid,
            type="single",
            stem={"fr": stem, "de": stem + " (de)"},
            explanation=explanation or {},
            options=(
                Option(id="a", text={"fr": "Juste"}, correct=True, feedback=feedback or {}),
                Option(id="b", text={"fr": "Faux"}),
            ),
        )

    definition = QuizDefinition(
        id="tax-check",
        title={"fr": "Contrôle"},
        pass_mark=50,
        questions=(
            single(
                "hard",
                "Qui dit ce qui est **déductible** ?",
                explanation={"fr": "Le *Service des contributions*, jamais le guichet."},
            ),
            single("medium", "Qui tape les montants ?", feedback={"fr": "La personne elle-même."}),
            single("easy", "Qui se connecte ?", explanation={"fr": "La personne."}),
            single("silent", "Question sans explication ?"),
        ),
    )
    quiz, _version = save_quiz_definition(
        db.session, definition, provider_id=provider_id, module_id=module_id, now=T0
    )
    db.session.commit()
    return quiz


def take(user, quiz, wrong: set[str], now: datetime) -> None:
    attempt, _new = start_attempt(db.session, user.id, quiz, now=now)
    for question_id in attempt.question_ids:
        answer = "b" if question_id in wrong else "a"
        save_answer(db.session, attempt, question_id, answer, now=now + timedelta(seconds=30))
    submit_attempt(db.session, attempt, now=now + timedelta(minutes=1))
    db.session.commit()


def quiz_taken_by(org, learners: int):
    quiz = make_quiz(module(TAX).id, org.provider.id)
    for n in range(learners):
        wrong = {"silent"}
        if n < 8:
            wrong.add("hard")
        if n < 4:
            wrong.add("medium")
        take(make_user(org.branch_a2), quiz, wrong, T0 + timedelta(hours=n))
    return quiz


def test_most_missed_points_are_the_trainers_texts_hardest_first(app, org):
    quiz_taken_by(org, MIN_LEARNERS_FOR_MISSED_POINTS)
    missed = most_missed_points(db.session, module(TAX).id, "fr")
    assert missed.learners == MIN_LEARNERS_FOR_MISSED_POINTS and missed.has_enough_learners
    assert [(p.question, p.point, p.facility) for p in missed.points] == [
        (
            "Qui dit ce qui est déductible ?",
            "Le Service des contributions, jamais le guichet.",
            0.2,
        ),
        ("Qui tape les montants ?", "La personne elle-même.", 0.6),
    ]


def test_below_the_threshold_the_section_is_left_out_and_the_threshold_is_stated(client, org):
    quiz_taken_by(org, MIN_LEARNERS_FOR_MISSED_POINTS - 1)
    missed = most_missed_points(db.session, module(TAX).id, "fr")
    assert missed.points == () and not missed.has_enough_learners
    login_as(client, make_user(org.branch_a1, Role.TRAINER, provider=org.provider))
    html = text_of(client.get(JOB_AID))
    assert "Qui dit ce qui est" not in html and 'class="sheet-missed"' not in html
    hint = app_text(
        client.application,
        "The quiz points most often missed are printed once %(num)d person has taken the quiz.",
        "fr",
        plural="The quiz points most often missed are printed once %(num)d people have taken "
        "the quiz.",
        num=MIN_LEARNERS_FOR_MISSED_POINTS,
    )
    assert hint in html


def test_staff_see_the_missed_points_and_learners_do_not(client, org):
    quiz_taken_by(org, 12)
    manager = make_user(org.branch_a1, Role.MANAGER)
    login_as(client, manager)
    html = text_of(client.get(JOB_AID))
    section = html.split('class="sheet-missed"')[1].split("</section>")[0]
    assert "Qui dit ce qui est déductible ?" in section
    assert "Le Service des contributions, jamais le guichet." in section
    assert "Question sans explication" not in section and "Qui se connecte" not in section
    # Aggregate texts only: nobody who took the quiz is named.
    assert "First" not in section and "@example.org" not in section
    login_as(client, make_user(org.branch_a1))
    learner_view = text_of(client.get(JOB_AID))
    assert "sheet-missed" not in learner_view and "Qui dit ce qui est" not in learner_view


# --- campaign posters --------------------------------------------------------------------------


@pytest.fixture
def campaign(org):
    return make_campaign(
        owner_unit=org.region_a,
        modules=[module(TAX)],
        optional=[module(ACCOUNT)],
        units=[org.region_a],
    )


def test_a_manager_prints_the_poster_with_due_date_modules_and_qr(client, org, campaign):
    login_as(client, make_user(org.branch_a1, Role.MANAGER, scope_unit=org.region_a))
    detail = text_of(client.get(f"/campaigns/{campaign.id}"))
    assert f'href="/campaigns/{campaign.id}/poster"' in detail
    html = text_of(client.get(f"/campaigns/{campaign.id}/poster?lang=fr"))
    assert "Déclaration d&#39;impôt 2027" in html
    assert "1 mars 2027" in html  # the due date, in French
    assert "La déclaration d&#39;impôt en ligne, pas à pas" in html
    assert "facultatif" in html or "optional" in html
    assert f"http://localhost/my-campaigns#campaign-{campaign.id}" in html
    assert "<svg " in html
    german = text_of(client.get(f"/campaigns/{campaign.id}/poster?lang=de"))
    assert "Steuererklärung 2027" in german and 'lang="de-CH"' in german


def test_a_manager_whose_units_the_audience_reaches_may_print_the_poster(client, org, campaign):
    login_as(client, make_user(org.branch_a2, Role.MANAGER))
    assert client.get(f"/campaigns/{campaign.id}/poster").status_code == 200


@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 403), ("other_manager", 404), ("other_trainer", 404)],
)
def test_posters_are_refused_outside_the_campaign(client, org, campaign, who, status):
    users = {
        "learner": lambda: make_user(org.branch_a1),
        "other_manager": lambda: make_user(org.branch_b1, Role.MANAGER),
        "other_trainer": lambda: make_user(
            org.branch_a1, Role.TRAINER, provider=org.other_provider
        ),
    }
    login_as(client, users[who]())
    assert client.get(f"/campaigns/{campaign.id}/poster").status_code == status
    assert client.get("/campaigns/99999/poster").status_code in (403, 404)


# --- the QR code as served ---------------------------------------------------------------------


def test_the_served_qr_code_opens_the_public_address_not_the_requests_host(app, client, org):
    app.config["PUBLIC_BASE_URL"] = "https://ready.example.ch"
    login_as(client, make_user(org.branch_a1))
    html = text_of(client.get(JOB_AID))  # asked for at http://localhost
    figure = html.split('class="sheet-qr"')[1].split("</figure>")[0]
    assert decode_matrix(svg_matrix(figure)) == [f"https://ready.example.ch/modules/{TAX}"]
    assert "localhost" not in figure
