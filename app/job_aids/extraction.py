"""What a counter sheet shows of a module, and how much of it fits one A4 page (pure).

The steps (```steps blocks) and "say to the customer" boxes ([!SAY] call-outs) are read from
each page's stored HTML, which was rendered and sanitised once when the version was made; they
come out as plain text, so the sheet escapes them like any other text and never re-renders.

Fitting is an estimate in lines of a column: each text costs ceil(len / chars_per_line) lines
plus fixed spacing, items are kept whole and in reading order, and the first item that does not
fit ends the sheet ("see the module for the rest"). The Chromium test prints the longest shipped
module and an over-long one and checks that each PDF has exactly one page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

# Classes the one Markdown pipeline (app.content.rendering) gives step lists and say-boxes.
STEPS_CLASS = "steps"
SAY_CLASS = "callout-say"
CALLOUT_TITLE_CLASS = "callout-title"

# A single step or paragraph longer than this is shortened at a word (a sheet is a reminder).
MAX_ITEM_CHARS = 280

_VOID_TAGS = frozenset({"br", "img", "hr", "source", "wbr"})
_BLOCK_TAGS = frozenset(
    {"p", "li", "ul", "ol", "div", "blockquote", "h3", "h4", "h5", "h6", "table", "tr", "figure"}
)


@dataclass(frozen=True)
class Steps:
    """A numbered list of steps, one text per step."""

    items: tuple[str, ...]
    start: int = 1


@dataclass(frozen=True)
class SayBox:
    """A "say to the customer" box: its paragraphs (the box title is left out)."""

    paragraphs: tuple[str, ...]


Block = Steps | SayBox


@dataclass(frozen=True)
class PageSection:
    """The steps and say-boxes of one module page, in reading order."""

    number: int  # 1-based page number in the module
    title: str
    blocks: tuple[Block, ...]


def _classes(attrs: list[tuple[str, str | None]]) -> list[str]:
    return (dict(attrs).get("class") or "").split()


def _clean(text: str) -> str:
    return " ".join(text.split())


class _CounterPoints(HTMLParser):
    """Collects step lists and say-boxes from sanitised page HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.kind: str | None = None  # "steps" or "say" while inside one
        self.depth = 0  # open elements inside the captured one (itself included)
        self.start = 1
        self.parts: list[str] = []  # text of the current step / box
        self.items: list[str] = []
        self.skip_depth = 0  # > 0 inside the say-box title

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.kind is None:
            if tag == "ol" and STEPS_CLASS in _classes(attrs):
                self.kind, self.depth, self.items = "steps", 1, []
                start = dict(attrs).get("start") or "1"
                self.start = int(start) if start.isdigit() else 1
            elif tag == "aside" and SAY_CLASS in _classes(attrs):
                self.kind, self.depth, self.parts = "say", 1, []
            return
        if tag in _VOID_TAGS:
            if tag == "img":
                self.parts.append(f" {dict(attrs).get('alt') or ''} ")
            elif tag == "br":
                self.parts.append(" " if self.kind == "steps" else "\n")
            return
        self.depth += 1
        if self.skip_depth:
            self.skip_depth += 1
        elif self.kind == "say" and CALLOUT_TITLE_CLASS in _classes(attrs):
            self.skip_depth = 1
        if self.kind == "steps" and tag == "li" and self.depth == 2:
            self.parts = []
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n" if self.kind == "say" else " ")

    def handle_endtag(self, tag: str) -> None:
        if self.kind is None or tag in _VOID_TAGS:
            return
        if self.skip_depth:
            self.skip_depth -= 1
        if self.kind == "steps" and tag == "li" and self.depth == 2:
            self.items.append(_clean("".join(self.parts)))
            self.parts = []
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n" if self.kind == "say" else " ")
        self.depth -= 1
        if self.depth == 0:
            self._finish()

    def handle_data(self, data: str) -> None:
        if self.kind is not None and not self.skip_depth:
            self.parts.append(data)

    def _finish(self) -> None:
        if self.kind == "steps":
            items = tuple(item for item in self.items if item)
            if items:
                self.blocks.append(Steps(items, self.start))
        else:
            lines = (_clean(line) for line in "".join(self.parts).split("\n"))
            paragraphs = tuple(line for line in lines if line)
            if paragraphs:
                self.blocks.append(SayBox(paragraphs))
        self.kind, self.parts, self.items = None, [], []


def counter_points(page_html: str) -> tuple[Block, ...]:
    """The step lists and say-boxes of one page's sanitised HTML, in reading order."""
    parser = _CounterPoints()
    parser.feed(page_html or "")
    parser.close()
    return tuple(parser.blocks)


def counter_sections(pages: Iterable[tuple[str, str]]) -> list[PageSection]:
    """For (title, html) of each page in order: the pages that have steps or say-boxes."""
    sections = []
    for number, (title, page_html) in enumerate(pages, 1):
        blocks = counter_points(page_html)
        if blocks:
            sections.append(PageSection(number, title, blocks))
    return sections


# --- fitting one page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """How much a sheet holds, in lines of a column of `chars_per_line` characters."""

    lines: float
    chars_per_line: int
    heading_lines: float = 1.6  # a page title and the space around it
    steps_lines: float = 0.4  # space around a step list
    say_lines: float = 2.2  # a say-box's title, border and padding


@dataclass(frozen=True)
class Sheet:
    """The sections that fit, and how many steps and say-boxes were left out or shortened."""

    sections: tuple[PageSection, ...]
    shown: int
    total: int
    shortened: int = 0

    @property
    def is_complete(self) -> bool:
        """Tell whether every step and say-box is on the sheet, none of them shortened."""
        return self.shown == self.total and not self.shortened

    @property
    def left_out(self) -> int:
        """How many steps and say-boxes did not fit."""
        return self.total - self.shown


# The printed sheet (app/static/css/job_aids.css): A4, 12 mm margins, 10 pt text, the points in
# two columns under a header with the QR code, the most-missed points across the full width.
# Measured in Chromium; the Chromium test proves that an over-long module still prints on one
# page with these figures.
COLUMNS = 2
COLUMN_LINES = 45  # lines of one column below the header
COLUMN_CHARS = 48
WIDE_CHARS = 100
MISSED_HEADING_LINES = 2.5
MISSED_ITEM_LINES = 0.6
COLUMN_BREAK_LINES = 6  # a say-box is never split, so a column may end early


def sheet_layout(missed: Iterable[tuple[str, str]] = ()) -> Layout:
    """The room left for steps and say-boxes once the most-missed (question, point) pairs,
    printed across both columns, have theirs."""
    wide = 0.0
    for question, point in missed:
        wide += (
            text_lines(shorten(question), WIDE_CHARS)
            + text_lines(shorten(point), WIDE_CHARS)
            + MISSED_ITEM_LINES
        )
    if wide:
        wide += MISSED_HEADING_LINES
    lines = COLUMNS * (COLUMN_LINES - wide) - COLUMN_BREAK_LINES
    return Layout(lines=max(lines, 0.0), chars_per_line=COLUMN_CHARS)


def shorten(text: str, limit: int = MAX_ITEM_CHARS) -> str:
    """Cut a text at the last word boundary before `limit` characters and add an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–") + "…"


def text_lines(text: str, chars_per_line: int) -> int:
    """How many lines a text takes in a column of `chars_per_line` characters (at least 1)."""
    return max(1, math.ceil(len(text) / max(chars_per_line, 1)))


def _count(sections: Iterable[PageSection]) -> int:
    return sum(
        len(block.items) if isinstance(block, Steps) else 1
        for section in sections
        for block in section.blocks
    )


def fit_sheet(sections: Iterable[PageSection], layout: Layout) -> Sheet:
    """Keep steps and say-boxes in reading order while they fit `layout`; stop at the first
    that does not (a partial step list keeps its numbering)."""
    sections = list(sections)
    total = _count(sections)
    used = 0.0
    shown = shortened = 0
    kept: list[PageSection] = []
    full = True
    for section in sections:
        heading = layout.heading_lines
        blocks: list[Block] = []
        for block in section.blocks:
            if isinstance(block, Steps):
                items: list[str] = []
                for item in block.items:
                    text = shorten(item)
                    cost = text_lines(text, layout.chars_per_line)
                    extra = layout.steps_lines if not items else 0.0
                    extra += heading if not blocks and not items else 0.0
                    if used + cost + extra > layout.lines:
                        full = False
                        break
                    used += cost + extra
                    items.append(text)
                    shortened += text != item
                if items:
                    blocks.append(Steps(tuple(items), block.start))
                    shown += len(items)
            else:
                paragraphs = tuple(shorten(p) for p in block.paragraphs)
                cost = layout.say_lines + sum(
                    text_lines(p, layout.chars_per_line) for p in paragraphs
                )
                cost += heading if not blocks else 0.0
                if used + cost > layout.lines:
                    full = False
                else:
                    used += cost
                    blocks.append(SayBox(paragraphs))
                    shown += 1
                    shortened += paragraphs != block.paragraphs
            if not full:
                break
        if blocks:
            kept.append(PageSection(section.number, section.title, tuple(blocks)))
        if not full:
            break
    return Sheet(tuple(kept), shown, total, shortened)
