"""The one language fallback rule (app/i18n/languages.py) and the one notion of local days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.i18n.languages import (
    LANGUAGES,
    fallback_order,
    language_rank,
    pick_language,
    sorted_languages,
    text_in,
)
from app.timekeeping.days import day_end, day_start, local_date, zone


def test_the_order_is_reader_then_neutral_then_source_then_national_languages():
    assert fallback_order("it", "fr") == ("it", "und", "fr", "de", "en")
    assert fallback_order(None, None) == ("und", "de", "fr", "it", "en")
    assert fallback_order("de", "de") == ("de", "und", "fr", "it", "en")


@pytest.mark.parametrize(
    ("available", "wanted", "source", "expected"),
    [
        (["de", "fr"], "fr", "de", "fr"),  # the reader's language first
        (["de", "fr"], "it", "fr", "fr"),  # then the source language, not German
        (["fr", "it"], "en", None, "fr"),  # then de, fr, it, en
        (["rm", "fr"], "en", "rm", "rm"),  # a source outside LANGUAGES still wins
        (["rm", "gsw"], "en", None, "gsw"),  # others: alphabetical
        ([], "de", "fr", None),
    ],
)
def test_pick_language(available, wanted, source, expected):
    assert pick_language(available, wanted, source) == expected


def test_text_in_skips_empty_texts_and_prefers_the_neutral_text():
    assert text_in({"de": "Hallo", "fr": ""}, "fr") == "Hallo"
    assert text_in({"und": "42", "de": "zweiundvierzig"}, "fr") == "42"
    assert text_in({"it": "Ciao", "en": "Hello"}, "fr", "en") == "Hello"
    assert text_in(None, "de", default="#7") == "#7"
    assert text_in({"de": ""}, "de", default="#7") == "#7"


def test_languages_sort_in_the_platform_order():
    assert LANGUAGES == ("de", "fr", "it", "en")
    assert sorted_languages(["en", "rm", "fr", "de", "fr"]) == ["de", "fr", "en", "rm"]
    assert language_rank("rm") == len(LANGUAGES)


def test_a_due_day_ends_at_its_last_local_second_across_the_clock_change():
    tz = zone(None)
    # 29 March 2026: Zurich moves from CET (+1) to CEST (+2) during the night.
    assert day_start(date(2026, 3, 29), tz) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert day_end(date(2026, 3, 29), tz) == datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC)
    assert local_date(datetime(2026, 3, 29, 22, 30, tzinfo=UTC), tz) == date(2026, 3, 30)
    assert zone("Europe/Rome").key == "Europe/Rome"
