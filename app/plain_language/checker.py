"""The plain-language check: glossary terms, over-long sentences and readability of module text.

Pure: Markdown text and a glossary in, findings out (no Flask, no database), so the content
check, the editor's preview and the tests all call the same functions.

Readability is Flesch's reading ease with the published constants of each language's
adaptation (ASL = words per sentence, ASW = syllables per word):

- de, Amstad (1978):           180     - ASL         - 58.5 * ASW
- fr, Kandel & Moles (1958):   207     - 1.015 * ASL - 73.6 * ASW
- it, Flesch-Vacca (1972):     217     - 1.3 * ASL   - 0.6 * (syllables per 100 words)
- en, Flesch (1948):           206.835 - 1.015 * ASL - 84.6 * ASW

textstat (0.7.13) has the same constants, but was not taken: its English syllable count
downloads the CMU dictionary from the internet at run time (the platform runs in closed
networks), it pulls in nltk, and it segments sentences its own way (it drops sentences of two
words or fewer and splits at every full stop), which would disagree with the long-sentence
findings below. Syllables are counted here with pyphen (the hyphenation library textstat also
uses for these languages): each hyphenation segment counts its vowel groups, which recovers the
syllables that typesetting rules never split off (the "A" of "Abend"), and a French or English
word-final mute "e"/"es" is not counted.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pyphen

from app.content.module_format import split_pages
from app.content.rendering import fenced_blocks
from app.i18n.markers import N_

LANGUAGES = ("de", "fr", "it", "en")
# Plain-language guides ask for about 15-20 words a sentence; past 25 a reader at the counter
# loses the thread, and a lower limit would flag too many acceptable sentences to be useful.
DEFAULT_MAX_WORDS = 25
# Below this reading ease a page is flagged (every adaptation calls it "difficult" or worse).
HARD_PAGE_SCORE = 30.0
MAX_WORD = 80  # longer "words" are not hyphenated (their vowel groups are still counted)

FORMULAS = {
    "de": (N_("Flesch reading ease (Amstad)"), 180.0, 1.0, 58.5),
    "fr": (N_("Flesch reading ease (Kandel-Moles)"), 207.0, 1.015, 73.6),
    "it": (N_("Flesch-Vacca reading ease"), 217.0, 1.3, 60.0),
    "en": (N_("Flesch reading ease"), 206.835, 1.015, 84.6),
}
# Flesch's own bands, which the adaptations keep (0 = very hard ... 100 = very easy).
BANDS = (
    (90.0, N_("very easy")),
    (80.0, N_("easy")),
    (70.0, N_("fairly easy")),
    (60.0, N_("standard")),
    (50.0, N_("fairly difficult")),
    (30.0, N_("difficult")),
)
VERY_DIFFICULT = N_("very difficult")

_PYPHEN_LANGUAGE = {"de": "de_CH", "fr": "fr", "it": "it_IT", "en": "en_US"}
_VOWELS = {
    "de": "aeiouyäöü",
    "fr": "aeiouyàâäéèêëîïôöùûüÿœæ",
    "it": "aeiouàèéìíîòóùú",
    "en": "aeiouy",
}
# Inflection endings a glossary term may take in running text (a term is written in its base
# form: "Ortsabwesenheit", "assujetti", "contribuente", "applicant").
_ENDINGS = {
    "de": r"(?:e|en|n|s|es|er|em|ern|ns|nen)?",
    "fr": r"(?:s|x|e|es)?",
    "en": r"(?:s|es|d|ed|ing)?",
}
_LETTER = r"[^\W\d_]"
_WORD_RE = re.compile(rf"{_LETTER}+(?:['’\-]{_LETTER}+)*|\d+(?:[.,']\d+)*")
# A sentence ends at . ! ? (or …) followed by a space and something that can start a sentence;
# an abbreviation ("z. B.", "p. ex.", "Art.", "etc.") or a date ("31. März") does not end one.
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])[\"»”’)]*\s+(?=[\"«„“(]?[^\W\d_])")
_ABBREVIATION_RE = re.compile(
    r"(?:\b[^\W\d_]\.|\b(?:bzw|ca|usw|etc|Nr|Art|Abs|Ziff|Fr|Mio|Mia|Dr|Prof|St|ex|env|cf|"
    r"no|p|M|Mme|ecc|pag|art|cpv|cap|sig|e\.g|i\.e|vs|approx|CHF)\.|\d\.)$",
    re.IGNORECASE,
)
_LIST_MARKER_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_CALLOUT_RE = re.compile(r"^\s*>+\s*(?:\[![A-Za-z]+\]\s*)?")
_HEADING_RE = re.compile(r"^\s*#{1,6}\s+")
_TABLE_RULE_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_IMAGE_RE = re.compile(r"!\[[^\]\n]{0,300}\]\([^)\n]{0,2000}\)")
_LINK_RE = re.compile(r"\[([^\]\n]{0,300})\]\([^)\n]{0,2000}\)")
_AUTOLINK_RE = re.compile(r"<(?:https?://|mailto:)[^>\s]{0,2000}>|https?://\S+")
_HTML_RE = re.compile(r"<!--.{0,2000}?-->|</?[A-Za-z][^<>]{0,500}>", re.DOTALL)
_FOOTNOTE_RE = re.compile(r"\[\^[^\]\n]{0,100}\]:?")
_EMPHASIS_RE = re.compile(r"(\*\*|__|\*|_|~~|`)")
# The inline patterns above have bounded repeats: a line of 500,000 "[" or "<a" must not make
# each of them scan to the end of the line (quadratic time).


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


@dataclass(frozen=True)
class LongSentence:
    """A sentence longer than the limit, with where it starts and how it begins."""

    line: int
    words: int
    start: str


@dataclass(frozen=True)
class Readability:
    """A page's reading-ease figure, the formula that gave it and the counts it used."""

    formula: str
    score: float
    sentences: int
    words: int
    syllables: int

    @property
    def band(self) -> str:
        """Flesch's verbal band of the score ("standard", "difficult", ...), untranslated."""
        return next((label for floor, label in BANDS if self.score >= floor), VERY_DIFFICULT)

    @property
    def is_hard(self) -> bool:
        """True when the page reads as very difficult."""
        return self.score < HARD_PAGE_SCORE


@dataclass(frozen=True)
class PageReport:
    """Findings of one page: 1-based number, title, first line, terms, sentences, readability."""

    number: int
    title: str
    line: int
    terms: list[TermFinding] = field(default_factory=list)
    long_sentences: list[LongSentence] = field(default_factory=list)
    readability: Readability | None = None


@dataclass(frozen=True)
class _Unit:
    """A piece of prose that ends any sentence in it: a paragraph, list item, cell or heading."""

    line: int
    text: str  # may span lines ("\n" kept so positions map back to lines)


def normalise_term(term: str) -> str:
    """The comparison key of a term: NFC, case-folded, one space between words, ' for ’."""
    text = unicodedata.normalize("NFC", term).replace("’", "'")
    return " ".join(text.casefold().split())


# --- prose extraction ---------------------------------------------------------------------------


def _clean_inline(text: str) -> str:
    text = _IMAGE_RE.sub(" ", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(" ", text)
    text = _HTML_RE.sub(" ", text)
    text = _FOOTNOTE_RE.sub(" ", text)
    return _EMPHASIS_RE.sub("", text)


def prose_units(markdown: str) -> list[_Unit]:
    """Split Markdown into prose units with their first line; code (not steps) is skipped."""
    lines = markdown.replace("\r\n", "\n").split("\n")
    skipped: set[int] = set()
    step_lines: set[int] = set()
    for first, last, info in fenced_blocks(markdown):
        fence = set(range(first, last + 1))
        if info.lower() == "steps":
            step_lines |= set(range(first + 1, last))
            skipped |= {first, last}
        else:
            skipped |= fence
    units: list[_Unit] = []
    paragraph: list[str] = []
    start = 0

    def close() -> None:
        nonlocal paragraph
        if paragraph and any(part.strip() for part in paragraph):
            units.append(_Unit(start, "\n".join(paragraph)))
        paragraph = []

    for number, raw in enumerate(lines, 1):
        if number in skipped or not raw.strip():
            close()
            continue
        if number in step_lines:
            close()
            units.append(_Unit(number, _clean_inline(_LIST_MARKER_RE.sub("", raw))))
            continue
        line = _CALLOUT_RE.sub("", raw) if raw.lstrip().startswith(">") else raw
        if not line.strip():
            close()
            continue
        if _TABLE_RULE_RE.match(line):
            close()
            continue
        if line.lstrip().startswith("|"):
            close()
            for cell in line.strip().strip("|").split("|"):
                if cell.strip():
                    units.append(_Unit(number, _clean_inline(cell.strip())))
            continue
        if _HEADING_RE.match(line) or _LIST_MARKER_RE.match(line):
            close()
            text = _LIST_MARKER_RE.sub("", _HEADING_RE.sub("", line))
            paragraph, start = [_clean_inline(text)], number
            if _HEADING_RE.match(line):
                close()
            continue
        if not paragraph:
            start = number
        paragraph.append(_clean_inline(line))
    close()
    return units


def split_sentences(text: str) -> list[tuple[int, str]]:
    """Sentences of a unit with their character offsets; abbreviations do not end one."""
    sentences: list[tuple[int, str]] = []
    begin = 0
    for match in _SENTENCE_END_RE.finditer(text):
        end = match.start()
        while end > begin and text[end - 1] in '"»”’)':
            end -= 1
        # Only the last characters can be an abbreviation: looking at no more keeps a text of
        # abbreviations without a sentence end from costing quadratic time.
        if _ABBREVIATION_RE.search(text, max(begin, end - 12), end):
            continue
        candidate = text[begin : match.start()]
        if candidate.strip():
            sentences.append((begin, candidate))
        begin = match.end()
    if text[begin:].strip():
        sentences.append((begin, text[begin:]))
    return sentences


def words_of(text: str) -> list[str]:
    """The words of a text (numbers count as words; "l'impôt" and "E-Mail" are one word)."""
    return _WORD_RE.findall(text)


# --- syllables and readability -------------------------------------------------------------------


@lru_cache(maxsize=8)
def _hyphenator(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=_PYPHEN_LANGUAGE[language])


def _vowel_groups(segment: str, vowels: str) -> int:
    groups, previous = 0, False
    for char in segment:
        is_vowel = char in vowels
        if is_vowel and not previous:
            groups += 1
        previous = is_vowel
    return groups


@lru_cache(maxsize=65536)
def count_syllables(word: str, language: str) -> int:
    """Syllables of one word: vowel groups of each pyphen segment (at least one per word)."""
    word = word.lower()
    if not any(char.isalpha() for char in word):
        return 1  # a number is read as one word; its syllables are not what makes text hard
    vowels = _VOWELS[language]
    total = 0
    for part in re.split(r"['’\-]", word):
        if not part:
            continue
        # No real word is this long; hyphenating a pasted blob would only cost time.
        hyphens = _hyphenator(language).positions(part) if len(part) <= MAX_WORD else []
        positions = [0, *hyphens, len(part)]
        segments = [part[a:b] for a, b in zip(positions, positions[1:], strict=False)]
        count = 0
        for index, segment in enumerate(segments):
            groups = _vowel_groups(segment, vowels)
            is_last = index == len(segments) - 1
            if (
                is_last
                and language in ("fr", "en")
                and groups >= 2
                and re.search(rf"[^{vowels}]es?$", segment)
            ):
                groups -= 1  # mute final e: "personne", "lettre", "make"
            count += max(groups, 1 if segment.strip() else 0)
        total += max(count, 1)
    return max(total, 1)


def readability(sentences: Sequence[str], language: str) -> Readability | None:
    """The reading ease of some sentences in the language's Flesch adaptation (None if no words)."""
    formula, base, per_sentence, per_syllable = FORMULAS[language]
    counted = [words_of(sentence) for sentence in sentences]
    counted = [words for words in counted if words]
    word_count = sum(len(words) for words in counted)
    if not word_count:
        return None
    syllables = sum(count_syllables(word, language) for words in counted for word in words)
    asl = word_count / len(counted)
    asw = syllables / word_count
    score = base - per_sentence * asl - per_syllable * asw
    return Readability(formula, round(score, 1), len(counted), word_count, syllables)


# --- glossary terms ------------------------------------------------------------------------------


def _token_pattern(token: str, language: str, *, is_compound_part: bool) -> str:
    escaped = re.sub(r"['’]", "['’]", re.escape(token))
    if not token[-1:].isalpha():
        return escaped
    if language == "it" and len(token) > 3 and token[-1].lower() in "aeio":
        # Italian inflects by the final vowel: contribuente / contribuenti, tassa / tasse.
        return re.escape(token[:-1]) + "[aeio]"
    ending = _ENDINGS.get(language, "")
    if is_compound_part:
        return escaped + rf"{_LETTER}*"
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
    units: Iterable[_Unit],
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


# --- pages ---------------------------------------------------------------------------------------


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
    units = [_Unit(u.line + first_line - 1, u.text) for u in prose_units(markdown)]
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
