"""Recognise media files by their content (magic bytes), never by their name or a client's claim.

Only png, jpeg, gif, webp, mp4, webm and pdf are accepted. SVG, HTML and everything else is
rejected, and so is a file whose first kilobyte carries HTML or SVG markup (a polyglot such as a
GIF that is also a web page), because a browser that sniffs content could run it as a page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The polyglot guard looks this far into the file; browsers sniff no further than 512 bytes.
SNIFF_BYTES = 1024

_MARKUP = (
    b"<script",
    b"<html",
    b"<svg",
    b"<!doctype html",
    b"<body",
    b"<iframe",
    b"<object",
    b"<embed",
)

# Major brands of the ISO base media (`ftyp`) box that browsers play as video/mp4. QuickTime
# (`qt  `), audio-only (`M4A `), still images (`heic`, `avif`, `mif1`) and 3GPP are left out.
_MP4_BRANDS = frozenset(
    {
        b"isom",
        b"iso2",
        b"iso3",
        b"iso4",
        b"iso5",
        b"iso6",
        b"iso8",
        b"iso9",
        b"mp41",
        b"mp42",
        b"mp71",
        b"avc1",
        b"av01",
        b"dash",
        b"mmp4",
        b"MSNV",
        b"M4V ",
        b"M4VH",
        b"M4VP",
    }
)


@dataclass(frozen=True)
class MediaType:
    """A media type we accept: its MIME type, usual file extension and broad kind."""

    mime: str
    extension: str
    kind: str  # "image", "video" or "document"
    extensions: tuple[str, ...] = ()

    def matches_name(self, name: str) -> bool:
        """True when the file name ends with one of this type's extensions."""
        suffix = Path(name).suffix.lower().lstrip(".")
        return suffix in (self.extensions or (self.extension,))


PNG = MediaType("image/png", "png", "image", ("png",))
JPEG = MediaType("image/jpeg", "jpg", "image", ("jpg", "jpeg"))
GIF = MediaType("image/gif", "gif", "image", ("gif",))
WEBP = MediaType("image/webp", "webp", "image", ("webp",))
MP4 = MediaType("video/mp4", "mp4", "video", ("mp4",))
WEBM = MediaType("video/webm", "webm", "video", ("webm",))
PDF = MediaType("application/pdf", "pdf", "document", ("pdf",))

MEDIA_TYPES: tuple[MediaType, ...] = (PNG, JPEG, GIF, WEBP, MP4, WEBM, PDF)
ALLOWED_EXTENSIONS: frozenset[str] = frozenset(ext for t in MEDIA_TYPES for ext in t.extensions)


def media_type_for_name(name: str) -> MediaType | None:
    """The media type a file name claims by its extension (None if not an accepted extension)."""
    suffix = Path(name).suffix.lower().lstrip(".")
    for media_type in MEDIA_TYPES:
        if suffix in media_type.extensions:
            return media_type
    return None


def sniff_media(data: bytes) -> MediaType | None:
    """Recognise an accepted media type from the file's first bytes; None rejects the file."""
    head = bytes(data[:SNIFF_BYTES])
    if _has_markup(head):
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if len(head) >= 16 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP if head[12:16] in (b"VP8 ", b"VP8L", b"VP8X") else None
    if head.startswith(b"%PDF-"):
        return PDF
    if _is_mp4(head):
        return MP4
    if _is_webm(head):
        return WEBM
    return None


def sniff_file(path: str | Path) -> MediaType | None:
    """Sniff a file on disk by reading only its first bytes."""
    with open(path, "rb") as handle:
        return sniff_media(handle.read(SNIFF_BYTES))


def _has_markup(head: bytes) -> bool:
    lowered = head.lower()
    return any(marker in lowered for marker in _MARKUP)


def _is_mp4(head: bytes) -> bool:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    return box_size >= 16 and head[8:12] in _MP4_BRANDS


def _is_webm(head: bytes) -> bool:
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return False
    # The EBML header's DocType element (id 0x4282) says "webm"; Matroska (.mkv) says "matroska".
    position = head.find(b"\x42\x82", 4, 64)
    if position < 0 or position + 3 > len(head):
        return False
    size_byte = head[position + 2]
    if not size_byte & 0x80:
        return False
    size = size_byte & 0x7F
    return head[position + 3 : position + 3 + size] == b"webm"
