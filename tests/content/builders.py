"""Test data for the content feature: module folders on disk, imports, tiny real media files."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path

from app.extensions import db

REPO = Path(__file__).resolve().parents[2]
COURSES = REPO / "courses"
QUIZZES = REPO / "quizzes"


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (11, 83, 148)) -> bytes:
    """A real PNG image (browsers can show it), built without any image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def tiny_pdf() -> bytes:
    """Enough of a PDF for the content sniffer."""
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def page_text(number: int, words: str = "") -> str:
    """The Markdown of one page."""
    return f"## Page {number}\n\nText of page {number}. {words}\n"


def module_text(
    slug: str,
    language: str = "fr",
    *,
    source_language: str = "fr",
    title: str | None = None,
    summary: str = "A short module for tests.",
    provider: str = "ju-it",
    minutes: int = 5,
    tags: Iterable[str] = ("test",),
    revision: int = 1,
    translates: int | None = None,
    version_note: str = "",
    extra_front_matter: str = "",
    pages: int = 3,
    body: str | None = None,
) -> str:
    """The text of `index.<language>.md` for a test module."""
    lines = [
        "---",
        f"id: {slug}",
        f'title: "{title or f"Module {slug} ({language})"}"',
        f'summary: "{summary}"',
        f"language: {language}",
        f"source_language: {source_language}",
    ]
    if language == source_language:
        lines.append(f"revision: {revision}")
    else:
        lines.append(f"translates: {translates or revision}")
    lines += [f"provider: {provider}", f"minutes: {minutes}", f"tags: [{', '.join(tags)}]"]
    if version_note:
        lines.append(f'version_note: "{version_note}"')
    if extra_front_matter:
        lines.append(extra_front_matter)
    lines.append("---")
    text = "\n".join(lines) + "\n\n"
    if body is None:
        body = "\n".join(page_text(n) for n in range(1, pages + 1))
    return text + body


def write_module(
    root: Path,
    slug: str,
    *,
    languages: Iterable[str] = ("fr",),
    source_language: str = "fr",
    media: Mapping[str, bytes] | None = None,
    texts: Mapping[str, str] | None = None,
    **options,
) -> Path:
    """Write a module folder under `root`; `texts` overrides whole files by language."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    for language in languages:
        text = (texts or {}).get(language) or module_text(
            slug, language, source_language=source_language, **options
        )
        (folder / f"index.{language}.md").write_text(text, encoding="utf-8")
    for path, data in (media or {}).items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


@contextmanager
def in_transaction():
    """Run the body in a real transaction, as the CLI and requests do.

    The test body's session autocommits on SQLite (see tests.conftest.serving), so a
    rollback could not undo anything; atomicity tests need a transaction.
    """
    from app.db import sqlite_begin_mode

    db.session.rollback()
    token = sqlite_begin_mode.set("immediate")
    try:
        yield
    finally:
        db.session.rollback()
        sqlite_begin_mode.reset(token)


def import_paths(paths: Iterable[Path | str], *, major: bool | None = None, **options):
    """Import into the test database and commit, as `flask content import` does."""
    from app.content.importing import import_library
    from app.timekeeping.clock import now

    report = import_library(db.session, list(paths), now=now(), major=major, actor=None, **options)
    db.session.commit()
    return report


def count(model) -> int:
    """How many rows a table has."""
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count()).select_from(model)) or 0
