"""Dates and numbers formatted once per value (app.i18n.formatting) read exactly as Flask-Babel
formats them, in every language, and a locale switched within a request gets its own text."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import flask_babel
import pytest
from flask_babel import force_locale

from app.i18n import formatting
from app.i18n.languages import LANGUAGES

# A UTC evening that is the next day in Zurich, a naive datetime, a date, and numbers whose
# equal keys (1 and 1.0; 0.5 and Decimal("0.50")) must not share a text.
DATES = (
    datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
    datetime(2026, 12, 4, 9, 5),
    date(2027, 1, 15),
)
NUMBERS = (1, 1.0, 0.5, Decimal("0.50"), 1234567.891, 0.8547)
CALLS = (
    [
        ("format_date", value, args, options)
        for value in DATES
        for args, options in (((), {}), (("medium",), {}), (("long",), {}), (("MMMM y",), {}))
    ]
    + [
        ("format_datetime", value, args, options)
        for value in DATES[:2]
        for args, options in (
            ((), {}),
            (("short",), {}),
            (("medium",), {}),
            ((), {"rebase": False}),
        )
    ]
    + [
        ("format_decimal", value, args, options)
        for value in NUMBERS
        for args, options in (((), {}), ((), {"format": "0.00"}), (("0",), {}))
    ]
    + [("format_percent", value, (), {}) for value in NUMBERS]
)


def test_each_text_is_flask_babels_in_every_language(app):
    with app.test_request_context():
        for lang in LANGUAGES:
            with force_locale(f"{lang}_CH"):
                for _round in range(2):  # the second round reads the kept texts
                    for name, value, args, options in CALLS:
                        ours = getattr(formatting, name)(value, *args, **options)
                        theirs = getattr(flask_babel, name)(value, *args, **options)
                        assert ours == theirs, (lang, name, value, args, options)


def test_a_value_is_formatted_once_per_locale(app):
    value = datetime(2031, 5, 17, 8, 0, tzinfo=UTC)  # a date no other test formats
    with app.test_request_context():
        with force_locale("de_CH"):
            before = formatting._formatted.cache_info()
            first = formatting.format_date(value, "long")
            again = formatting.format_date(value, "long")
            after = formatting._formatted.cache_info()
            assert first == again == "17. Mai 2031"
            assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
        with force_locale("fr_CH"):
            assert formatting.format_date(value, "long") == "17 mai 2031"
        with force_locale("it_CH"):
            assert formatting.format_date(value, "long") == "17 maggio 2031"


def test_now_is_never_kept(app):
    with app.test_request_context():
        before = formatting._formatted.cache_info()
        assert formatting.format_datetime() == flask_babel.format_datetime()
        assert formatting._formatted.cache_info().currsize == before.currsize


def test_a_value_that_cannot_be_a_key_goes_to_flask_babel_unkept(app):
    with app.test_request_context(), force_locale("en_CH"):
        before = formatting._formatted.cache_info()
        with pytest.raises(Exception) as ours:
            formatting.format_decimal([1.5])
        with pytest.raises(Exception) as theirs:
            flask_babel.format_decimal([1.5])
        assert type(ours.value) is type(theirs.value)
        assert formatting._formatted.cache_info().currsize == before.currsize


def test_templates_use_the_kept_texts(app):
    for name in ("format_date", "format_datetime", "format_decimal", "format_percent"):
        assert app.jinja_env.globals[name] is getattr(formatting, name)
