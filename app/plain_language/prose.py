"""Prose of a module page: paragraphs, list items, cells and headings, their sentences, words.

Pure: Markdown in, plain text out (no Flask, no database). Code blocks are skipped; the steps of
a `steps` block count as prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.content.markdown_pipeline import fenced_blocks

LETTER = r"[^\W\d_]"
_WORD_RE = re.compile(rf"{LETTER}+(?:['’\-]{LETTER}+)*|\d+(?:[.,']\d+)*")
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


@dataclass(frozen=True)
class ProseUnit:
    """A piece of prose that ends any sentence in it: a paragraph, list item, cell or heading."""

    line: int
    text: str  # may span lines ("\n" kept so positions map back to lines)


def _clean_inline(text: str) -> str:
    text = _IMAGE_RE.sub(" ", text)
    text = _LINK_RE.sub(r"\1", text)
    text = _AUTOLINK_RE.sub(" ", text)
    text = _HTML_RE.sub(" ", text)
    text = _FOOTNOTE_RE.sub(" ", text)
    return _EMPHASIS_RE.sub("", text)


def prose_units(markdown: str) -> list[ProseUnit]:
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
    units: list[ProseUnit] = []
    paragraph: list[str] = []
    start = 0

    def close() -> None:
        nonlocal paragraph
        if paragraph and any(part.strip() for part in paragraph):
            units.append(ProseUnit(start, "\n".join(paragraph)))
        paragraph = []

    for number, raw in enumerate(lines, 1):
        if number in skipped or not raw.strip():
            close()
            continue
        if number in step_lines:
            close()
            units.append(ProseUnit(number, _clean_inline(_LIST_MARKER_RE.sub("", raw))))
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
                    units.append(ProseUnit(number, _clean_inline(cell.strip())))
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
