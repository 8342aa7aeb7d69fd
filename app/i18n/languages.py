"""The languages the platform speaks and the one rule for falling back between them.

Pure: no Flask, no database.

The fallback order, used everywhere a text exists in several languages (module variants,
quiz texts, campaign names, glossary entries): the reader's language first; then the
language-neutral text ("und", ISO 639 "undetermined") where a text has one; then the
source language of what is shown (a module's or quiz's authoring language) when there is
one; then German, French, Italian and English, in that order (the order of `LANGUAGES`,
the national languages by number of speakers, then English); then any other language
alphabetically. Empty texts are skipped, as if missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

LANGUAGES: tuple[str, ...] = ("de", "fr", "it", "en")
UNDETERMINED = "und"


def fallback_order(wanted: str | None, source: str | None = None) -> tuple[str, ...]:
    """Return the languages to try, best first, for a reader of `wanted` (see the module doc)."""
    order: list[str] = []
    for language in (wanted, UNDETERMINED, source, *LANGUAGES):
        if language and language not in order:
            order.append(language)
    return tuple(order)


def language_rank(language: str) -> int:
    """Sort key for listing languages in the platform's order (unknown languages last)."""
    return LANGUAGES.index(language) if language in LANGUAGES else len(LANGUAGES)


def sorted_languages(languages: Iterable[str]) -> list[str]:
    """Return `languages` in the platform's order, unknown ones last and alphabetical."""
    return sorted(set(languages), key=lambda language: (language_rank(language), language))


def pick_language(
    available: Iterable[str], wanted: str | None, source: str | None = None
) -> str | None:
    """Return the language to show among `available`, by the fallback order (None if none)."""
    present = set(available)
    for language in fallback_order(wanted, source):
        if language in present:
            return language
    remaining = sorted_languages(present)
    return remaining[0] if remaining else None


def text_in(
    texts: Mapping[str, str] | None,
    wanted: str | None,
    source: str | None = None,
    default: str = "",
) -> str:
    """Return the text for a reader of `wanted` by the fallback order, else `default`."""
    if not texts:
        return default
    chosen = pick_language([key for key, value in texts.items() if value], wanted, source)
    return str(texts[chosen]) if chosen is not None else default
