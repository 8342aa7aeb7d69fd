"""Language choice: the user's preference, else the session's choice, else the browser's; and
the request's locale and message catalogue, looked up once per request."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Request, current_app, g, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from wtforms.i18n import messages_path

from app.i18n.languages import LANGUAGES

# One parsed Locale per language and process: babel's Locale objects do not change once made,
# and parsing "de_CH" again on every request is work for nothing.
_LOCALES: dict[str, Locale] = {}
# WTForms' own messages, one catalogue per locale and process (see TranslatingRequest).
_WTFORMS_CATALOGUES: dict[str, NullTranslations] = {}


def select_locale() -> str:
    """Pick the interface locale for this request, formatted the Swiss way (de_CH, fr_CH...)."""
    return f"{select_language()}_CH"


def request_locale() -> Locale:
    """Flask-Babel's locale selector: the request's locale as a Locale parsed once per process."""
    language = select_language()
    locale = _LOCALES.get(language)
    if locale is None:
        locale = _LOCALES[language] = Locale.parse(f"{language}_CH")
    return locale


def select_language() -> str:
    """Pick the interface language for this request."""
    if (
        getattr(current_user, "is_authenticated", False)
        and current_user.preferred_language in LANGUAGES
    ):
        return current_user.preferred_language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    if request:
        best = request.accept_languages.best_match(LANGUAGES)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def request_translations() -> NullTranslations:
    """The message catalogue of the request's locale (Flask-Babel's), found once per locale.

    Flask-Babel finds the catalogue again on every message (domain, locale, a string key);
    a page asks for it dozens of times. The catalogue is kept on `g` beside the Locale it was
    found for, so `force_locale` (which swaps the locale) still gets the right one.
    """
    locale = get_locale()
    if locale is None:  # no application context: Flask-Babel's null catalogue
        return get_translations()
    found = g.get("_request_translations")
    if found is not None and found[0] is locale:
        return found[1]
    translations = get_translations()
    g._request_translations = (locale, translations)
    return translations


def wtforms_translations() -> NullTranslations:
    """WTForms' own messages ("Not a valid choice", default labels) in the request's locale,
    read from WTForms' catalogue once per locale and process."""
    key = str(get_locale())
    found = _WTFORMS_CATALOGUES.get(key)
    if found is None:
        found = _WTFORMS_CATALOGUES[key] = Translations.load(
            messages_path(), [key], domain="wtforms"
        )
    return found


class TranslatingRequest(Request):
    """The app's request: Flask-WTF takes WTForms' catalogue from it.

    Flask-WTF reads `request.wtforms_translations` and, when the request has none, loads the
    catalogue from disk and keeps it for that request only: every page with a form (the CSRF
    field's default label asks for a translation) read and parsed the .mo file again.
    """

    @cached_property
    def wtforms_translations(self) -> NullTranslations:
        """WTForms' catalogue for this request's locale (Flask-WTF's look-up)."""
        return wtforms_translations()


def _formatted(context: Context, text: str, variables: dict[str, Any]) -> str:
    # Jinja's "newstyle" gettext: a translation is markup where the template autoescapes and
    # is always a format string (so "%%" reads "%"); formatting text without any "%" and
    # without variables changes nothing, so that case is skipped.
    if context.eval_ctx.autoescape:
        text = Markup(text)  # catalogue text as in Jinja's gettext (noqa: safe)
    return text % variables if variables or "%" in text else text


@pass_context
def template_gettext(context: Context, message: str, /, **variables: Any) -> str:
    """`_()` and `gettext()` in templates: Jinja's newstyle gettext over the request's catalogue."""
    return _formatted(context, request_translations().ugettext(message), variables)


@pass_context
def template_ngettext(
    context: Context, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    """`ngettext()` in templates: Jinja's newstyle ngettext over the request's catalogue."""
    variables.setdefault("num", num)
    text = request_translations().ungettext(singular, plural, num)
    return _formatted(context, text, variables)


def install_template_gettext(env: Environment) -> None:
    """Make templates translate through `request_translations` (after Flask-Babel's set-up).

    Flask-Babel installs Jinja's newstyle callables, which pass each message through three
    Jinja calls and Flask-Babel's catalogue look-up (about 12 µs per `_()`); these give the
    same text in one call. `pgettext` and `npgettext` stay Flask-Babel's.
    """
    env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)
