"""The one Markdown pipeline: trainer Markdown in, sanitised HTML out (modules, quizzes, campaigns).

Python-Markdown (tables, fenced_code, sane_lists, footnotes) with our own call-outs, step lists,
videos and media links (`markdown_pipeline`, `markdown_tree`), then `nh3` with explicit
allow-lists (`html_sanitiser`). Raw HTML is never passed through: tags and comments written in
the Markdown are removed before the HTML is built, and the sanitiser would strip anything that
slipped past. Pure: no Flask, no database.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from app.content.html_sanitiser import sanitise_html
from app.content.markdown_pipeline import MarkdownTooComplex, MediaUrl, convert_markdown

if TYPE_CHECKING:
    from app.content.module_format import VariantSource


def render_markdown(
    text: str,
    *,
    media_url: MediaUrl | None = None,
    labels: Mapping[str, str] | None = None,
    footnote_prefix: str = "",
) -> str:
    """Render trainer Markdown to sanitised HTML, safe to mark as safe in a template.

    `media_url(path)` turns a relative path in the module folder into a URL (None if unknown:
    the image is replaced by its alt text, the link by its text). Without it, relative images
    and links are dropped the same way. `labels` translates call-out titles (tip, warning,
    say) and the footnote back-link title. `footnote_prefix` (like "p2-") keeps footnote ids
    unique when several rendered texts share one HTML page.
    """
    if not text or not text.strip():
        return ""
    try:
        converted, _ = convert_markdown(
            text, media_url=media_url, labels=labels, footnote_prefix=footnote_prefix
        )
    except MarkdownTooComplex:
        # Still readable, never slow: the text as escaped plain paragraphs.
        paragraphs = re.split(r"\n\s*\n", text.strip())
        converted = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return sanitise_html(converted)


def render_title(text: str) -> str:
    """A page or module title as plain text (inline Markdown such as **bold** is dropped)."""
    return plain_text(render_markdown("## " + text.replace("\n", " ")))


@dataclass(frozen=True)
class RenderedPage:
    """One page ready to show: 0-based index, plain-text title, sanitised HTML, search text."""

    index: int
    title: str
    html: str
    text: str


def render_pages(
    variant: VariantSource,
    *,
    media_url: MediaUrl | None = None,
    labels: Mapping[str, str] | None = None,
) -> list[RenderedPage]:
    """Render every page of a language variant (footnote ids are prefixed per page)."""
    pages = []
    for page in variant.pages:
        body = render_markdown(
            page.markdown,
            media_url=media_url,
            labels=labels,
            footnote_prefix=f"p{page.index + 1}-",
        )
        pages.append(RenderedPage(page.index, render_title(page.title), body, plain_text(body)))
    return pages


_BLOCK_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "table",
        "tr",
        "th",
        "td",
        "aside",
        "figure",
        "figcaption",
        "video",
        "div",
    }
)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []  # open elements whose text is left out
        self.figures = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        attributes = dict(attrs)
        if tag == "img" and attributes.get("alt"):
            self.parts.append(f" {attributes['alt']} ")
        if tag == "figure":
            self.figures += 1
        # Skip footnote back-links, and a video's fallback text when its caption says the same.
        if (tag == "a" and attributes.get("class") == "footnote-backref") or (
            tag == "video" and self.figures
        ):
            self.skipping.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "figure" and self.figures:
            self.figures -= 1
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment (for search): one line per block, spaces collapsed."""
    extractor = _TextExtractor()
    extractor.feed(fragment)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    return "\n".join(line for line in lines if line)
