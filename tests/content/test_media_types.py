"""Media files are recognised by their content, and anything that could run as a page is refused."""

from __future__ import annotations

import struct

import pytest

from app.content.media_types import (
    ALLOWED_EXTENSIONS,
    GIF,
    JPEG,
    MP4,
    PDF,
    PNG,
    SNIFF_BYTES,
    WEBM,
    WEBP,
    media_type_for_name,
    sniff_file,
    sniff_media,
)


def _ftyp(brand: bytes) -> bytes:
    return struct.pack(">I", 24) + b"ftyp" + brand + b"\x00\x00\x02\x00" + b"isommp41"


def _ebml(doc_type: bytes) -> bytes:
    # EBML header: version elements, then DocType (0x4282) with a one-byte size.
    return b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01" + (
        b"\x42\x82" + bytes([0x80 | len(doc_type)]) + doc_type
    )


ACCEPTED = [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", PNG),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", JPEG),
    (b"\xff\xd8\xff\xe1\x00\x10Exif\x00", JPEG),
    (b"GIF89a\x01\x00\x01\x00", GIF),
    (b"GIF87a\x01\x00\x01\x00", GIF),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", WEBP),
    (b"RIFF\x24\x00\x00\x00WEBPVP8L", WEBP),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", PDF),
    (_ftyp(b"isom"), MP4),
    (_ftyp(b"mp42"), MP4),
    (_ftyp(b"M4V "), MP4),
    (_ebml(b"webm"), WEBM),
]


@pytest.mark.parametrize(("data", "expected"), ACCEPTED)
def test_accepted_types_are_recognised_by_content(data: bytes, expected: object) -> None:
    assert sniff_media(data + b"\x00" * 64) == expected


@pytest.mark.parametrize(
    ("media_type", "mime", "extension"),
    [
        (PNG, "image/png", "png"),
        (JPEG, "image/jpeg", "jpg"),
        (GIF, "image/gif", "gif"),
        (WEBP, "image/webp", "webp"),
        (MP4, "video/mp4", "mp4"),
        (WEBM, "video/webm", "webm"),
        (PDF, "application/pdf", "pdf"),
    ],
)
def test_media_type_gives_mime_and_extension(media_type, mime: str, extension: str) -> None:
    assert (media_type.mime, media_type.extension) == (mime, extension)


REJECTED = {
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "svg with xml prolog": b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
    "html": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
    "html without doctype": b"<html><body>hi</body></html>",
    "plain text": b"just some text",
    "empty": b"",
    "zip (docx, xlsx)": b"PK\x03\x04\x14\x00\x06\x00",
    "windows executable": b"MZ\x90\x00\x03\x00\x00\x00",
    "matroska (mkv)": _ebml(b"matroska"),
    "quicktime": _ftyp(b"qt  "),
    "heic picture": _ftyp(b"heic"),
    "m4a audio": _ftyp(b"M4A "),
    "wav audio": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    "webp without a VP8 chunk": b"RIFF\x24\x00\x00\x00WEBPXXXX",
    "truncated png": b"\x89PNG",
    "pdf not at the start": b"junk%PDF-1.7",
    "gif polyglot with script": b"GIF89a/*\x00\x00*/=1;<script>alert(1)</script>",
    "jpeg polyglot with html": b"\xff\xd8\xff\xe0<HTML><BODY onload=alert(1)>",
    "png polyglot with svg": b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>",
    "pdf polyglot with iframe": b"%PDF-1.4\n<iframe src=javascript:alert(1)>",
}


@pytest.mark.parametrize("data", REJECTED.values(), ids=REJECTED.keys())
def test_everything_else_is_rejected(data: bytes) -> None:
    assert sniff_media(data) is None


def test_markup_beyond_the_sniffed_head_does_not_reject_a_real_file() -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * SNIFF_BYTES + b"<script>"
    assert sniff_media(data) == PNG


def test_names_are_not_trusted_only_used_to_compare(tmp_path) -> None:
    fake = tmp_path / "picture.png"
    fake.write_bytes(b"<svg onload=alert(1)>")
    assert media_type_for_name(fake.name) == PNG
    assert sniff_file(fake) is None


def test_sniff_file_reads_the_head(tmp_path) -> None:
    video = tmp_path / "demo.mp4"
    video.write_bytes(_ftyp(b"isom") + b"\x00" * 100_000)
    assert sniff_file(video) == MP4


def test_names_and_extensions() -> None:
    assert media_type_for_name("Photo.JPEG") == JPEG
    assert media_type_for_name("photo.jpg") == JPEG
    assert media_type_for_name("drawing.svg") is None
    assert media_type_for_name("page.html") is None
    assert JPEG.matches_name("a.jpeg") and JPEG.matches_name("a.JPG")
    assert not PNG.matches_name("a.jpg")
    assert "svg" not in ALLOWED_EXTENSIONS and "html" not in ALLOWED_EXTENSIONS
