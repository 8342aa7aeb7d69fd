"""In Chromium: an upload inserts its Markdown at the cursor and keeps the unsaved text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.content.models import Module
from app.extensions import db
from app.people.models import Role
from tests.content.builders import import_paths, tiny_png, write_module
from tests.e2e.browser import assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


def test_an_upload_keeps_the_unsaved_text_and_inserts_its_snippet(
    live_server, new_page, js_errors, tmp_path
):
    org = make_org()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr")
    write_module(
        tmp_path / "lib",
        "guichet",
        languages=("fr",),
        source_language="fr",
        body="## Un\n\nPremière page.\n",
    )
    import_paths([tmp_path / "lib"])
    module_id = db.session.scalar(select(Module.id).where(Module.slug == "guichet"))
    email, base = trainer.email, live_server.url

    page = new_page()
    sign_in(page, base, email, PASSWORD)
    page.goto(f"{base}/authoring/modules/{module_id}/edit/fr")
    box = page.locator("#markdown")
    box.click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nTexte pas encore enregistré.\n")
    typed = box.input_value()
    assert "Texte pas encore enregistré." in typed
    editor_url = page.url

    page.locator("#file").set_input_files(
        {"name": "Écran d'accueil.png", "mimeType": "image/png", "buffer": tiny_png(40, 30)}
    )
    with page.expect_response(lambda r: r.url.endswith("/media")) as uploaded:
        page.locator("#upload-form button[type=submit]").click()
    assert uploaded.value.status == 201
    expect(page.locator("#upload-status")).not_to_be_empty()
    assert page.url == editor_url  # no reload
    text = box.input_value()
    snippet = uploaded.value.json()["snippet"]
    # The typed text is still there, the snippet follows it where the cursor was.
    assert text.startswith(typed) and snippet in text[len(typed) :]
    expect(page.locator('#live-preview img[src*="/media/"]')).to_have_count(1)

    # Leaving now asks first: the text changed since the page was loaded.
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)
    page.locator(".breadcrumb a").first.click()
    expect(page.locator("#markdown")).to_have_value(text)
    assert dialogs == ["beforeunload"]

    # Saving is not leaving: no question, and the saved text keeps the snippet.
    with page.expect_navigation():
        page.locator("#editor-form button[type=submit]").click()
    assert dialogs == ["beforeunload"]
    assert snippet in page.locator("#markdown").input_value()


def test_translation_editor_and_quiz_format_help_have_no_accessibility_violations(
    live_server, axe_page, tmp_path
):
    org = make_org()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr")
    write_module(
        tmp_path / "lib",
        "guichet",
        languages=("fr",),
        source_language="fr",
        body="## Un\n\nPremière page.\n\n## Deux\n\n> [!TIP]\n> Un conseil.\n",
    )
    import_paths([tmp_path / "lib"])
    module_id = db.session.scalar(select(Module.id).where(Module.slug == "guichet"))
    email, base = trainer.email, live_server.url
    sign_in(axe_page, base, email, PASSWORD)
    axe_page.goto(f"{base}/authoring/modules/{module_id}/edit/de")
    expect(axe_page.locator("#source-text details.source-page")).to_have_count(2)
    assert axe_page.locator("#markdown").input_value().startswith("## Un\n")
    assert_no_axe_violations(axe_page)
    axe_page.goto(f"{base}/trainer/quizzes/help")
    expect(axe_page.locator("h1")).to_have_count(1)
    assert_no_axe_violations(axe_page)
