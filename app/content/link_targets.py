"""Link and image targets in trainer Markdown: decoded as a browser would, then classified.

A relative path names a media file in the module folder; anything with a scheme other than
http, https, mailto or tel is unsafe. Pure: no Flask, no database.
"""

from __future__ import annotations

import html
import posixpath
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote

from markdown import util

from app.content.html_sanitiser import ALLOWED_URL_SCHEMES


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


def unescape_placeholders(value: str) -> str:
    """Undo Python-Markdown's placeholders for escaped characters and `&` in a text."""
    value = value.replace(util.AMP_SUBSTITUTE, "&")
    return _BACKSLASH_PLACEHOLDER_RE.sub(lambda m: chr(int(m.group(1))), value)


def decode_url(raw: str) -> str:
    """Undo Markdown escapes and HTML character references (repeatedly) as a browser would."""
    value = unescape_placeholders(raw)
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
