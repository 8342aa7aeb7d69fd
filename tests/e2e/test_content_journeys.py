"""Content journeys in Chromium: a trainer writes and publishes, a learner finds, reads, resumes.

Also axe-core on every content page (catalogue, module, reader, summary, editor, history, diff).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.content.models import MediaFile, Module, ModuleDraft, ReadingPosition
from app.extensions import db
from app.people.models import Role
from tests.content.builders import import_paths, module_text, tiny_png, write_module
from tests.e2e.browser import (
    assert_no_axe_violations,
    assert_no_csp_violations,
    scroll_width,
    sign_in,
    sign_out,
)
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

MARKDOWN = """## Premiers pas

Bonjour **tout le monde**.

> [!TIP]
> Laissez la personne taper elle-même.

## Deuxième page

Le guichet virtuel en quelques étapes.

```steps
Ouvrir le site
Cliquer sur « Créer un compte »
```

## Troisième page

Fin du module.
"""


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


def test_trainer_writes_previews_uploads_and_publishes_then_a_learner_resumes(
    live_server, new_page, js_errors, tmp_path
):
    org = make_org()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr")
    learner = make_user(org.branch_a2, language="fr")
    trainer_email, learner_email, provider_id = trainer.email, learner.email, org.provider.id
    base = live_server.url

    # --- the trainer creates a module and writes it with the live preview
    page = new_page()
    sign_in(page, base, trainer_email, PASSWORD)
    page.goto(base + "/authoring/modules")
    page.locator('a[href="/authoring/modules/new"]').click()
    page.locator("#slug").fill("guichet-premiers-pas")
    page.locator("#title").fill("Guichet virtuel : premiers pas")
    page.locator("#provider").select_option(str(provider_id))
    page.locator("#source_language").select_option("fr")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert re.search(r"/authoring/modules/\d+/edit/fr$", page.url), page.url
    editor_url = page.url

    page.locator("#summary").fill("Aider une personne à se connecter la première fois.")
    page.locator("#tags").fill("guichet, compte")
    with page.expect_response(lambda r: r.url.endswith("/preview")) as previewed:
        page.locator("#markdown").fill(MARKDOWN)
    assert previewed.value.status == 200
    preview = page.locator("#live-preview")
    expect(preview.locator("strong")).to_have_text("tout le monde")
    expect(preview.locator("aside.callout-tip")).to_contain_text("Laissez la personne")
    expect(preview.locator("ol.steps li")).to_have_count(2)
    with page.expect_navigation():
        page.locator("#editor-form button[type=submit]").click()
    expect(page.locator(".flash-success")).to_have_count(1)

    # --- an image upload; the editor inserts its Markdown at the cursor, without reloading
    page.locator("#markdown").evaluate(
        "(box, after) => { const at = box.value.indexOf(after) + after.length;"
        " box.focus(); box.setSelectionRange(at, at); }",
        "Bonjour **tout le monde**.",
    )
    page.locator("#file").set_input_files(
        {"name": "Écran de connexion.png", "mimeType": "image/png", "buffer": tiny_png(40, 30)}
    )
    with page.expect_response(lambda r: r.url.endswith("/media")) as uploaded:
        page.locator('form[enctype="multipart/form-data"] button[type=submit]').click()
    snippet = uploaded.value.json()["snippet"]
    assert snippet == "![Ecran de connexion](media/ecran-de-connexion.png)"
    assert f"Bonjour **tout le monde**.\n{snippet}\n" in page.locator("#markdown").input_value()
    picture = preview.locator('img[alt="Ecran de connexion"]')
    expect(picture).to_have_count(1)
    page.wait_for_function("() => document.querySelector('#live-preview img').naturalWidth > 0")
    with page.expect_navigation():
        page.locator("#editor-form button[type=submit]").click()

    # --- the page on a tablet-sized frame
    page.locator(".toc a").first.click()
    frame = page.locator(".tablet-frame")
    box = frame.bounding_box()
    assert box is not None and 760 <= box["width"] <= 770, box
    expect(frame.locator("img")).to_have_count(1)
    expect(frame.locator(".reader-title")).to_have_text("Premiers pas")
    page.goto(editor_url)

    # --- publish a first version
    page.locator(".breadcrumb a").nth(1).click()
    page.locator("#change_note").fill("Première version")
    page.locator("#change_kind-0").check()
    with page.expect_navigation():
        page.locator("#publish button[type=submit]").click()
    expect(page.locator(".flash-success")).to_contain_text("1")
    sign_out(page)

    db.session.expire_all()
    module = db.session.scalar(select(Module).where(Module.slug == "guichet-premiers-pas"))
    assert module.current_version is not None and module.current_version.number == 1
    assert db.session.scalar(select(ModuleDraft)) is None
    assert db.session.scalar(select(MediaFile)).original_name == "media/ecran-de-connexion.png"

    # --- a learner finds it by searching, reads two pages, leaves and comes back
    reader = new_page()
    sign_in(reader, base, learner_email, PASSWORD)
    reader.goto(base + "/modules")
    reader.locator("#q").fill("guichet")
    with reader.expect_navigation():
        reader.locator("form.search button[type=submit]").click()
    result = reader.locator('.module-card a[href="/modules/guichet-premiers-pas"]')
    expect(result).to_have_text("Guichet virtuel : premiers pas")
    result.click()
    reader.locator('.actions a[href="/modules/guichet-premiers-pas/pages/1"]').click()
    expect(reader.locator(".reader-title")).to_have_text("Premiers pas")
    expect(reader.locator(".page-content img")).to_have_count(1)
    reader.wait_for_function("() => document.querySelector('.page-content img').naturalWidth > 0")
    expect(reader.locator("#reader-progress")).to_have_attribute("value", "1")

    # The arrow keys work once the reader's deferred script has run: "load" comes after it
    # (pressing earlier, on a loaded machine, was a race the test sometimes lost).
    reader.wait_for_load_state("load")
    with reader.expect_navigation():
        reader.keyboard.press("ArrowRight")  # the keyboard moves on (and records the page)
    expect(reader.locator(".reader-title")).to_have_text("Deuxième page")
    with reader.expect_navigation():
        reader.locator("[data-next-page]").click()
    expect(reader.locator(".reader-title")).to_have_text("Troisième page")
    reader.wait_for_load_state("load")
    with reader.expect_navigation():
        reader.keyboard.press("ArrowLeft")  # back to page 2: reading only, nothing recorded
    expect(reader.locator(".reader-title")).to_have_text("Deuxième page")

    reader.goto(base + "/home")  # leave
    db.session.expire_all()
    position = db.session.scalar(select(ReadingPosition))
    assert position.position == 2  # 0-based: the third page

    continue_link = reader.locator(".continue-list a")
    expect(continue_link).to_have_text("Guichet virtuel : premiers pas")
    reader.goto(base + "/modules/guichet-premiers-pas")
    resume = reader.locator('.actions a[href="/modules/guichet-premiers-pas/pages/3"]')
    expect(resume).to_have_count(1)
    resume.click()
    expect(reader.locator(".reader-title")).to_have_text("Troisième page")
    expect(reader.locator("#reader-progress")).to_have_attribute("value", "3")
    assert_no_csp_violations(js_errors)


def test_reader_links_work_without_javascript(live_server, new_page, tmp_path):
    org = make_org()
    write_module(tmp_path, "sans-js", languages=("fr",), pages=3)
    import_paths([tmp_path])
    email = make_user(org.branch_a1, language="fr").email
    page = new_page(java_script_enabled=False)
    sign_in(page, live_server.url, email, PASSWORD)
    page.goto(live_server.url + "/modules/sans-js/pages/1")
    with page.expect_navigation():
        page.locator("[data-next-page]").click()
    assert page.url.endswith("/modules/sans-js/pages/2")
    with page.expect_navigation():
        page.locator('.reader-nav a[rel="prev"]').click()
    assert page.url.endswith("/modules/sans-js/pages/1")


def _axe_library(root: Path) -> None:
    """A module with two versions (so there is a diff), media, call-outs, steps and a table."""
    body = (
        "## Avant de commencer\n\n![Page de connexion](media/login.png)\n\n"
        "> [!SAY]\n> « Vous allez recevoir un code. »\n\n"
        "| Il faut | Pourquoi |\n|---|---|\n| Un e-mail | Pour les codes |\n\n"
        "## Les étapes\n\n```steps\nOuvrir le site\nSe connecter\n```\n\n"
        "> [!WARNING]\n> Ne tapez jamais le mot de passe à sa place.[^1]\n\n"
        "[^1]: Même si la personne le demande.\n"
    )
    write_module(
        root,
        "connexion",
        languages=("fr", "de"),
        source_language="fr",
        media={"media/login.png": tiny_png(60, 40)},
        body=body,
        texts={
            "de": module_text(
                "connexion", "de", source_language="fr", body=body.replace("commencer", "Start")
            )
        },
    )


def _scan(page: Any, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert_no_axe_violations(page)


def test_content_pages_have_no_accessibility_violations(live_server, axe_page, tmp_path):
    org = make_org()
    _axe_library(tmp_path)
    import_paths([tmp_path])
    write_module(
        tmp_path,
        "connexion",
        languages=("fr",),
        source_language="fr",
        media={"media/login.png": tiny_png(60, 40)},
        body="## Avant de commencer\n\nNouveau texte.\n\n## Fin\n\nMerci.\n",
    )
    import_paths([tmp_path])
    learner = make_user(org.branch_a1, language="fr").email
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr").email
    module_id = db.session.scalar(select(Module.id).where(Module.slug == "connexion"))
    base = live_server.url

    sign_in(axe_page, base, learner, PASSWORD)
    for path in (
        "/modules",
        "/modules?q=connexion",
        "/modules/connexion",
        "/modules/connexion/pages/1",
        "/modules/connexion/pages/2",
        "/modules/connexion/summary",
        "/home",
    ):
        _scan(axe_page, base + path)
    sign_out(axe_page)

    sign_in(axe_page, base, trainer, PASSWORD)
    for path in (
        "/authoring/modules",
        "/authoring/modules/new",
        f"/authoring/modules/{module_id}",
        f"/authoring/modules/{module_id}/edit/fr",
        f"/authoring/modules/{module_id}/edit/de",
        f"/authoring/modules/{module_id}/edit/fr/pages/1",
        f"/authoring/modules/{module_id}/versions",
        f"/authoring/modules/{module_id}/diff?old=1&new=2&lang=fr",
    ):
        _scan(axe_page, base + path)


def test_content_pages_reflow_at_320_css_pixels(live_server, new_page, tmp_path):
    org = make_org()
    _axe_library(tmp_path)
    import_paths([tmp_path])
    learner = make_user(org.branch_a1, language="fr").email
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr").email
    module_id = db.session.scalar(select(Module.id).where(Module.slug == "connexion"))
    base = live_server.url
    page = new_page(viewport={"width": 320, "height": 640})
    too_wide = []
    for email, paths in (
        (
            learner,
            [
                "/modules",
                "/modules/connexion",
                "/modules/connexion/pages/1",
                "/modules/connexion/pages/2",
                "/modules/connexion/summary",
            ],
        ),
        (
            trainer,
            [
                "/authoring/modules",
                f"/authoring/modules/{module_id}",
                f"/authoring/modules/{module_id}/edit/fr",
                f"/authoring/modules/{module_id}/edit/fr/pages/1",
            ],
        ),
    ):
        sign_in(page, base, email, PASSWORD)
        for path in paths:
            page.goto(base + path)
            if scroll_width(page) > 320:
                too_wide.append(f"{path}: {scroll_width(page)} px")
        sign_out(page)
    assert too_wide == []
