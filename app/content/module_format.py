"""The module file format (`courses/<id>/index.<lang>.md`, docs/FORMATS.md): its shapes and rules.

Limits, front-matter keys, the parsed shapes (pages, language variants, modules), the content
hash, page splitting and writing a variant back as text. Reading and checking files is in
`variant_file` (one language file), `front_matter` and `module_folder` (a whole folder).
Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.content.markdown_pipeline import fenced_blocks
from app.web.problems import ERROR, Problem

MIN_MINUTES, MAX_MINUTES = 1, 120
MIN_PAGES, MAX_PAGES = 1, 30
MAX_VALID_DAYS = 3660
MAX_TITLE_LENGTH = 200
MAX_SUMMARY_LENGTH = 1000
MAX_FILE_BYTES = 500_000  # about 0.9 s of CPU to check and render at most
MAX_FRONT_MATTER_VALUES = 200
MAX_TAGS, MAX_TAG_LENGTH = 30, 50
MAX_NOTE_LENGTH = 1000
MAX_REVISION = 100_000
MEDIA_FOLDER = "media"
HASH_VERSION = "readiness-module-v1"

SLUG_RE = re.compile(r"^[a-z0-9-]+$")
INDEX_FILE_RE = re.compile(r"^index(?:\.([^.]*))?\.md$", re.IGNORECASE)

# Written back in this order.
FRONT_MATTER_KEYS = (
    "id",
    "title",
    "summary",
    "language",
    "source_language",
    "revision",
    "translates",
    "provider",
    "minutes",
    "tags",
    "valid_days",
    "refresher_of",
    "kind",
    "version_note",
)
# `kind: attestation` makes the module a policy text that learners confirm (app/attestations);
# absent (or `module`), it is a module to learn. Stored as None for a plain module.
KINDS = ("module", "attestation")
# Keys added after HASH_VERSION v1: hashed only when set, so existing modules keep their hash.
_HASHED_WHEN_SET = ("kind",)
REQUIRED_KEYS = ("id", "title", "summary", "language", "provider", "minutes", "source_language")
# Properties of the module itself: every language must agree on them.
MODULE_KEYS = ("source_language", "provider", "valid_days", "refresher_of", "kind")

_PAGE_HEADING_RE = re.compile(r"^##(?!#)(.*)$")
_CLOSING_HASHES_RE = re.compile(r"(?<!\\)#+[ \t]*$")


@dataclass(frozen=True)
class PageSource:
    """One page: 0-based index, title (Markdown as written), Markdown text, where it is.

    `start_line` is the file line of the page's `##` heading (for the introduction page, its
    first line of text); `markdown_line` is the file line of the first line of `markdown`.
    """

    index: int
    title: str
    markdown: str
    start_line: int
    markdown_line: int

    def file_line(self, markdown_line: int) -> int:
        """The file line of a 1-based line of `markdown`."""
        return self.markdown_line + markdown_line - 1


@dataclass(frozen=True)
class VariantSource:
    """One language file of a module, parsed and checked."""

    id: str
    language: str
    path: Path
    title: str
    summary: str
    provider: str
    minutes: int
    tags: list[str]
    version_note: str
    valid_days: int | None
    source_language: str
    revision: int | None
    translates: int | None
    refresher_of: str | None
    body_markdown: str
    pages: list[PageSource]
    content_hash: str
    # Line of each front-matter key in the file, for problems found later (not content).
    key_lines: Mapping[str, int] = field(default_factory=dict, compare=False, repr=False)
    # Paths (inside the module folder) of the media files this variant links or shows.
    media_paths: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # "attestation", or None for a plain module (see KINDS).
    kind: str | None = None

    @property
    def is_source(self) -> bool:
        """True for the file in the module's source language."""
        return self.language == self.source_language

    def line_of(self, key: str) -> int:
        """The file line of a front-matter key (1, the opening ---, if it is absent)."""
        return self.key_lines.get(key, 1)

    def front_matter(self) -> dict[str, Any]:
        """Every front-matter key with its value (None, [] or "" when not given)."""
        return {key: getattr(self, key) for key in FRONT_MATTER_KEYS}


@dataclass(frozen=True)
class ModuleSource:
    """A module folder: its language variants and media files (paths relative to the folder)."""

    id: str
    folder: Path
    source_language: str
    variants: dict[str, VariantSource]
    media: list[Path]
    media_hashes: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def source(self) -> VariantSource:
        """The variant in the source language."""
        return self.variants[self.source_language]

    @property
    def revision(self) -> int:
        """The source revision (raised by the author when the meaning changes)."""
        return self.source.revision or 1

    def out_of_date_languages(self) -> list[str]:
        """Languages whose translation follows an older source revision."""
        return [
            language
            for language, variant in self.variants.items()
            if not variant.is_source and (variant.translates or 0) < self.revision
        ]


@dataclass
class ModuleReading:
    """Everything read from one module folder, even when it has errors."""

    folder: Path
    module: ModuleSource | None  # None when there is any error
    variants: dict[str, VariantSource]  # every file that could be read
    media: list[Path]
    ignored: list[Path]  # files and folders that are not part of the module
    problems: list[Problem]
    index_files: dict[str, Path] = field(default_factory=dict)  # language -> file, as found


class ModuleFormatError(ValueError):
    """A module folder has errors; `problems` lists them (and any warnings)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems if p.severity == ERROR))
        self.problems = problems


# --- Text normalisation and hashing ------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Same text on every machine: no BOM, \\n line endings, Unicode NFC."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def compute_content_hash(
    front_matter: Mapping[str, Any], body: str, media_hashes: Mapping[str, str | None]
) -> str:
    """sha256 over the parsed front matter, the normalised body and the referenced media."""
    document = {
        "format": HASH_VERSION,
        "front_matter": {
            key: front_matter.get(key)
            for key in FRONT_MATTER_KEYS
            if key not in _HASHED_WHEN_SET or front_matter.get(key) is not None
        },
        "body": body,
        "media": dict(sorted(media_hashes.items())),
    }
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# --- Pages -----------------------------------------------------------------------------------


def split_pages(body: str, *, title: str, first_line: int = 1) -> list[PageSource]:
    """Split a module body into pages (docs/FORMATS.md).

    A line starting with `##` (not `###`) outside a fenced code block starts a page and is its
    title, exactly where Python-Markdown would see a level-2 heading. Text before the first
    one is an introduction page titled with the module title. `first_line` is the file line of
    the body's first line.
    """
    lines = body.split("\n")
    in_fence = {n for start, end, _ in fenced_blocks(body) for n in range(start, end + 1)}
    sections: list[tuple[str | None, int, int]] = []  # (title or None for intro, start, end)
    start, heading = 0, None
    for number, line in enumerate(lines, 1):
        match = _PAGE_HEADING_RE.match(line)
        if match and number not in in_fence:
            sections.append((heading, start, number - 1))
            heading, start = _heading_title(match.group(1)), number
    sections.append((heading, start, len(lines)))

    pages: list[PageSource] = []
    for section_title, begin, end in sections:
        if section_title is None:
            content = lines[begin:end]  # begin is 0: the introduction, no heading line
            text, offset = trim_blank_lines(content)
            if not text:
                continue
            line = first_line + offset
            pages.append(PageSource(len(pages), title, text, line, line))
        else:
            heading_line = first_line + begin - 1
            text, offset = trim_blank_lines(lines[begin:end])
            pages.append(
                PageSource(len(pages), section_title, text, heading_line, heading_line + 1 + offset)
            )
    return pages


def _heading_title(raw: str) -> str:
    return _CLOSING_HASHES_RE.sub("", raw).strip()


def trim_blank_lines(lines: list[str]) -> tuple[str, int]:
    """Drop leading and trailing blank lines; return the text and how many lines were dropped."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), start


# --- Writing back ----------------------------------------------------------------------------


def format_variant(variant: VariantSource) -> str:
    """The file text for a variant: front matter in a fixed key order, then the body."""
    lines = ["---"]
    for key, value in variant.front_matter().items():
        if value is None or value == "" or value == []:
            continue
        dumped = yaml.safe_dump(
            {key: value},
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=10_000,
        )
        lines.append(dumped.rstrip("\n"))
    lines.append("---")
    text = "\n".join(lines) + "\n"
    if variant.body_markdown:
        text += "\n" + variant.body_markdown
    return text
