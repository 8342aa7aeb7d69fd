"""A page's reading ease, in each language's adaptation of Flesch's formula.

Pure: no Flask, no database. Readability is Flesch's reading ease with the published constants
of each language's adaptation (ASL = words per sentence, ASW = syllables per word):

- de, Amstad (1978):           180     - ASL         - 58.5 * ASW
- fr, Kandel & Moles (1958):   207     - 1.015 * ASL - 73.6 * ASW
- it, Flesch-Vacca (1972):     217     - 1.3 * ASL   - 0.6 * (syllables per 100 words)
- en, Flesch (1948):           206.835 - 1.015 * ASL - 84.6 * ASW

textstat (0.7.13) has the same constants, but was not taken: its English syllable count
downloads the CMU dictionary from the internet at run time (the platform runs in closed
networks), it pulls in nltk, and it segments sentences its own way (it drops sentences of two
words or fewer and splits at every full stop), which would disagree with the checker's
long-sentence findings. Syllables are counted here with pyphen (the hyphenation library
textstat also uses for these languages): each hyphenation segment counts its vowel groups,
which recovers the syllables that typesetting rules never split off (the "A" of "Abend"), and
a French or English word-final mute "e"/"es" is not counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pyphen

from app.i18n.markers import N_
from app.plain_language.prose import words_of

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
