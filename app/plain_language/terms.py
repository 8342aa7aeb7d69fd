"""Glossary terms in module text: each term and its inflected forms, German compounds included.

Pure: prose units and a glossary in, findings out (no Flask, no database).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from app.plain_language.prose import LETTER, ProseUnit

# Inflection endings a glossary term may take in running text (a term is written in its base
# form: "Ortsabwesenheit", "assujetti", "contribuente", "applicant").
_ENDINGS = {
    "de": r"(?:e|en|n|s|es|er|em|ern|ns|nen)?",
    "fr": r"(?:s|x|e|es)?",
    "en": r"(?:s|es|d|ed|ing)?",
}


@dataclass(frozen=True)
class GlossaryTerm:
    """One glossary entry as the checker needs it: the jargon and the plain word(s)."""

    term: str
    suggestion: str


@dataclass(frozen=True)
class TermFinding:
    """A glossary term found in the text (`line` is 1-based in the Markdown checked)."""

    line: int
    term: str
    found: str
    suggestion: str


def normalise_term(term: str) -> str:
    """The comparison key of a term: NFC, case-folded, one space between words, ' for ’."""
    text = unicodedata.normalize("NFC", term).replace("’", "'")
    return " ".join(text.casefold().split())


def _token_pattern(token: str, language: str, *, is_compound_part: bool) -> str:
    escaped = re.sub(r"['’]", "['’]", re.escape(token))
    if not token[-1:].isalpha():
        return escaped
    if language == "it" and len(token) > 3 and token[-1].lower() in "aeio":
        # Italian inflects by the final vowel: contribuente / contribuenti, tassa / tasse.
        return re.escape(token[:-1]) + "[aeio]"
    ending = _ENDINGS.get(language, "")
    if is_compound_part:
        return escaped + rf"{LETTER}*"
    adjective = re.match(r"^(\w{4,}?)(?:es|en|er|em|e)$", token)
    if language == "de" and token.islower() and adjective:
        # A German adjective changes its ending: "steuerbares" / "steuerbaren Einkommen".
        return re.escape(adjective.group(1)) + ending
    return escaped + ending


def _is_german_noun(tokens: Sequence[str], language: str) -> bool:
    return language == "de" and len(tokens) == 1 and tokens[0][:1].isupper() and len(tokens[0]) >= 6


@lru_cache(maxsize=4096)
def term_pattern(term: str, language: str) -> re.Pattern[str]:
    """The regular expression that finds a term and its inflected forms, ignoring case.

    German single nouns (capitalised, six letters or more) are also found inside compounds:
    "Veranlagung" in "Steuerveranlagung" and "Veranlagungsverfügung"; for them the pattern
    has no start boundary and `find_terms` extends a match back to the start of its word.
    """
    tokens = term.split()
    is_compound = _is_german_noun(tokens, language)
    parts = [_token_pattern(token, language, is_compound_part=is_compound) for token in tokens]
    before = "" if is_compound else r"(?<!\w)"
    return re.compile(before + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


def _needle(term: str, language: str) -> str:
    """A piece of the term that every form of it contains (to skip text that cannot match)."""
    head = re.match(r"[^\W\d_]*", term.split()[0]).group(0).casefold()
    if language == "de" and term.split()[0].islower():
        head = head[: max(3, len(head) - 2)]  # an adjective's ending changes
    return head[: max(3, len(head) - 1)] if language == "it" else head


def _word_start(text: str, start: int) -> int | None:
    """Where the word around a compound's head starts; None when its first part is too short.

    A compound's first part has three letters or more ("Steuer|veranlagung"), which keeps
    "Ge|fälligkeit" (a favour) from being read as "Fälligkeit" (a due date).
    """
    begin = start
    while begin > 0 and text[begin - 1].isalpha():
        begin -= 1
    if begin > 0 and (text[begin - 1].isdigit() or text[begin - 1] == "_"):
        return None
    if 0 < start - begin < 3:
        return None
    return begin


def find_terms(
    units: Iterable[ProseUnit],
    glossary: Sequence[GlossaryTerm],
    language: str,
    accepted: Iterable[str] = (),
) -> list[TermFinding]:
    """Every glossary term in the units, longest term first, never two findings on one span."""
    skip = {normalise_term(term) for term in accepted}
    terms = []
    for entry in sorted(glossary, key=lambda t: -len(t.term)):
        term = " ".join(entry.term.split())
        if term and normalise_term(term) not in skip:
            is_compound = _is_german_noun(term.split(), language)
            terms.append(
                (entry, term_pattern(term, language), _needle(term, language), is_compound)
            )
    findings: list[tuple[int, int, TermFinding]] = []
    for unit in units:
        folded = unit.text.casefold()
        taken = bytearray(len(unit.text))  # 1 where a finding already covers the character
        line_starts = [m.end() for m in re.finditer("\n", unit.text)]
        for entry, pattern, needle, is_compound in terms:
            if needle not in folded:
                continue  # the cheap test first: most terms are not on most lines
            for match in pattern.finditer(unit.text):
                start = _word_start(unit.text, match.start()) if is_compound else match.start()
                if start is None:
                    continue
                span = (start, match.end())
                if taken.find(1, span[0], span[1]) != -1:
                    continue
                taken[span[0] : span[1]] = b"\x01" * (span[1] - span[0])
                line = unit.line + bisect_right(line_starts, span[0])
                found = " ".join(unit.text[span[0] : span[1]].split())
                findings.append(
                    (line, span[0], TermFinding(line, entry.term, found, entry.suggestion))
                )
    findings.sort(key=lambda item: (item[0], item[1]))
    return [finding for _, _, finding in findings]
