"""The HTML a rendered page may contain, and the sanitiser that enforces it (nh3 allow-lists).

Every rendered text (module pages, quiz texts, campaign messages) passes `sanitise_html` last.
Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import nh3

# Call-out boxes ("> [!TIP]") and video files: the Markdown pipeline makes them, the allow-lists
# below let exactly them through.
CALLOUT_KINDS = ("tip", "warning", "say")
VIDEO_TYPES: Mapping[str, str] = {".mp4": "video/mp4", ".webm": "video/webm"}

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
