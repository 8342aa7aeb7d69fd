"""Language choice, locale formatting and complete catalogues for de, fr, it and en."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.people.models import Role
from tests.conftest import get_csrf, login_as
from tests.factories import make_org, make_user

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"


@pytest.mark.parametrize(
    ("header", "lang", "text"),
    [
        ("de-CH,de;q=0.9", "de", "Anmelden"),
        ("fr-CH,fr;q=0.9", "fr", "Se connecter"),
        ("it-CH", "it", "Accedi"),
        ("en-GB", "en", "Sign in"),
    ],
)
def test_browser_language_is_used_when_signed_out(client, header, lang, text):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert f'<html lang="{lang}-CH">' in page
    assert text in page


def test_unsupported_browser_language_falls_back_to_default(app, client):
    app.config["BABEL_DEFAULT_LOCALE"] = "fr"
    page = client.get("/login", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert '<html lang="fr-CH">' in page


def test_switcher_sets_the_language(client):
    token = get_csrf(client)
    response = client.post(
        "/language", data={"csrf_token": token, "language": "it", "next": "/login"}
    )
    assert response.status_code == 303
    assert '<html lang="it-CH">' in client.get("/login").get_data(as_text=True)


def test_unknown_language_code_is_refused_with_a_message(client):
    token = get_csrf(client)
    client.post("/language", data={"csrf_token": token, "language": "xx", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert "This language is not available." in page
    assert '<html lang="en-CH">' in page


def test_user_preference_wins_over_the_browser(app, client):
    org = make_org()
    login_as(client, make_user(org.branch_a1, Role.LEARNER, language="de"))
    page = client.get("/home", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="de-CH">' in page


@pytest.mark.parametrize(
    ("header", "locale", "month"),
    [("de-CH", "de_CH", "März"), ("fr-CH", "fr_CH", "mars"), ("it-CH", "it_CH", "marzo")],
)
def test_dates_and_numbers_follow_the_locale(app, header, locale, month):
    """The app formats with the locale it chose for the request, the Swiss variant of it.

    Expected strings come from Babel for that locale, so a CLDR change to a glyph (such as
    the Swiss thousands separator) cannot fail this test, but ignoring the locale does.
    """
    from datetime import UTC, datetime

    from babel.dates import format_date as babel_date
    from babel.numbers import format_decimal as babel_decimal
    from flask_babel import format_date, format_decimal, get_locale

    moment = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with app.test_request_context(headers={"Accept-Language": header}):
        assert str(get_locale()) == locale
        assert format_date(moment, "long") == babel_date(moment, "long", locale=locale)
        assert month in format_date(moment, "long")
        assert format_decimal(1234.5) == babel_decimal(1234.5, locale=locale)
        # The Swiss variant, not the language's default country (de writes 1.234,5).
        assert format_decimal(1234.5) != babel_decimal(1234.5, locale=locale[:2])


@pytest.mark.parametrize("lang", ["de", "fr", "it", "en"])
def test_catalogue_is_complete(lang):
    """Every string in the template has a translation (no empty or fuzzy entries)."""
    with open(TRANSLATIONS / "messages.pot", "rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    translated = {
        m.id
        for m in catalogue
        if m.id
        and m.string
        and not m.fuzzy
        and (all(m.string) if isinstance(m.string, tuple) else True)
    }
    missing = sorted(str(i) for i in template - translated)
    assert missing == [], f"{len(missing)} untranslated in {lang}: {missing[:10]}"


@pytest.mark.parametrize("lang", ["de", "fr", "it"])
def test_translations_keep_placeholders(lang):
    import re

    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if not message.id or not message.string:
            continue

        def names(text: str) -> set[str]:
            return set(re.findall(r"%\(\w+\)[sd]", text))

        if not isinstance(message.id, tuple):
            assert names(message.string) == names(message.id), (message.id, message.string)
            continue
        # Plurals: a singular may leave the count out ("the only question"), as gettext allows;
        # no form may invent a placeholder, and the plural form keeps every one of the plural's.
        singular, plural = message.id
        known = names(singular) | names(plural)
        for string in message.string:
            assert names(string) <= known, (message.id, string)
        assert names(singular) <= names(message.string[0]), (message.id, message.string[0])
        assert names(plural) <= names(message.string[-1]), (message.id, message.string[-1])


def test_language_names_in_the_switcher_carry_their_own_language(client):
    """WCAG 3.1.2: "Deutsch" is announced in German even on a French page."""
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    for code, name in (
        ("de", "Deutsch"),
        ("fr", "Français"),
        ("it", "Italiano"),
        ("en", "English"),
    ):
        assert f'lang="{code}"' in page.split(name)[0].rsplit("<option", 1)[1]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("de-CH", "Keine gültige Auswahl"),
        ("fr-CH", "N'est pas un choix valide."),
        ("it-CH", "Non è una opzione valida"),
        ("en-GB", "Not a valid choice."),
    ],
)
def test_wtforms_messages_follow_the_request_language(app, header, message):
    from flask_wtf import FlaskForm
    from wtforms import SelectField
    from wtforms.fields.choices import SelectChoice

    class PickForm(FlaskForm):
        pick = SelectField(choices=[SelectChoice("a", "A")])

    for _ in range(2):  # the second request takes the catalogue the first one read
        with app.test_request_context("/", headers={"Accept-Language": header}):
            form = PickForm(data={"pick": "z"}, meta={"csrf": False})
            assert not form.validate()
            assert form.pick.errors == [message]


def test_a_page_with_a_form_does_not_read_the_wtforms_catalogue_again(client, monkeypatch):
    from babel import support

    client.get("/login", headers={"Accept-Language": "de-CH"})
    read = []
    load = support.Translations.load.__func__

    def counting_load(cls, dirname=None, locales=None, domain=None):
        read.append(domain)
        return load(cls, dirname, locales, domain)

    monkeypatch.setattr(support.Translations, "load", classmethod(counting_load))
    page = client.get("/login", headers={"Accept-Language": "de-CH"})
    assert page.status_code == 200
    assert "wtforms" not in read
