"""Browser journey: the live preview flags jargon; the trainer keeps a word for one module.

Also axe-core and 320-pixel reflow on the glossary pages and a module's plain-language check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.content.models import Module
from app.extensions import db
from app.people.models import Role
from app.plain_language.models import GlossaryEntry
from app.plain_language.operations import load_shipped_glossaries
from app.timekeeping import clock
from tests.content.builders import import_paths, module_text, write_module
from tests.e2e.browser import assert_no_axe_violations, scroll_width, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

BODY = "## Vos impôts\n\nVous recevez l'avis de taxation en mai. Vous êtes assujetti.\n"


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


def _library(root: Path) -> None:
    write_module(
        root,
        "impots",
        languages=("fr",),
        source_language="fr",
        texts={"fr": module_text("impots", "fr", source_language="fr", body=BODY)},
    )


def _setup(tmp_path):
    org = make_org()
    _library(tmp_path)
    import_paths([tmp_path])
    load_shipped_glossaries(db.session, now=clock.now())
    db.session.commit()
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr")
    module_id = db.session.scalar(select(Module.id).where(Module.slug == "impots"))
    entry_id = db.session.scalar(select(GlossaryEntry.id).order_by(GlossaryEntry.id))
    return org, trainer.email, module_id, entry_id


def test_the_preview_flags_jargon_and_a_word_kept_for_the_module_goes_quiet(
    live_server, new_page, js_errors, tmp_path
):
    _, trainer, module_id, _ = _setup(tmp_path)
    base = live_server.url
    page = new_page()
    sign_in(page, base, trainer, PASSWORD)
    page.goto(f"{base}/authoring/modules/{module_id}/edit/fr")
    remarks = page.locator("#preview-warnings")
    expect(remarks).to_contain_text("assujetti")
    with page.expect_response(lambda r: r.url.endswith("/preview")) as previewed:
        page.locator("#markdown").fill("## Délais\n\nPayez avant l'échéance.\n")
    assert previewed.value.status == 200
    expect(remarks).to_contain_text("échéance")
    expect(remarks).to_contain_text("date à laquelle il faut payer")
    expect(remarks).not_to_contain_text("assujetti")
    expect(remarks).to_contain_text("Kandel-Moles")

    page.locator(f'a[href="/plain-language/modules/{module_id}"]').click()
    expect(page.locator("h1")).to_have_count(1)
    keep = page.locator('form[action$="/accept"]:has(input[value="assujetti"]) button')
    with page.expect_navigation():
        keep.click()
    expect(page.locator(".flash-success")).to_have_count(1)
    expect(page.locator('form[action$="/accept"]:has(input[value="assujetti"])')).to_have_count(0)
    expect(page.locator("#accepted-heading + ul")).to_contain_text("assujetti")

    page.goto(f"{base}/authoring/modules/{module_id}/edit/fr")
    expect(page.locator("#preview-warnings")).not_to_contain_text("assujetti")
    expect(page.locator("#preview-warnings")).to_contain_text("avis de taxation")
    js_errors.assert_clean()


def test_plain_language_pages_have_no_accessibility_violations(live_server, axe_page, tmp_path):
    _, trainer, module_id, _ = _setup(tmp_path)
    base = live_server.url
    sign_in(axe_page, base, trainer, PASSWORD)
    for path in (
        "/plain-language/glossary/fr",
        "/plain-language/glossary/de",
        f"/plain-language/modules/{module_id}",
    ):
        response = axe_page.goto(base + path)
        assert response is not None and response.status == 200, path
        assert_no_axe_violations(axe_page)


def test_plain_language_pages_reflow_at_320_css_pixels(live_server, new_page, tmp_path):
    _, trainer, module_id, _ = _setup(tmp_path)
    base = live_server.url
    page = new_page(viewport={"width": 320, "height": 640})
    sign_in(page, base, trainer, PASSWORD)
    too_wide = []
    for path in ("/plain-language/glossary/fr", f"/plain-language/modules/{module_id}"):
        page.goto(base + path)
        if scroll_width(page) > 320:
            too_wide.append((path, scroll_width(page)))
    assert too_wide == []
