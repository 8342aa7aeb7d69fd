"""Python-Markdown set up for trainer Markdown: our extension, its limits, one call to convert.

Raw HTML written in the Markdown is dropped, ```steps fences become step lists, and the tree
step (`markdown_tree`) handles call-outs, media and links. Too many "[" or too deep nesting is
refused before Python-Markdown sees it (it would be slow). Pure: no Flask, no database.
"""

from __future__ import annotations

import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping

import markdown
from markdown import util
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.inlinepatterns import HTML_RE, InlineProcessor
from markdown.preprocessors import Preprocessor

from app.content.link_targets import LinkTarget, unescape_placeholders
from app.content.markdown_tree import ContentTreeprocessor
from app.i18n.markers import N_

MediaUrl = Callable[[str], "str | None"]

DEFAULT_LABELS: Mapping[str, str] = {
    "tip": N_("Tip"),
    "warning": N_("Warning"),
    "say": N_("Say to the customer"),
    "footnote_back": N_("Back to the text"),
}

_FOOTNOTE_PREFIX_RE = re.compile(r"^(?:[a-z][a-z0-9]*-)*$")
_STEP_MARKER_RE = re.compile(r"^(?:[0-9]+[.)]|[-*+])\s+")
_STEPS_PLACEHOLDER = util.STX + "steps:%d" + util.ETX
_STEPS_PLACEHOLDER_RE = re.compile(f"^{util.STX}steps:([0-9]+){util.ETX}$")
_FENCED_BLOCK_RE = FencedBlockPreprocessor.FENCED_BLOCK_RE


def fenced_blocks(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, info string) of each fenced code block, found as Markdown does."""
    normalised = normalise_like_markdown(text)
    found: list[tuple[int, int, str]] = []
    index = 0
    while True:
        match = _FENCED_BLOCK_RE.search(normalised, index)
        if not match:
            return found
        if match.group("attrs"):
            _, remainder = get_attrs_and_remainder(match.group("attrs"))
            if remainder:
                index = match.end("attrs")
                continue
        first = normalised.count("\n", 0, match.start()) + 1
        last = normalised.count("\n", 0, match.end()) + 1
        found.append((first, last, match.group("lang") or ""))
        index = match.end()


def normalise_like_markdown(text: str) -> str:
    """Python-Markdown's whitespace normalisation, keeping the number of lines unchanged."""
    text = text.replace(util.STX, "").replace(util.ETX, "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4)
    return re.sub(r"(?m)^ +$", "", text)


class _DropRawHtml(InlineProcessor):
    """Removes raw HTML tags and comments written in the Markdown (their text stays)."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:
        return "", m.start(0), m.end(0)


class _StepsPreprocessor(Preprocessor):
    """Replaces ```steps fences (found exactly as fenced_code finds fences) by a placeholder."""

    def __init__(self, md: markdown.Markdown, steps: dict[int, list[str]]) -> None:
        super().__init__(md)
        self.steps = steps

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        index = 0
        while True:
            match = _FENCED_BLOCK_RE.search(text, index)
            if not match:
                break
            if match.group("attrs"):
                _, remainder = get_attrs_and_remainder(match.group("attrs"))
                index = match.end("attrs") if remainder else match.end()
                continue
            if (match.group("lang") or "").lower() != "steps":
                index = match.end()
                continue
            number = len(self.steps)
            self.steps[number] = [
                _STEP_MARKER_RE.sub("", line.strip())
                for line in match.group("code").split("\n")
                if line.strip()
            ]
            placeholder = _STEPS_PLACEHOLDER % number
            text = f"{text[: match.start()]}\n\n{placeholder}\n\n{text[match.end() :]}"
            index = match.start() + len(placeholder) + 2
        return text.split("\n")


class _StepsBlockProcessor(BlockProcessor):
    """Turns a steps placeholder into `<ol class="steps">`; each step gets inline Markdown."""

    def __init__(self, parser: markdown.blockparser.BlockParser, steps: dict[int, list[str]]):
        super().__init__(parser)
        self.steps = steps

    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(_STEPS_PLACEHOLDER_RE.match(block.strip()))

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        match = _STEPS_PLACEHOLDER_RE.match(blocks.pop(0).strip())
        assert match is not None  # test() matched this block
        items = self.steps.get(int(match.group(1)), [])
        if not items:
            return
        steps = etree.SubElement(parent, "ol", {"class": "steps"})
        for item in items:
            etree.SubElement(steps, "li").text = item


class ContentExtension(Extension):
    """Our additions to Python-Markdown; configured afresh for every conversion."""

    def __init__(self) -> None:
        super().__init__()
        self.media_url: MediaUrl | None = None
        self.labels: Mapping[str, str] = DEFAULT_LABELS
        self.footnote_prefix = ""
        self.steps: dict[int, list[str]] = {}
        # (kind, target, text, target as written) of every link and image, in document order
        self.references: list[tuple[str, LinkTarget, str, str]] = []
        self.busy = False

    def configure(
        self, *, media_url: MediaUrl | None, labels: Mapping[str, str], footnote_prefix: str
    ) -> None:
        """Set the options of the next conversion and forget the previous one."""
        self.media_url = media_url
        self.labels = labels
        self.footnote_prefix = footnote_prefix
        self.reset()

    def reset(self) -> None:
        """Called by Markdown.reset(): drop the state of the previous document."""
        self.steps.clear()
        self.references = []

    def record(self, kind: str, target: LinkTarget, text: str, raw: str) -> None:
        """Remember a link or image (text and target as written) for markdown_references."""
        self.references.append((kind, target, unescape_placeholders(text), raw))

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.registerExtension(self)
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.register(_DropRawHtml(HTML_RE, md), "html", 90)
        # Before fenced_code (25), which would otherwise take ```steps as a code block.
        md.preprocessors.register(_StepsPreprocessor(md, self.steps), "content_steps", 27)
        md.parser.blockprocessors.register(
            _StepsBlockProcessor(md.parser, self.steps), "content_steps", 105
        )
        # After inline (20) and the footnote processors (15); before unescape (0).
        md.treeprocessors.register(ContentTreeprocessor(md, self), "content", 1)


def _new_markdown() -> tuple[markdown.Markdown, ContentExtension]:
    """A Markdown instance with the platform's extensions, and our extension to configure it."""
    extension = ContentExtension()
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "footnotes", extension],
        extension_configs={"tables": {"use_align_attribute": True}},
        output_format="html",
    )
    return md, extension


# Python-Markdown's link parsing is quadratic in the number of "[" in a paragraph (1,000 take
# about 0.3 s, 20,000 more than a minute); no real page comes near this many links.
MAX_BRACKETS = 1000


# Deeply nested lists or quotes make Python-Markdown slow, then overflow the stack; real pages
# nest a few levels.
MAX_NESTING = 16
_QUOTE_PREFIX_RE = re.compile(r"^[ >]*")


def _nesting(text: str) -> int:
    """How deep lists (by indentation) or quotes (by ">") go, outside fenced code."""
    if " " * (4 * MAX_NESTING) not in text and ">" * 2 not in text and "> >" not in text:
        return 0  # the common case, without looking further
    lines = normalise_like_markdown(text).split("\n")
    in_fence = {n for first, last, _ in fenced_blocks(text) for n in range(first, last + 1)}
    deepest = 0
    for number, line in enumerate(lines, 1):
        if number in in_fence:
            continue
        indent = len(line) - len(line.lstrip(" "))
        quotes = _QUOTE_PREFIX_RE.match(line).group(0).count(">")  # type: ignore[union-attr]
        deepest = max(deepest, indent // 4, quotes)
    return deepest


class MarkdownTooComplex(ValueError):
    """Markdown too complex to render quickly (too many "[", or nested too deeply)."""


# Building a Markdown instance costs more than most conversions: keep one per thread.
_local = threading.local()


def convert_markdown(
    text: str,
    *,
    media_url: MediaUrl | None,
    labels: Mapping[str, str] | None,
    footnote_prefix: str,
) -> tuple[str, list[tuple[str, LinkTarget, str, str]]]:
    """Markdown to (unsanitised HTML, every link and image found); raises MarkdownTooComplex."""
    if not _FOOTNOTE_PREFIX_RE.match(footnote_prefix):
        raise ValueError(f"footnote_prefix must look like 'p1-', got {footnote_prefix!r}")
    if text.count("[") > MAX_BRACKETS or _nesting(text) > MAX_NESTING:
        raise MarkdownTooComplex(text.count("["))
    cached = getattr(_local, "markdown", None)
    if cached is None or cached[1].busy:  # busy: media_url itself renders Markdown
        cached = _new_markdown()
        if getattr(_local, "markdown", None) is None:
            _local.markdown = cached
    md, extension = cached
    extension.busy = True
    try:
        md.reset()
        extension.configure(
            media_url=media_url,
            labels={**DEFAULT_LABELS, **(labels or {})},
            footnote_prefix=footnote_prefix,
        )
        try:
            converted = md.convert(text)
        except RecursionError:
            raise MarkdownTooComplex(0) from None
        return converted, extension.references
    finally:
        extension.busy = False
        extension.media_url = None
