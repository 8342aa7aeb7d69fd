"""The one Markdown pipeline: trainer Markdown in, sanitised HTML out (modules, quizzes, campaigns).

Python-Markdown (tables, fenced_code, sane_lists, footnotes) with our own call-outs, step lists,
videos and media links, then `nh3` with explicit allow-lists. Raw HTML is never passed through:
tags and comments written in the Markdown are removed before the HTML is built, and the sanitiser
would strip anything that slipped past. Pure: no Flask, no database.
"""

from __future__ import annotations

import html
import posixpath
import re
import threading
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from urllib.parse import unquote

import markdown
import nh3
from markdown import util
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.inlinepatterns import HTML_RE, InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from app.i18n.markers import N_

if TYPE_CHECKING:
    from app.content.module_format import VariantSource

MediaUrl = Callable[[str], "str | None"]

CALLOUT_KINDS = ("tip", "warning", "say")
DEFAULT_LABELS: Mapping[str, str] = {
    "tip": N_("Tip"),
    "warning": N_("Warning"),
    "say": N_("Say to the customer"),
    "footnote_back": N_("Back to the text"),
}
VIDEO_TYPES: Mapping[str, str] = {".mp4": "video/mp4", ".webm": "video/webm"}

# --- Sanitiser allow-lists -------------------------------------------------------------------

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "img",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "aside",
        "figure",
        "figcaption",
        "video",
        "source",
        "div",
        "sup",
    }
)
# Removed together with their content (everything else outside ALLOWED_TAGS keeps its text).
REMOVED_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "textarea",
        "title",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "noembed",
        "noframes",
        "xmp",
        "select",
    }
)
ALLOWED_ATTRIBUTES: Mapping[str, frozenset[str]] = {
    "a": frozenset({"href", "title", "class"}),
    "img": frozenset({"src", "alt", "title"}),
    "video": frozenset({"controls"}),
    "source": frozenset({"src"}),
    "ol": frozenset({"start", "class"}),
    "li": frozenset({"id"}),
    "sup": frozenset({"id"}),
    "aside": frozenset({"class"}),
    "p": frozenset({"class"}),
    "div": frozenset({"class"}),
    "figure": frozenset({"class"}),
}
# Attributes allowed only with one of these exact values.
ALLOWED_ATTRIBUTE_VALUES: Mapping[str, Mapping[str, frozenset[str]]] = {
    "aside": {"role": frozenset({"note"})},
    "video": {"preload": frozenset({"metadata"})},
    "source": {"type": frozenset(VIDEO_TYPES.values())},
    "th": {"align": frozenset({"left", "center", "right"})},
    "td": {"align": frozenset({"left", "center", "right"})},
}
# The only `class` values that survive, per tag, compared as the whole attribute value.
ALLOWED_CLASSES: Mapping[str, frozenset[str]] = {
    "aside": frozenset(f"callout callout-{kind}" for kind in CALLOUT_KINDS),
    "p": frozenset({"callout-title"}),
    "ol": frozenset({"steps"}),
    "figure": frozenset({"media-video"}),
    "div": frozenset({"footnote"}),
    "a": frozenset({"footnote-ref", "footnote-backref"}),
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer nofollow"

_FOOTNOTE_ID_RE = re.compile(r"^(?:[a-z][a-z0-9]*-)*fn(?:ref)?-[0-9]+(?:-[0-9]+)?$")
_FOOTNOTE_PREFIX_RE = re.compile(r"^(?:[a-z][a-z0-9]*-)*$")
_START_RE = re.compile(r"^[0-9]{1,6}$")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3 hook: only the exact classes we generate, prefixed footnote ids, numeric list starts."""
    if attribute == "class":
        return value if value in ALLOWED_CLASSES.get(tag, ()) else None
    if attribute == "id":
        return value if _FOOTNOTE_ID_RE.match(value) else None
    if attribute == "start":
        return value if _START_RE.match(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=ALLOWED_TAGS,
    clean_content_tags=REMOVED_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_filter_attribute,
    strip_comments=True,
    link_rel=LINK_REL,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    url_schemes=ALLOWED_URL_SCHEMES,
)

# --- Links and media paths -------------------------------------------------------------------


class UrlKind(StrEnum):
    """What a link or image target points at."""

    FRAGMENT = "fragment"  # "#somewhere" on the same page
    MEDIA = "media"  # a relative path: a file in the module folder
    SITE = "site"  # "/path" on this platform
    EXTERNAL = "external"  # http, https, mailto, tel (or "//host")
    UNSAFE = "unsafe"  # any other scheme (javascript:, data:, vbscript:, file:...) or empty


@dataclass(frozen=True)
class LinkTarget:
    """A decoded link or image target and how it is treated."""

    kind: UrlKind
    url: str
    path: str | None = None  # MEDIA: normalised path inside the module folder, None if outside
    fragment: str = ""  # MEDIA: "#..." kept when the link is rewritten
    scheme: str = ""


_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_INVISIBLE_RE = re.compile(r"[\x00-\x20\x7f]+")
_BACKSLASH_PLACEHOLDER_RE = re.compile(f"{util.STX}([0-9]+){util.ETX}")


def _unescape_placeholders(value: str) -> str:
    value = value.replace(util.AMP_SUBSTITUTE, "&")
    return _BACKSLASH_PLACEHOLDER_RE.sub(lambda m: chr(int(m.group(1))), value)


def decode_url(raw: str) -> str:
    """Undo Markdown escapes and HTML character references (repeatedly) as a browser would."""
    value = _unescape_placeholders(raw)
    for _ in range(5):
        decoded = html.unescape(value)
        if decoded == value:
            break
        value = decoded
    return value.strip()


def media_path(target: str) -> str | None:
    """Normalise a relative link target to a path inside the module folder (None if outside)."""
    path = unquote(re.split(r"[?#]", target, maxsplit=1)[0])
    if not path or path.startswith("/"):
        return None
    normalised = posixpath.normpath(path)
    if normalised in (".", "..") or normalised.startswith("../"):
        return None
    return normalised


def classify_url(raw: str) -> LinkTarget:
    """Decode a link/image target and decide whether it is a media file, a site path, etc."""
    url = decode_url(raw)
    # Browsers drop tabs and newlines anywhere in a URL; drop every control character and
    # space so "java\nscript:" and "jav&#x09;ascript:" are recognised.
    compact = _INVISIBLE_RE.sub("", url)
    if not compact:
        return LinkTarget(UrlKind.UNSAFE, url)
    scheme_match = _SCHEME_RE.match(compact)
    if scheme_match:
        scheme = scheme_match.group(1).lower()
        kind = UrlKind.EXTERNAL if scheme in ALLOWED_URL_SCHEMES else UrlKind.UNSAFE
        return LinkTarget(kind, url, scheme=scheme)
    if compact.startswith("#"):
        return LinkTarget(UrlKind.FRAGMENT, url)
    if compact[:2] in ("//", "\\\\", "/\\", "\\/"):
        return LinkTarget(UrlKind.EXTERNAL, url)
    if compact.startswith("/"):
        return LinkTarget(UrlKind.SITE, url)
    fragment = "#" + url.split("#", 1)[1] if "#" in url else ""
    return LinkTarget(UrlKind.MEDIA, url, path=media_path(url), fragment=fragment)


@dataclass(frozen=True)
class Reference:
    """A link or image found in Markdown, with the 1-based line it was found on."""

    kind: str  # "link" or "image"
    target: LinkTarget
    text: str  # link text or image alt text
    line: int


# --- Markdown extension ----------------------------------------------------------------------

_CALLOUT_RE = re.compile(r"^\s*\[!([A-Za-z]+)\](?:[ \t]*\n|[ \t]+|[ \t]*$)")
_STEP_MARKER_RE = re.compile(r"^(?:[0-9]+[.)]|[-*+])\s+")
_STEPS_PLACEHOLDER = util.STX + "steps:%d" + util.ETX
_STEPS_PLACEHOLDER_RE = re.compile(f"^{util.STX}steps:([0-9]+){util.ETX}$")
_FENCED_BLOCK_RE = FencedBlockPreprocessor.FENCED_BLOCK_RE


def fenced_blocks(text: str) -> list[tuple[int, int, str]]:
    """(first line, last line, info string) of each fenced code block, found as Markdown does."""
    normalised = _normalise_like_markdown(text)
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


def _normalise_like_markdown(text: str) -> str:
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


class _ContentTreeprocessor(Treeprocessor):
    """Headings, call-outs, images/videos, link targets and footnote ids, after inline parsing."""

    def __init__(self, md: markdown.Markdown, extension: _ContentExtension) -> None:
        super().__init__(md)
        self.extension = extension

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            # Page titles are level 2 and come from "## " page breaks; inside a page start at 3.
            if element.tag in ("h1", "h2"):
                element.tag = "h3"
            if element.tag in ("pre", "code"):
                element.attrib.pop("class", None)
                element.attrib.pop("id", None)
        self._callouts(root)
        self._record_references(root)
        self._images(root)
        self._links(root)
        self._footnotes(root)

    def _callouts(self, root: etree.Element) -> None:
        self._split_quotes(root)
        for quote in list(root.iter("blockquote")):
            first = quote[0] if len(quote) else None
            if first is None or first.tag != "p":
                continue
            match = _CALLOUT_RE.match(first.text or "")
            if not match or match.group(1).lower() not in CALLOUT_KINDS:
                continue
            kind = match.group(1).lower()
            first.text = first.text[match.end() :] if first.text else ""
            if not first.text.strip() and not len(first):
                quote.remove(first)
            quote.tag = "aside"
            quote.attrib.clear()
            quote.set("class", f"callout callout-{kind}")
            quote.set("role", "note")
            title = etree.Element("p", {"class": "callout-title"})
            title.text = self.extension.labels[kind]
            title.tail = "\n"
            quote.insert(0, title)

    @staticmethod
    def _split_quotes(root: etree.Element) -> None:
        """Python-Markdown merges quotes separated by an empty line; a marker starts a new one."""
        for parent in list(root.iter()):
            for quote in [child for child in parent if child.tag == "blockquote"]:
                starts = [
                    i
                    for i, child in enumerate(quote)
                    if i > 0 and child.tag == "p" and _CALLOUT_RE.match(child.text or "")
                ]
                position = list(parent).index(quote)
                for start in reversed(starts):
                    rest = etree.Element("blockquote")
                    rest.text, rest.tail = "\n", quote.tail
                    for child in list(quote)[start:]:
                        quote.remove(child)
                        rest.append(child)
                    quote.tail = "\n"
                    parent.insert(position + 1, rest)

    def _record_references(self, root: etree.Element) -> None:
        """Note every link and image, in document order, before any is rewritten."""
        for element in root.iter():
            if element.tag == "img":
                raw = element.get("src", "")
                self.extension.record("image", classify_url(raw), element.get("alt", ""), raw)
            elif element.tag == "a" and element.get("class") not in (
                "footnote-ref",
                "footnote-backref",
            ):
                raw = element.get("href", "")
                text = "".join(element.itertext())
                self.extension.record("link", classify_url(raw), text, raw)

    def _images(self, root: etree.Element) -> None:
        media_url = self.extension.media_url
        pairs = [(img, parent) for parent in root.iter() for img in parent if img.tag == "img"]
        for img, parent in pairs:
            alt = img.get("alt", "")
            target = classify_url(img.get("src", ""))
            url = None
            if target.kind is UrlKind.MEDIA and target.path and media_url is not None:
                url = media_url(target.path)
            if url is None:
                _replace_with_text(parent, img, alt)
                continue
            video_type = VIDEO_TYPES.get(posixpath.splitext(target.path or "")[1].lower())
            if video_type:
                _insert_video(root, parent, img, url, video_type, alt)
            else:
                title = img.get("title")
                img.attrib.clear()
                img.set("src", url)
                img.set("alt", alt)
                if title:
                    img.set("title", title)

    def _links(self, root: etree.Element) -> None:
        media_url = self.extension.media_url
        pairs = [(a, parent) for parent in root.iter() for a in parent if a.tag == "a"]
        for link, parent in pairs:
            target = classify_url(link.get("href", ""))
            if target.kind in (UrlKind.FRAGMENT, UrlKind.SITE, UrlKind.EXTERNAL):
                link.set("href", target.url)
                continue
            url = None
            if target.kind is UrlKind.MEDIA and target.path and media_url is not None:
                url = media_url(target.path)
            if url is None:
                _unwrap(parent, link)
            else:
                link.set("href", url + target.fragment)

    def _footnotes(self, root: etree.Element) -> None:
        """Give footnotes safe, predictable ids: `<prefix>fn-1`, `<prefix>fnref-1[-2]`."""
        prefix = self.extension.footnote_prefix
        new_ids: dict[str, str] = {}
        for block in root.iter("div"):
            if block.get("class") == "footnote":
                for item in block.iter("li"):
                    if item.get("id"):
                        new_ids[item.get("id", "")] = f"{prefix}fn-{len(new_ids) + 1}"
        numbers = {old: new.rsplit("-", 1)[1] for old, new in new_ids.items()}
        seen: dict[str, int] = {}
        for sup in root.iter("sup"):
            link = sup.find("a")
            target = (link.get("href") or "")[1:] if link is not None else ""
            if sup.get("id") and target in numbers:
                number = numbers[target]
                seen[number] = seen.get(number, 0) + 1
                suffix = "" if seen[number] == 1 else f"-{seen[number]}"
                new_ids[sup.get("id", "")] = f"{prefix}fnref-{number}{suffix}"
        back_title = self.extension.labels["footnote_back"]
        for element in root.iter():
            old_id = element.get("id")
            if old_id is not None:
                if old_id in new_ids:
                    element.set("id", new_ids[old_id])
                else:
                    del element.attrib["id"]
            href = element.get("href")
            if element.tag == "a" and href and href.startswith("#") and href[1:] in new_ids:
                element.set("href", "#" + new_ids[href[1:]])
            if element.get("class") == "footnote-backref":
                element.set("title", back_title)


class _ContentExtension(Extension):
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
        self.references.append((kind, target, _unescape_placeholders(text), raw))

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
        md.treeprocessors.register(_ContentTreeprocessor(md, self), "content", 1)


def _new_markdown() -> tuple[markdown.Markdown, _ContentExtension]:
    extension = _ContentExtension()
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
    lines = _normalise_like_markdown(text).split("\n")
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


def _convert(
    text: str,
    *,
    media_url: MediaUrl | None,
    labels: Mapping[str, str] | None,
    footnote_prefix: str,
) -> tuple[str, list[tuple[str, LinkTarget, str, str]]]:
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


# --- Tree editing helpers --------------------------------------------------------------------


def _add_text_before(parent: etree.Element, index: int, text: str) -> None:
    if not text:
        return
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _replace_with_text(parent: etree.Element, element: etree.Element, text: str) -> None:
    index = list(parent).index(element)
    _add_text_before(parent, index, (text or "") + (element.tail or ""))
    parent.remove(element)


def _unwrap(parent: etree.Element, element: etree.Element) -> None:
    """Replace an element by its content (a link whose target is removed keeps its text)."""
    index = list(parent).index(element)
    children = list(element)
    tail = element.tail or ""
    _add_text_before(parent, index, element.text or "")
    parent.remove(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    if children:
        children[-1].tail = (children[-1].tail or "") + tail
    else:
        _add_text_before(parent, index, tail)


def _insert_video(
    root: etree.Element,
    parent: etree.Element,
    img: etree.Element,
    url: str,
    video_type: str,
    alt: str,
) -> None:
    video = etree.Element("video", {"controls": "controls", "preload": "metadata"})
    source = etree.SubElement(video, "source", {"src": url, "type": video_type})
    source.tail = alt
    alone = (
        parent.tag == "p"
        and len(parent) == 1
        and not (parent.text or "").strip()
        and not (img.tail or "").strip()
    )
    if not alone:
        video.tail = img.tail
        parent.insert(list(parent).index(img), video)
        parent.remove(img)
        return
    # A video on a line of its own becomes a figure whose caption is the description.
    figure = etree.Element("figure", {"class": "media-video"})
    figure.append(video)
    etree.SubElement(figure, "figcaption").text = alt
    figure.tail = parent.tail
    grandparent = next(p for p in root.iter() if parent in list(p))
    position = list(grandparent).index(parent)
    grandparent.remove(parent)
    grandparent.insert(position, figure)


# --- Public API ------------------------------------------------------------------------------


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
        converted, _ = _convert(
            text, media_url=media_url, labels=labels, footnote_prefix=footnote_prefix
        )
    except MarkdownTooComplex:
        # Still readable, never slow: the text as escaped plain paragraphs.
        paragraphs = re.split(r"\n\s*\n", text.strip())
        converted = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return sanitise_html(converted)


def sanitise_html(fragment: str) -> str:
    """Run HTML through nh3 with the platform's allow-lists (the last step of render_markdown)."""
    return _TAG_RE.sub(_escape_brackets_in_tag, _CLEANER.clean(fragment))


# nh3 (html5ever) writes every attribute value in double quotes with `"` escaped, and escapes
# `<` and `>` in text, so this matches exactly the tags of its output.
_TAG_RE = re.compile(r'<[a-zA-Z][a-zA-Z0-9]*(?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*\s*/?>')
_QUOTED_VALUE_RE = re.compile(r'="([^"]*)"')


def _escape_brackets_in_tag(match: re.Match[str]) -> str:
    """Escape < and > inside attribute values (html5ever leaves them); the meaning is unchanged."""
    return _QUOTED_VALUE_RE.sub(
        lambda m: '="' + m.group(1).replace("<", "&lt;").replace(">", "&gt;") + '"',
        match.group(0),
    )


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


# --- Finding links and problems in Markdown ----------------------------------------------------


def markdown_references(text: str) -> list[Reference]:
    """Every link and image in the Markdown, as Markdown itself parses them, with line numbers."""
    if not text.strip():
        return []
    try:
        _, recorded = _convert(text, media_url=None, labels=None, footnote_prefix="")
    except MarkdownTooComplex:
        return []  # shown as plain text: it has no links (markdown_warnings says so)
    lines = _normalise_like_markdown(text).split("\n")
    unescaped = [html.unescape(line) for line in lines]
    found: list[Reference] = []
    last_line: dict[str, int] = {}
    for kind, target, label, raw in recorded:
        syntax = f"![{label}]" if kind == "image" else f"[{label}]"
        # The target first: for a reference link that is its definition line, where to fix it.
        candidates = (_unescape_placeholders(raw), target.url, syntax, label)
        needles = [c.split("\n")[0].strip() for c in candidates if c.split("\n")[0].strip()]
        line = _locate(lines, unescaped, needles, last_line)
        found.append(Reference(kind, target, label, line))
    return found


def _locate(
    lines: list[str], unescaped: list[str], needles: list[str], last_line: dict[str, int]
) -> int:
    """The line of the next occurrence of the first needle found (repeats move forward)."""
    for needle in needles:
        start = last_line.get(needle, 0)
        for number in [*range(start + 1, len(lines) + 1), *range(1, start + 1)]:
            if needle in lines[number - 1] or needle in unescaped[number - 1]:
                last_line[needle] = number
                return number
    return 1


_HTML_TAG_RE = re.compile(HTML_RE, re.DOTALL)
_AUTOLINK_RE = re.compile(r"^<(?:[Ff]|[Hh][Tt])[Tt][Pp][Ss]?://[^<>]*>$")
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
_CALLOUT_LINE_RE = re.compile(r"^\s{0,3}(?:>\s?)+\s*\[!([A-Za-z]+)\]")
_ATTR_LIST_RE = re.compile(r"\{:[^}]*\}|\{\s*[.#][A-Za-z][^}]*\}\s*$")


@dataclass(frozen=True)
class MarkdownWarning:
    """A warning about Markdown: 1-based line, untranslated N_() template and its parameters."""

    line: int
    template: str
    params: Mapping[str, object]

    @property
    def message(self) -> str:
        """The English message."""
        return self.template % self.params if self.params else self.template


def markdown_warnings(text: str) -> list[tuple[int, str]]:
    """Warnings for a trainer about Markdown that will not show as written: (line, message).

    Raw HTML (removed), images without alt text, unsafe or unsupported link targets
    (javascript:, data:...), internet images (not shown), unknown call-out markers, headings
    that will not do what the author expects, attribute lists and unclosed code fences.
    """
    return [(w.line, w.message) for w in markdown_warning_details(text)]


def markdown_warning_details(
    text: str, references: list[Reference] | None = None
) -> list[MarkdownWarning]:
    """Like markdown_warnings, with translatable templates (pass references if already found)."""
    lines = _normalise_like_markdown(text).split("\n")
    in_fence = {n for first, last, _ in fenced_blocks(text) for n in range(first, last + 1)}
    found: list[MarkdownWarning] = []
    previous_blank = True
    in_indented_code = False
    for number, line in enumerate(lines, 1):
        if number in in_fence:
            previous_blank = in_indented_code = False
            continue
        blank = not line.strip()
        in_indented_code = line.startswith("    ") and (previous_blank or in_indented_code)
        if not blank and not in_indented_code:
            found.extend(
                MarkdownWarning(number, template, params)
                for template, params in _line_warnings(line, lines, number)
            )
        previous_blank = blank
    if _too_complex(text):
        found.append(
            MarkdownWarning(
                1,
                N_(
                    "this text is too complex (more than %(max)d '[' or nested too deeply) "
                    "and is shown as plain text"
                ),
                {"max": MAX_BRACKETS},
            )
        )
    if references is None:
        references = markdown_references(text)
    for reference in references:
        warning = _reference_warning(reference)
        if warning:
            found.append(MarkdownWarning(reference.line, *warning))
    unique = {(w.line, w.template, tuple(sorted(w.params.items()))): w for w in found}
    return sorted(unique.values(), key=lambda w: (w.line, w.message))


def _too_complex(text: str) -> bool:
    try:
        _convert(text, media_url=None, labels=None, footnote_prefix="")
    except MarkdownTooComplex:
        return True
    return False


def _line_warnings(line: str, lines: list[str], number: int) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []
    without_code = _CODE_SPAN_RE.sub("", line)
    tags = [
        _shorten(m.group(0))
        for m in _HTML_TAG_RE.finditer(without_code)
        if not _AUTOLINK_RE.match(m.group(0))
    ]
    if tags:
        found.append(
            (
                N_("raw HTML is not supported and is removed: %(tags)s"),
                {"tags": " ".join(dict.fromkeys(tags))},
            )
        )
    if "<!--" in without_code and not _HTML_TAG_RE.search(without_code):
        found.append((N_("HTML comments are not supported and are removed"), {}))
    callout = _CALLOUT_LINE_RE.match(line)
    if callout and callout.group(1).lower() not in CALLOUT_KINDS:
        found.append(
            (
                N_("unknown call-out [!%(marker)s]: use [!TIP], [!WARNING] or [!SAY]"),
                {"marker": callout.group(1)},
            )
        )
    if re.match(r"^#(?!#)", line):
        found.append(
            (
                N_(
                    "a level-1 heading (# ) is not used: the title comes from the front "
                    "matter; use ## to start a page or ### for a heading inside a page"
                ),
                {},
            )
        )
    if re.match(r"^##[^#\s]", line):
        found.append((N_('write a space after ## ("## Title"); this line starts a new page'), {}))
    # Python-Markdown makes a heading only from the first line of a block.
    underline = re.match(r"^(?:=+|-+)[ ]*$", line) and number >= 2 and lines[number - 2].strip()
    if underline and (number < 3 or not lines[number - 3].strip()):
        found.append(
            (
                N_(
                    "a line of - or = under text makes that text a heading; leave an "
                    "empty line above a horizontal rule, or use ### for a heading"
                ),
                {},
            )
        )
    if _ATTR_LIST_RE.search(without_code):
        found.append((N_("attribute lists like {: ...} are not supported and show as text"), {}))
    if re.match(r"^(?:`{3,}[^`]*|~{3,}.*)$", line):
        found.append(
            (N_("this code block is never closed: end it with the same fence on its own line"), {})
        )
    return found


def _reference_warning(reference: Reference) -> tuple[str, dict] | None:
    target = reference.target
    if reference.kind == "image" and not _visible(reference.text):
        return N_("image without alt text: describe it, like ![Login page](login.png)"), {}
    if target.kind is UrlKind.UNSAFE:
        if not target.scheme:
            return N_("a link without a target is shown as plain text"), {}
        return (
            N_("'%(scheme)s:' links are not allowed and are removed"),
            {"scheme": target.scheme},
        )
    if reference.kind == "image" and target.kind in (UrlKind.EXTERNAL, UrlKind.SITE):
        return (
            N_("images from web addresses are not shown: put the file in the module folder"),
            {},
        )
    return None


def _visible(text: str) -> bool:
    return bool(re.sub(f"{util.STX}[^{util.ETX}]*{util.ETX}", "x", text).strip())


def _shorten(value: str, limit: int = 40) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"
