"""Quiz journeys in Chromium: fail, review, wait out the cool-down, pass; axe scans."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect

from app.people.models import Role
from tests.assessment.quiz_factories import make_quiz
from tests.e2e.browser import app_text, assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

QUIZ = """\
id: e2e-check
title: Contrôle du guichet
pass_mark: 75
attempts: 3
cooldown_minutes: 10
time_limit_minutes: 15
layout: one_per_page
review: after_submit
questions:
  - id: login
    type: single
    stem: Comment la personne se **connecte**-t-elle ?
    explanation: Seule l'eID est acceptée par le canton.
    options:
      - id: eid
        text: Avec son eID
        correct: true
      - id: avs
        text: Avec son numéro AVS
        feedback: Le numéro AVS n'est pas un identifiant.
  - id: cost
    type: numeric
    stem: Combien coûte une lettre papier, en couronnes ?
    answers:
      - value: 8
        tolerance: 0.5
  - id: steps
    type: ordering
    stem: Mettez les étapes dans l'ordre.
    items:
      - id: open
        text: Ouvrir le guichet virtuel
      - id: signin
        text: Se connecter avec l'eID
      - id: fill
        text: Remplir le formulaire
  - id: services
    type: matching
    stem: Associez chaque service à ce qu'il fait.
    pairs:
      - id: mailbox
        prompt: Boîte aux lettres numérique
        match: Reçoit les lettres
      - id: proxy
        prompt: Procuration
        match: Permet à un proche d'agir
    distractors:
      - Paie les impôts
"""


def scan(axe_page: Any, url: str) -> None:
    """Open `url` in the CSP-free scanning context and fail on any axe violation."""
    axe_page.goto(url)
    assert_no_axe_violations(axe_page)


def click_and_wait(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def saved(page: Any, question_id: str, app: Any) -> None:
    """Wait until the autosave of a question reports success."""
    expect(page.locator(f"#q-{question_id}-status")).to_have_text(app_text(app, "Answer saved."))


def next_question(page: Any) -> None:
    click_and_wait(page, 'button[name="go"][value="next"]')


def answer_attempt(page: Any, app: Any, *, right: bool) -> None:
    """Answer the four questions page by page; wrong answers leave the ordering unanswered."""
    page.locator("#q-login-eid" if right else "#q-login-avs").check()
    saved(page, "login", app)
    next_question(page)
    page.locator("#q-cost-input").fill("8,2" if right else "3")
    saved(page, "cost", app)
    next_question(page)
    if right:
        page.locator("#q-steps-open").select_option("1")
        page.locator("#q-steps-signin").select_option("2")
        page.locator("#q-steps-fill").select_option("3")
        saved(page, "steps", app)
        # Taking a position already used swaps the two items: positions stay distinct.
        page.locator("#q-steps-fill").select_option("1")
        expect(page.locator("#q-steps-open")).to_have_value("3")
        page.locator("#q-steps-open").select_option("1")
        expect(page.locator("#q-steps-fill")).to_have_value("3")
        saved(page, "steps", app)
    next_question(page)
    page.locator("#q-services-mailbox").select_option(
        "Reçoit les lettres" if right else "Paie les impôts"
    )
    page.locator("#q-services-proxy").select_option(
        "Permet à un proche d'agir" if right else "Reçoit les lettres"
    )
    saved(page, "services", app)


def test_learner_fails_reviews_waits_out_the_cooldown_and_passes(
    live_server, page, axe_page, js_errors
):
    app = live_server.app
    org = make_org()
    learner = make_user(org.branch_a1, language="fr")
    quiz = make_quiz(org.provider, QUIZ)
    start_url = live_server.url + f"/quizzes/{quiz.slug}"
    sign_in(page, live_server.url, learner.email, PASSWORD)
    sign_in(axe_page, live_server.url, learner.email, PASSWORD)

    page.goto(start_url)
    expect(page.locator("h1")).to_have_text("Contrôle du guichet")
    scan(axe_page, start_url)
    click_and_wait(page, "main form button[type=submit]")
    attempt_url = page.url
    expect(page.locator("fieldset legend")).to_contain_text(
        app_text(app, "Question %(number)s", number=1)
    )
    expect(page.locator("#quiz-timer")).to_have_attribute("role", "timer")
    expect(page.locator("#quiz-timer-value")).to_contain_text("min")
    scan(axe_page, attempt_url)

    # Answers are saved as the learner goes: a reload (a closed tablet) loses nothing.
    page.locator("#q-login-eid").check()
    saved(page, "login", app)
    page.reload()
    expect(page.locator("#q-login-eid")).to_be_checked()
    answer_attempt(page, app, right=False)
    scan(axe_page, attempt_url + "?page=3")

    click_and_wait(page, 'button[name="go"][value="finish"]')
    expect(page.locator(".unanswered li")).to_have_count(1)
    scan(axe_page, page.url)
    click_and_wait(page, "main form button[type=submit]")

    # Failed: the review shows the right answers and the feedback; the cool-down is shown.
    result_url = page.url
    expect(page.locator(".result-summary")).to_contain_text(app_text(app, "Not passed"))
    expect(page.locator("main")).to_contain_text("Le numéro AVS n'est pas un identifiant.")
    expect(page.locator("main")).to_contain_text("Seule l'eID est acceptée par le canton.")
    expect(page.locator("#cooldown")).to_be_visible()
    scan(axe_page, result_url)

    # Ten minutes later (the app's clock moves, not the test's), the next attempt is offered.
    app.config["CLOCK_OFFSET"] = timedelta(minutes=11)
    page.reload()
    expect(page.locator("#cooldown")).to_have_count(0)
    click_and_wait(page, ".result-summary form button[type=submit]")
    assert page.url != attempt_url
    answer_attempt(page, app, right=True)
    click_and_wait(page, 'button[name="go"][value="finish"]')
    expect(page.locator(".unanswered")).to_have_count(0)
    click_and_wait(page, "main form button[type=submit]")
    expect(page.locator(".result-summary")).to_contain_text(app_text(app, "Passed"))
    expect(page.locator(".result-summary h2")).to_contain_text("100")
    assert_no_csp_violations(js_errors)


def test_trainer_pages_pass_axe(live_server, axe_page):
    org = make_org()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider)
    quiz = make_quiz(org.provider, QUIZ)
    sign_in(axe_page, live_server.url, trainer.email, PASSWORD)
    for path in ("", f"/{quiz.slug}/edit", f"/{quiz.slug}/results", f"/{quiz.slug}/gift", "/new"):
        scan(axe_page, live_server.url + "/trainer/quizzes" + path)
    # The preview after "Check and preview", with the answer key details.
    axe_page.goto(live_server.url + f"/trainer/quizzes/{quiz.slug}/edit")
    with axe_page.expect_navigation():
        axe_page.locator('button[name="action"][value="preview"]').click()
    expect(axe_page.locator(".quiz-preview fieldset")).to_have_count(4)
    assert_no_axe_violations(axe_page)
