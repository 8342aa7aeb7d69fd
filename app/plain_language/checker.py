"""The plain-language check: glossary terms, over-long sentences and readability of module text.

Pure: Markdown text and a glossary in, findings out (no Flask, no database), so the content
check, the editor's preview and the tests all call the same functions.

Prose extraction is in `prose`, term finding in `terms` and the reading-ease formulas
in `readability`; this module puts them together page by page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.content.module_format import split_pages
from app.plain_language.prose import ProseUnit, prose_units, split_sentences, words_of
from app.plain_language.readability import FORMULAS, Readability, readability
from app.plain_language.terms import GlossaryTerm, TermFinding, find_terms

# Plain-language guides ask for about 15-20 words a sentence; past 25 a reader at the counter
# loses the thread, and a lower limit would flag too many acceptable sentences to be useful.
DEFAULT_MAX_WORDS = 25


@dataclass(frozen=True)
class LongSentence:
    """A sentence longer than the limit, with where it starts and how it begins."""

    line: int
    words: int
    start: str


@dataclass(frozen=True)
class PageReport:
    """Findings of one page: 1-based number, title, first line, terms, sentences, readability."""

    number: int
    title: str
    line: int
    terms: list[TermFinding] = field(default_factory=list)
    long_sentences: list[LongSentence] = field(default_factory=list)
    readability: Readability | None = None


def check_page_text(
    markdown: str,
    language: str,
    glossary: Sequence[GlossaryTerm],
    *,
    accepted: Iterable[str] = (),
    max_words: int = DEFAULT_MAX_WORDS,
    first_line: int = 1,
    number: int = 1,
    title: str = "",
) -> PageReport:
    """Check one page's Markdown; lines in the findings start at `first_line`."""
    units = [ProseUnit(u.line + first_line - 1, u.text) for u in prose_units(markdown)]
    long_sentences: list[LongSentence] = []
    sentences: list[str] = []
    for unit in units:
        for offset, sentence in split_sentences(unit.text):
            sentences.append(sentence)
            words = words_of(sentence)
            if len(words) > max_words:
                line = unit.line + unit.text.count("\n", 0, offset)
                long_sentences.append(
                    LongSentence(line, len(words), " ".join(sentence.split()[:6]))
                )
    return PageReport(
        number=number,
        title=title,
        line=first_line,
        terms=find_terms(units, glossary, language, accepted),
        long_sentences=long_sentences,
        readability=readability(sentences, language),
    )


def check_module_text(
    body: str,
    language: str,
    glossary: Sequence[GlossaryTerm],
    *,
    title: str = "",
    accepted: Iterable[str] = (),
    max_words: int = DEFAULT_MAX_WORDS,
    first_line: int = 1,
) -> list[PageReport]:
    """Check a module body page by page (pages as the content format splits them)."""
    if language not in FORMULAS:
        return []
    accepted = tuple(accepted)
    body = body.replace("\r\n", "\n")
    return [
        check_page_text(
            page.markdown,
            language,
            glossary,
            accepted=accepted,
            max_words=max_words,
            first_line=page.markdown_line + first_line - 1,
            number=page.index + 1,
            title=page.title,
        )
        for page in split_pages(body, title=title)
    ]
