"""Templates translate through the request's catalogue (app.i18n.request_language) and give
exactly what Flask-Babel's own Jinja set-up gives: same text, same escaping, same plurals."""

from __future__ import annotations

from flask_babel import force_locale, get_translations
from jinja2 import Environment

from app.i18n.languages import LANGUAGES
from app.i18n.request_language import template_gettext

# Messages from the catalogues (with and without variables, singular and plural), one that is
# in no catalogue, a literal "%%", a variable that needs escaping, and {% trans %} blocks.
SNIPPETS = (
    "{{ _('Sign in') }}",
    "{{ _('Skip to main content') }} {{ gettext('Home') }}",
    "{{ _('Welcome, %(name)s', name=who) }}",
    "{{ ngettext('Notices: %(num)d unread', 'Notices: %(num)d unread', 1) }}",
    "{{ ngettext('Notices: %(num)d unread', 'Notices: %(num)d unread', 7) }}",
    "{{ _('Not in any catalogue: 50%% done') }}",
    "{% trans %}Home{% endtrans %} {% trans n=3 %}{{ n }} item{% pluralize %}{{ n }} items"
    "{% endtrans %}",
)


def _flask_babel_environment() -> Environment:
    """The Jinja set-up Flask-Babel installs: newstyle callables over its catalogue look-up
    (an environment of its own: an overlay would share, and change, the app's globals)."""
    env = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: get_translations().ugettext(s),
        ngettext=lambda s, p, n: get_translations().ungettext(s, p, n),
        newstyle=True,
    )
    return env


def test_templates_read_as_with_flask_babel_in_every_language(app):
    assert app.jinja_env.globals["_"] is template_gettext
    reference = _flask_babel_environment()
    with app.test_request_context():
        for lang in LANGUAGES:
            with force_locale(f"{lang}_CH"):
                for source in SNIPPETS:
                    ours = app.jinja_env.from_string(source).render(who="<Zoé & co>")
                    theirs = reference.from_string(source).render(who="<Zoé & co>")
                    assert ours == theirs, (lang, source)
        with force_locale("fr_CH"):
            assert app.jinja_env.from_string(SNIPPETS[0]).render() == "Se connecter"
            escaped = app.jinja_env.from_string(SNIPPETS[5]).render()
            assert escaped == "Not in any catalogue: 50% done"
            welcome = app.jinja_env.from_string(SNIPPETS[2]).render(who="<b>")
            assert "&lt;b&gt;" in welcome and "<b>" not in welcome


def test_a_locale_switched_within_a_request_gets_its_own_catalogue(app):
    template = "{{ _('Sign in') }}"
    with app.test_request_context(headers={"Accept-Language": "it"}):
        assert app.jinja_env.from_string(template).render() == "Accedi"
        with force_locale("de_CH"):
            assert app.jinja_env.from_string(template).render() == "Anmelden"
        assert app.jinja_env.from_string(template).render() == "Accedi"
