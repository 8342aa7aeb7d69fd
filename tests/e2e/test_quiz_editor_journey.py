"""The quiz editor in Chromium: a trainer builds a quiz in forms, reorders, previews and
publishes it; a learner then takes the published version. axe scans the editor's pages.

`SCREENSHOTS=1` also saves the editor page to docs/screenshot-quiz-editor.png.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from app.people.models import Role
from tests.e2e.browser import app_text, assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-quiz-editor.png"


def go(page: Any, selector: str) -> None:
    """Click something that loads a new page, and wait for it."""
    with page.expect_navigation():
        page.locator(selector).click()


def scan(axe_page: Any, url: str) -> None:
    axe_page.goto(url)
    assert_no_axe_violations(axe_page)


def add_question(page: Any, kind: str) -> None:
    page.locator("#new-type").select_option(kind)
    go(page, "form.add-question button[type=submit]")


def test_trainer_builds_a_quiz_in_forms_and_a_learner_takes_the_published_version(
    live_server, page, new_page, axe_page, js_errors
):
    app = live_server.app
    org = make_org()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr")
    learner = make_user(org.branch_a1, language="fr")
    sign_in(page, live_server.url, trainer.email, PASSWORD)
    sign_in(axe_page, live_server.url, trainer.email, PASSWORD)

    # A new quiz: its id, its title in French; the questions come next.
    page.goto(live_server.url + "/trainer/quizzes")
    go(page, 'a[href$="/trainer/quizzes/new/forms"]')
    scan(axe_page, page.url)
    page.locator("#f-id").fill("guichet-formulaire")
    page.locator("#f-title-fr").fill("Contrôle du guichet")
    page.locator("#f-pass_mark").fill("75")
    go(page, "main form button[type=submit]")
    editor_url = page.url
    assert editor_url.endswith("/trainer/quizzes/guichet-formulaire/draft")

    # A single-choice question; saving it without a right answer is refused beside the options.
    add_question(page, "single")
    expect(page.locator("#f-stem-fr")).to_be_visible()
    expect(page.locator("#f-stem-de")).to_have_count(0)
    page.locator("#f-id").fill("login")
    page.locator("#f-stem-fr").fill("Comment la personne se **connecte**-t-elle ?")
    page.locator("#f-options-1-text-fr").fill("Avec son eID")
    page.locator("#f-options-2-text-fr").fill("Avec son numéro AVS")
    page.locator("#f-options-2-feedback-fr").fill("Le numéro AVS n'est pas un identifiant.")
    go(page, 'button.button-primary[name="action"][value="save"]')
    reason = app_text(
        app, "a single-choice question needs exactly one correct option, found %(n)s", n=0
    )
    named = app_text(app, "Question %(number)s (%(type)s): %(message)s") % {
        "number": 1,
        "type": app_text(app, "single choice"),
        "message": reason,
    }
    expect(page.locator("#err-options")).to_contain_text(named)
    expect(page.locator("#f-options-2-text-fr")).to_have_value("Avec son numéro AVS")
    page.locator("#f-correct-1").check()
    go(page, 'button.button-primary[name="action"][value="save"]')
    assert page.url.startswith(editor_url)

    # A numeric question with a tolerance typed with a decimal comma.
    add_question(page, "numeric")
    page.locator("#f-id").fill("cost")
    page.locator("#f-stem-fr").fill("Combien coûte une lettre papier, en couronnes ?")
    page.locator("#f-answers-1-value").fill("8")
    page.locator("#f-answers-1-tolerance").fill("0,5")
    # Enter in a field saves (the form's default button), it does not add rows.
    with page.expect_navigation():
        page.locator("#f-answers-1-tolerance").press("Enter")
    rows = page.locator("table.draft-questions tbody tr")
    expect(rows).to_have_count(2)

    # Reorder: the numeric question moves up, with a plain form (no script needed).
    go(page, '#row-cost button[name="direction"][value="up"]')
    expect(rows.nth(0)).to_contain_text("Combien coûte une lettre papier")
    expect(rows.nth(1)).to_contain_text("Comment la personne se connecte")
    scan(axe_page, editor_url)
    scan(axe_page, live_server.url + "/trainer/quizzes/guichet-formulaire/draft/questions/login")
    scan(axe_page, live_server.url + "/trainer/quizzes/guichet-formulaire/draft/settings")
    if os.environ.get("SCREENSHOTS") == "1":
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The learner preview shows the questions without any key; the key preview is marked.
    go(page, 'a[href$="/draft/preview"]')
    expect(page.locator(".quiz-preview fieldset.question")).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text("Le numéro AVS n'est pas un identifiant.")
    scan(axe_page, page.url)
    scan(axe_page, page.url + "?key=1")
    page.goto(editor_url)

    # Nothing is live before publishing.
    learner_page = new_page()
    sign_in(learner_page, live_server.url, learner.email, PASSWORD)
    reply = learner_page.goto(live_server.url + "/quizzes/guichet-formulaire")
    assert reply.status == 404
    go(page, "form[action$='/draft/publish'] button[type=submit]")
    expect(page.locator("main")).to_contain_text(
        app_text(app, "Published as version %(number)s.", number=1)
    )

    # The learner takes version 1: the numeric question first, as reordered.
    learner_page.goto(live_server.url + "/quizzes/guichet-formulaire")
    expect(learner_page.locator("h1")).to_have_text("Contrôle du guichet")
    go(learner_page, "main form button[type=submit]")
    legends = learner_page.locator("fieldset.question")
    expect(legends.nth(0)).to_contain_text("Combien coûte une lettre papier")
    learner_page.locator("#q-cost-input").fill("8,2")
    learner_page.get_by_label("Avec son eID").check()
    expect(learner_page.locator("#q-login-status")).to_have_text(app_text(app, "Answer saved."))
    learner_page.locator("#q-cost-input").blur()
    expect(learner_page.locator("#q-cost-status")).to_have_text(app_text(app, "Answer saved."))
    go(learner_page, 'button[name="go"][value="finish"]')
    go(learner_page, "main form button[type=submit]")
    expect(learner_page.locator(".result-summary")).to_contain_text(app_text(app, "Passed"))
    assert_no_csp_violations(js_errors)
