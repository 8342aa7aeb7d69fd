"""The reader leads somewhere: the last page goes on to the quiz, an out-of-date translation is
marked with the source linked, and a language asked for by `?lang=` is named (issue 12)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.content.models import ModuleVariant
from app.content.translation_notes import stale_languages, stale_translation
from app.extensions import db
from app.tracking.completion import STALE_TRANSLATION_RULE
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_org, make_user
from tests.tracking import helpers as tracking


@pytest.fixture
def org(app):
    return make_org()


def _finish(client, slug: str, number: int, language: str) -> str:
    """Press the reader's Next/Finish button on page `number`; return where it leads."""
    html = client.get(f"/modules/{slug}/pages/{number}?lang={language}").get_data(as_text=True)
    version_id = re.search(r'name="version_id" value="(\d+)"', html).group(1)
    response = client.post(
        f"/modules/{slug}/pages/{number}/done",
        data={
            "csrf_token": csrf_token_from(html),
            "version_id": version_id,
            "language": language,
        },
    )
    assert response.status_code == 303
    return response.headers["Location"]


def test_the_last_page_leads_to_the_quiz(app, client, org):
    built = tracking.make_module(org.provider, languages={"en": 2}, with_quiz=True)
    learner = make_user(org.branch_a1, language="en")
    login_as(client, learner)
    assert _finish(client, built.module.slug, 1, "en").endswith(
        f"/modules/{built.module.slug}/pages/2"
    )
    assert _finish(client, built.module.slug, 2, "en").endswith(f"/quizzes/{built.quiz.slug}")
    quiz_page = client.get(f"/quizzes/{built.quiz.slug}").get_data(as_text=True)
    assert "You have read every page of this module. Now check what you learnt." in quiz_page
    module_page = client.get(f"/modules/{built.module.slug}").get_data(as_text=True)
    assert f'href="/quizzes/{built.quiz.slug}"' in module_page


def test_a_module_without_quiz_ends_on_its_page(app, client, org):
    built = tracking.make_module(org.provider, languages={"en": 1})
    login_as(client, make_user(org.branch_a1, language="en"))
    assert _finish(client, built.module.slug, 1, "en").endswith(f"/modules/{built.module.slug}")


def _outdated(built, language: str) -> None:
    variant = db.session.scalar(
        select(ModuleVariant).where(
            ModuleVariant.version_id == built.current.id, ModuleVariant.language == language
        )
    )
    variant.is_outdated = True
    db.session.commit()


def test_an_out_of_date_translation_is_marked_with_the_source_linked(app, client, org):
    built = tracking.make_module(org.provider, languages={"fr": 2, "de": 2})
    _outdated(built, "de")
    login_as(client, make_user(org.branch_a1, language="de"))
    slug = built.module.slug
    for path in (f"/modules/{slug}/pages/1", f"/modules/{slug}"):
        html = client.get(path).get_data(as_text=True)
        assert 'id="stale-translation"' in html, path
        assert re.search(rf'href="{re.escape(path)}\?lang=fr"[^>]*hreflang="fr"', html), path
    # The source language itself carries no warning.
    source = client.get(f"/modules/{slug}/pages/1?lang=fr").get_data(as_text=True)
    assert 'id="stale-translation"' not in source


def test_an_up_to_date_translation_carries_no_warning(app, client, org):
    built = tracking.make_module(org.provider, languages={"fr": 1, "de": 1})
    login_as(client, make_user(org.branch_a1, language="de"))
    html = client.get(f"/modules/{built.module.slug}/pages/1").get_data(as_text=True)
    assert 'id="stale-translation"' not in html


def test_lang_asked_for_is_named_and_the_available_languages_offered(app, client, org):
    built = tracking.make_module(org.provider, languages={"fr": 1})
    login_as(client, make_user(org.branch_a1, language="fr"))
    for path in (f"/modules/{built.module.slug}", f"/modules/{built.module.slug}/pages/1"):
        response = client.get(f"{path}?lang=de")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        # Named in the interface language (French here): German was asked for, French shown.
        assert "allemand" in html.lower() or "German" in html, path


def test_lang_asked_for_is_named_in_english(app, client, org):
    built = tracking.make_module(org.provider, languages={"fr": 1})
    login_as(client, make_user(org.branch_a1, language="en"))
    html = client.get(f"/modules/{built.module.slug}?lang=de").get_data(as_text=True)
    assert "This module is not available in German yet; it is shown in French." in html
    assert "not available in French" not in html and "not available in English" not in html


def test_stale_translation_rows():
    assert stale_translation(language="de", source_language="fr", is_outdated=False) is None
    assert stale_translation(language="fr", source_language="fr", is_outdated=True) is None
    note = stale_translation(language="de", source_language="fr", is_outdated=True)
    assert (note.language, note.source_language) == ("de", "fr")


def test_stale_languages_of_current_versions(app, org):
    stale = tracking.make_module(org.provider, languages={"fr": 1, "de": 1, "it": 1})
    fresh = tracking.make_module(org.provider, languages={"fr": 1, "de": 1})
    _outdated(stale, "it")
    _outdated(stale, "de")
    assert stale_languages(db.session, [stale.module.id, fresh.module.id]) == {
        stale.module.id: ["de", "it"]
    }
    assert stale_languages(db.session, []) == {}


def test_the_trainer_module_page_states_the_rule(app, client, org):
    from app.people.models import Role

    built = tracking.make_module(org.provider, languages={"fr": 1, "de": 1})
    _outdated(built, "de")
    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="en")
    login_as(client, trainer)
    html = client.get(f"/authoring/modules/{built.module.id}").get_data(as_text=True)
    assert 'id="stale-translations"' in html
    assert STALE_TRANSLATION_RULE.split(".")[0] in html


def test_a_language_chosen_by_lang_is_no_fallback(app, client, org):
    # The reported case: French interface, module in French and German, ?lang=de asked.
    built = tracking.make_module(org.provider, languages={"fr": 1, "de": 1})
    login_as(client, make_user(org.branch_a1, language="en"))
    for path in (f"/modules/{built.module.slug}", f"/modules/{built.module.slug}/pages/1"):
        html = client.get(f"{path}?lang=de").get_data(as_text=True)
        assert "is not available in" not in html, path
        assert 'lang="de"' in html
