"""Module folders (`courses/<id>/index.<lang>.md`, docs/FORMATS.md): read, check, write back.

Front matter is YAML read with PyYAML's safe loader, node by node, so every problem names its
real line in the .md file. The body is split into pages exactly where Python-Markdown would see
a level-2 heading. Pure: no Flask, no database.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import shutil
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.content.html_sanitiser import VIDEO_TYPES
from app.content.link_targets import Reference, UrlKind
from app.content.markdown_pipeline import fenced_blocks
from app.content.markdown_warnings import markdown_references, markdown_warning_details
from app.content.media_types import media_type_for_name, sniff_file
from app.content.safe_yaml import AliasRefused, compose_limited, reader_error_line
from app.i18n.languages import LANGUAGES, language_rank
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, has_errors, make_problem

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
            text, offset = _trim_blank_lines(content)
            if not text:
                continue
            line = first_line + offset
            pages.append(PageSource(len(pages), title, text, line, line))
        else:
            heading_line = first_line + begin - 1
            text, offset = _trim_blank_lines(lines[begin:end])
            pages.append(
                PageSource(len(pages), section_title, text, heading_line, heading_line + 1 + offset)
            )
    return pages


def _heading_title(raw: str) -> str:
    return _CLOSING_HASHES_RE.sub("", raw).strip()


def _trim_blank_lines(lines: list[str]) -> tuple[str, int]:
    """Drop leading and trailing blank lines; return the text and how many lines were dropped."""
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end]), start


# --- One language file -----------------------------------------------------------------------


class _FileChecker:
    """Collects problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def error(self, line: int, template: str, **params: Any) -> None:
        self.problems.append(make_problem(self.file, line, template, ERROR, **params))

    def warning(self, line: int, template: str, **params: Any) -> None:
        self.problems.append(make_problem(self.file, line, template, WARNING, **params))


@dataclass
class _Entry:
    """A front-matter key with its value and lines."""

    key: str
    value: Any
    key_line: int
    value_line: int
    node: yaml.Node


def parse_variant_text(
    text: str,
    *,
    path: str | Path,
    expected_language: str | None = None,
    expected_id: str | None = None,
    media_hashes: Mapping[str, str] | None = None,
) -> tuple[VariantSource | None, list[Problem]]:
    """Parse and check one language file; the variant is None when there is any error.

    `expected_language` and `expected_id` come from the file and folder names. With
    `media_hashes` (path in the module folder -> sha256) every relative link and image must
    name one of those files, and their hashes go into the content hash.
    """
    path = Path(path)
    checker = _FileChecker(str(path))
    if len(text) > MAX_FILE_BYTES:
        checker.error(
            1,
            N_("the file is too large (%(size)d characters, at most %(max)d)"),
            size=len(text),
            max=MAX_FILE_BYTES,
        )
        return None, checker.problems
    text = normalise_text(text)
    if "\x00" in text:
        # PostgreSQL cannot store NUL and no author means it: refuse before any parsing.
        checker.error(
            text[: text.index("\x00")].count("\n") + 1,
            N_("the file contains a NUL character (byte 0): remove it"),
        )
        return None, checker.problems
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        checker.error(
            1, N_("the file must start with a line '---', then the front matter, then '---'")
        )
        return None, checker.problems
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        checker.error(1, N_("the front matter is not closed: add a line '---' after it"))
        return None, checker.problems

    entries = _read_front_matter("\n".join(lines[1:closing]), 2, checker)
    if entries is None:
        return None, checker.problems
    values = _check_front_matter(entries, checker, expected_language, expected_id)

    body_lines = [line if line.strip() else "" for line in lines[closing + 1 :]]
    body, offset = _trim_blank_lines(body_lines)
    body_first_line = closing + 2 + offset
    body_markdown = body + "\n" if body else ""
    pages = split_pages(body, title=values.get("title") or "", first_line=body_first_line)
    _check_pages(pages, lines, checker, closing + 1)
    referenced = _check_references(pages, checker, media_hashes)

    checker.problems.sort(key=lambda p: p.line)
    if has_errors(checker.problems):
        return None, checker.problems
    used_media = {p: (media_hashes or {}).get(p) for p in referenced}
    variant = VariantSource(
        path=path,
        body_markdown=body_markdown,
        pages=pages,
        content_hash=compute_content_hash(values, body_markdown, used_media),
        key_lines={entry.key: entry.key_line for entry in entries.values()},
        media_paths=tuple(referenced),
        **values,
    )
    return variant, checker.problems


def _read_front_matter(
    source: str, first_line: int, checker: _FileChecker
) -> dict[str, _Entry] | None:
    """Compose the YAML (safe loader, bounded) and return its top-level keys with their lines."""
    try:
        loader, root = compose_limited(source, max_nodes=MAX_FRONT_MATTER_VALUES)
    except AliasRefused as exc:
        line = exc.problem_mark.line if exc.problem_mark else 0
        checker.error(
            first_line + line, N_("YAML aliases (*name) are not allowed in the front matter")
        )
        return None
    except yaml.YAMLError as exc:
        refused = reader_error_line(exc, source)
        if refused is not None:
            checker.error(
                first_line + refused - 1,
                N_("the front matter contains a control character (such as NUL): remove it"),
            )
            return None
        line, detail = _yaml_error_position(exc, source)
        checker.error(
            first_line + line, N_("invalid YAML in the front matter: %(detail)s"), detail=detail
        )
        return None
    try:
        return _front_matter_entries(loader, root, first_line, checker)
    finally:
        loader.dispose()


def _front_matter_entries(
    loader: yaml.SafeLoader, root: yaml.Node | None, first_line: int, checker: _FileChecker
) -> dict[str, _Entry] | None:
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        checker.error(
            first_line + root.start_mark.line,
            N_("the front matter must be 'key: value' lines"),
        )
        return None
    entries: dict[str, _Entry] = {}
    ok = True
    for key_node, value_node in root.value:
        key_line = first_line + key_node.start_mark.line
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
            checker.error(key_line, N_("front-matter keys must be simple names like 'title'"))
            ok = False
            continue
        if key in entries:
            checker.error(key_line, N_("'%(key)s' appears twice in the front matter"), key=key)
            ok = False
            continue
        try:
            value = loader.construct_object(value_node, deep=True)
        except (yaml.YAMLError, ValueError) as exc:
            # ValueError: a whole number longer than Python converts (thousands of digits).
            checker.error(
                first_line + value_node.start_mark.line,
                N_("invalid YAML in the front matter: %(detail)s"),
                detail=getattr(exc, "problem", None) or str(exc).splitlines()[0],
            )
            ok = False
            continue
        entries[key] = _Entry(
            key, value, key_line, first_line + value_node.start_mark.line, value_node
        )
    return entries if ok else None


def _yaml_error_position(exc: yaml.YAMLError, source: str) -> tuple[int, str]:
    """0-based line and English detail of a YAML error, pointing where a trainer should look."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    line = problem_mark.line if problem_mark else 0
    # An unclosed quote or bracket is noticed lines later; show where it was opened.
    if (
        context_mark
        and context
        and context.startswith(("while scanning a quoted", "while parsing a flow"))
    ):
        line = context_mark.line
    detail = f"{problem} ({context})" if context else problem
    return min(line, source.count("\n")), detail


def _check_front_matter(
    entries: dict[str, _Entry],
    checker: _FileChecker,
    expected_language: str | None,
    expected_id: str | None,
) -> dict[str, Any]:
    """Check every key and return typed values for all FRONT_MATTER_KEYS."""
    suggested: set[str] = set()
    for entry in entries.values():
        if entry.key not in FRONT_MATTER_KEYS:
            close = difflib.get_close_matches(entry.key, FRONT_MATTER_KEYS, n=1)
            suggested.update(close)
            if close:
                checker.error(
                    entry.key_line,
                    N_("unknown front-matter key '%(key)s' (did you mean '%(suggestion)s'?)"),
                    key=entry.key,
                    suggestion=close[0],
                )
            else:
                checker.error(
                    entry.key_line, N_("unknown front-matter key '%(key)s'"), key=entry.key
                )
    present = {k: e for k, e in entries.items() if e.value is not None}
    for key in REQUIRED_KEYS:
        # A misspelt key ("titel") already says what is missing.
        if key not in present and key not in suggested:
            line = entries[key].key_line if key in entries else 1
            checker.error(line, N_("'%(key)s' is required"), key=key)

    values: dict[str, Any] = {
        "id": _slug(present.get("id"), checker),
        "title": _text(present.get("title"), checker, MAX_TITLE_LENGTH),
        "summary": _text(present.get("summary"), checker, MAX_SUMMARY_LENGTH),
        "language": _language(present.get("language"), checker),
        "source_language": _language(present.get("source_language"), checker),
        "revision": _integer(present.get("revision"), checker, 1, MAX_REVISION, say_range=False),
        "translates": _integer(
            present.get("translates"), checker, 1, MAX_REVISION, say_range=False
        ),
        "provider": _slug(present.get("provider"), checker),
        "minutes": _integer(present.get("minutes"), checker, MIN_MINUTES, MAX_MINUTES),
        "tags": _tags(present.get("tags"), checker),
        "valid_days": _integer(present.get("valid_days"), checker, 1, MAX_VALID_DAYS),
        "refresher_of": _slug(present.get("refresher_of"), checker),
        "kind": _kind(present.get("kind"), checker),
        "version_note": _text(
            present.get("version_note"), checker, MAX_NOTE_LENGTH, allow_empty=True
        )
        or "",
    }

    def line(key: str) -> int:
        return entries[key].value_line if key in entries else 1

    if expected_id is not None and values["id"] and values["id"] != expected_id:
        checker.error(
            line("id"),
            N_("'id' is '%(id)s' but the folder is '%(folder)s': they must be the same"),
            id=values["id"],
            folder=expected_id,
        )
    language = values["language"]
    if expected_language is not None and language and language != expected_language:
        checker.error(
            line("language"),
            N_("'language' is '%(language)s' but the file name says '%(expected)s'"),
            language=language,
            expected=expected_language,
        )
    if values["language"] and values["source_language"]:
        if values["language"] == values["source_language"]:
            if "revision" not in present:
                checker.error(
                    line("revision"), N_("'revision' is required in the source-language file")
                )
            if "translates" in present:
                checker.error(
                    line("translates"),
                    N_("'translates' is only for translations; this file has 'revision'"),
                )
        else:
            if "translates" not in present:
                checker.error(
                    line("translates"),
                    N_("'translates' is required in a translation: the source revision it follows"),
                )
            if "revision" in present:
                checker.error(
                    line("revision"),
                    N_("'revision' belongs in the source-language file (%(source)s) only"),
                    source=values["source_language"],
                )
    if values["refresher_of"] and values["refresher_of"] == values["id"]:
        checker.error(line("refresher_of"), N_("a module cannot be a refresher of itself"))
    return values


def _text(
    entry: _Entry | None, checker: _FileChecker, max_length: int | None, allow_empty: bool = False
) -> str | None:
    if entry is None:
        return None
    if not isinstance(entry.value, str):
        checker.error(
            entry.value_line,
            N_("'%(key)s' must be text (put it in quotes)"),
            key=entry.key,
        )
        return None
    value = entry.value.strip()
    if not value and not allow_empty:
        checker.error(entry.value_line, N_("'%(key)s' must not be empty"), key=entry.key)
        return None
    if max_length is not None and len(value) > max_length:
        checker.error(
            entry.value_line,
            N_("'%(key)s' is too long (%(length)d characters, at most %(max)d)"),
            key=entry.key,
            length=len(value),
            max=max_length,
        )
        return None
    return value


def _slug(entry: _Entry | None, checker: _FileChecker) -> str | None:
    value = _text(entry, checker, 100)
    if value is None or entry is None:
        return None
    if not SLUG_RE.match(value):
        checker.error(
            entry.value_line,
            N_("'%(key)s' must use only a-z, 0-9 and -, like 'tax-2027'"),
            key=entry.key,
        )
        return None
    return value


def _kind(entry: _Entry | None, checker: _FileChecker) -> str | None:
    """`kind`: None for a plain module (absent or `module`), else `attestation`."""
    value = _text(entry, checker, 20)
    if value is None or entry is None:
        return None
    if value not in KINDS:
        checker.error(
            entry.value_line,
            N_("'kind' must be module or attestation (not '%(value)s')"),
            value=value,
        )
        return None
    return None if value == "module" else value


def _language(entry: _Entry | None, checker: _FileChecker) -> str | None:
    value = _text(entry, checker, 10)
    if value is None or entry is None:
        return None
    if value not in LANGUAGES:
        checker.error(
            entry.value_line,
            N_("'%(key)s' must be one of de, fr, it, en (not '%(value)s')"),
            key=entry.key,
            value=value,
        )
        return None
    return value


def _integer(
    entry: _Entry | None,
    checker: _FileChecker,
    low: int,
    high: int,
    *,
    say_range: bool = True,
) -> int | None:
    """A whole number within [low, high]; `say_range=False` names only the side exceeded."""
    if entry is None:
        return None
    value = entry.value
    if isinstance(value, bool) or not isinstance(value, int):
        checker.error(entry.value_line, N_("'%(key)s' must be a whole number"), key=entry.key)
        return None
    if low <= value <= high:
        return value
    if say_range:
        checker.error(
            entry.value_line,
            N_("'%(key)s' must be between %(low)d and %(high)d"),
            key=entry.key,
            low=low,
            high=high,
        )
    elif value < low:
        checker.error(
            entry.value_line, N_("'%(key)s' must be at least %(low)d"), key=entry.key, low=low
        )
    else:
        checker.error(
            entry.value_line, N_("'%(key)s' must be at most %(high)d"), key=entry.key, high=high
        )
    return None


def _tags(entry: _Entry | None, checker: _FileChecker) -> list[str]:
    if entry is None:
        return []
    if not isinstance(entry.value, list):
        checker.error(entry.value_line, N_("'tags' must be a list, like [tax, eid]"))
        return []
    if len(entry.value) > MAX_TAGS:
        checker.error(entry.value_line, N_("at most %(max)s tags"), max=MAX_TAGS)
        return []
    tags: list[str] = []
    for item, node in zip(entry.value, entry.node.value, strict=True):
        if not isinstance(item, str) or not item.strip():
            checker.error(_node_line(entry, node), N_("each tag must be a word or short text"))
            continue
        if len(item.strip()) > MAX_TAG_LENGTH:
            checker.error(
                _node_line(entry, node),
                N_("a tag may have at most %(max)s characters"),
                max=MAX_TAG_LENGTH,
            )
            continue
        tags.append(item.strip())
    return tags


def _node_line(entry: _Entry, node: yaml.Node) -> int:
    """The file line of a node inside an entry's value."""
    return entry.value_line + node.start_mark.line - entry.node.start_mark.line


def _check_pages(
    pages: list[PageSource], lines: list[str], checker: _FileChecker, closing_line: int
) -> None:
    if not pages:
        checker.error(closing_line, N_("the module has no text after the front matter"))
        return
    for page in pages:
        is_heading = page.start_line != page.markdown_line  # not the introduction page
        if is_heading and re.match(r"^##[^#\s]", lines[page.start_line - 1]):
            checker.warning(page.start_line, N_('write a space after ##, like "## Title"'))
        if is_heading and not page.title:
            checker.error(page.start_line, N_("a page heading (##) needs a title"))
        if not page.markdown.strip():
            checker.error(
                page.start_line,
                N_("page %(number)d ('%(title)s') is empty"),
                number=page.index + 1,
                title=page.title,
            )
        if page.index == MAX_PAGES:
            checker.error(
                page.start_line,
                N_("too many pages: %(count)d (a module has at most %(max)d)"),
                count=len(pages),
                max=MAX_PAGES,
            )


def _check_references(
    pages: list[PageSource], checker: _FileChecker, media_hashes: Mapping[str, str] | None
) -> list[str]:
    """Warn about Markdown that will not show as written; check media links. Returns paths used."""
    used: list[str] = []
    for page in pages:
        references = markdown_references(page.markdown)
        for warning in markdown_warning_details(page.markdown, references):
            checker.warning(page.file_line(warning.line), warning.template, **warning.params)
        if page.start_line != page.markdown_line:  # a "## " heading line
            for warning in markdown_warning_details(page.title):
                checker.warning(page.start_line, warning.template, **warning.params)
        for reference in references:
            _check_reference(page, reference, checker, media_hashes, used)
    return used


def _check_reference(
    page: PageSource,
    reference: Reference,
    checker: _FileChecker,
    media_hashes: Mapping[str, str] | None,
    used: list[str],
) -> None:
    target = reference.target
    if target.kind is not UrlKind.MEDIA:
        return
    line = page.file_line(reference.line)
    if target.path is None:
        checker.error(
            line,
            N_("'%(target)s' is outside the module folder: put the file in the folder"),
            target=target.url,
        )
        return
    if target.path not in used:
        used.append(target.path)
    if media_hashes is None:
        return
    if target.path not in media_hashes:
        checker.error(line, N_("'%(path)s' does not exist in the module folder"), path=target.path)
        return
    media_type = media_type_for_name(target.path)
    if reference.kind == "image" and (media_type is None or media_type.kind == "document"):
        extensions = ", ".join(["png", "jpg", "gif", "webp", *(e[1:] for e in VIDEO_TYPES)])
        checker.error(
            line,
            N_("'%(path)s' cannot be shown as an image or video (use %(extensions)s)"),
            path=target.path,
            extensions=extensions,
        )


def read_at_most(path: str | Path, limit: int) -> bytes | None:
    """The bytes of a file, or None when it is longer than `limit` (never read whole then)."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def declared_id(path: str | Path) -> tuple[str, int] | None:
    """The `id` a language file declares and its line, even if the file has other errors."""
    try:
        raw = read_at_most(path, MAX_FILE_BYTES)
        if raw is None:
            return None
        text = normalise_text(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        return None
    entries = _read_front_matter("\n".join(lines[1:closing]), 2, _FileChecker(str(path)))
    entry = (entries or {}).get("id")
    if entry is None or not isinstance(entry.value, str):
        return None
    return entry.value.strip(), entry.key_line


def read_variant_file(
    path: str | Path, *, media_hashes: Mapping[str, str] | None = None
) -> tuple[VariantSource | None, list[Problem]]:
    """Read `index.<lang>.md`; the language and id are checked against the file and folder."""
    path = Path(path)
    raw = read_at_most(path, MAX_FILE_BYTES)
    if raw is None:
        problem = make_problem(
            str(path),
            0,
            N_("the file is too large (%(size)d bytes, at most %(max)d)"),
            size=path.stat().st_size,
            max=MAX_FILE_BYTES,
        )
        return None, [problem]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [make_problem(str(path), line, N_("the file is not valid UTF-8 text"))]
    match = INDEX_FILE_RE.match(path.name)
    language = match.group(1) if match else None
    return parse_variant_text(
        text,
        path=path,
        expected_language=language,
        expected_id=path.parent.name,
        media_hashes=media_hashes,
    )


# --- A module folder -------------------------------------------------------------------------


@dataclass
class ModuleFiles:
    """The files of a module folder, sorted by kind (paths relative to the folder)."""

    index: dict[str, Path]  # language -> file
    bad_names: list[Path]  # index*.md files whose language is missing or not supported
    media: list[Path]
    ignored: list[Path]
    symlinks: list[Path]


def module_files(folder: Path) -> ModuleFiles:
    """Sort the files of a module folder: language files, media (beside them or in media/)."""
    files = ModuleFiles({}, [], [], [], [])
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        relative = entry.relative_to(folder)
        if entry.is_symlink():
            files.symlinks.append(relative)
        elif entry.is_dir():
            if entry.name == MEDIA_FOLDER:
                for path in sorted(entry.rglob("*")):
                    inner = path.relative_to(folder)
                    if any(part.startswith(".") for part in inner.parts):
                        continue
                    if path.is_symlink():
                        files.symlinks.append(inner)
                    elif path.is_file():
                        files.media.append(inner)
            else:
                files.ignored.append(relative)
            continue
        match = INDEX_FILE_RE.match(entry.name)
        if match:
            if match.group(1) in LANGUAGES:
                files.index[match.group(1)] = relative
            else:
                files.bad_names.append(relative)
        elif entry.suffix.lower() == ".md":
            files.ignored.append(relative)
        else:
            files.media.append(relative)
    return files


def is_module_folder(folder: Path) -> bool:
    """True when the folder holds at least one index*.md file."""
    return folder.is_dir() and any(
        INDEX_FILE_RE.match(p.name) for p in folder.iterdir() if p.is_file()
    )


def read_module_folder(folder: str | Path) -> ModuleReading:
    """Read and check one module folder: every language file, media types and translations."""
    folder = Path(folder)
    if not folder.is_dir():
        problem = make_problem(str(folder), 0, N_("this folder does not exist"))
        return ModuleReading(folder, None, {}, [], [], [problem], {})
    files = module_files(folder)
    problems: list[Problem] = []
    for relative in files.bad_names:
        match = INDEX_FILE_RE.match(relative.name)
        language = match.group(1) if match else None
        file = str(folder / relative)
        if language:
            template = N_(
                "language '%(language)s' in the file name is not supported (de, fr, it, en)"
            )
            problems.append(make_problem(file, 0, template, language=language))
        else:
            template = N_("the file name needs a language, like index.de.md")
            problems.append(make_problem(file, 0, template))
    for relative in files.symlinks:
        problems.append(
            make_problem(
                str(folder / relative), 0, N_("links to other files (symlinks) are not allowed")
            )
        )
    if not files.index:
        problems.append(
            make_problem(
                str(folder),
                0,
                N_("no module file here: add index.de.md, index.fr.md, index.it.md or index.en.md"),
            )
        )
    problems.extend(_check_media_types(folder, files.media))
    media_hashes = {p.as_posix(): file_sha256(folder / p) for p in files.media}

    variants: dict[str, VariantSource] = {}
    for language, relative in files.index.items():
        variant, found = read_variant_file(folder / relative, media_hashes=media_hashes)
        problems.extend(found)
        if variant is not None:
            variants[language] = variant
    source_language = _check_variants(folder, files, variants, problems)

    module = None
    if not has_errors(problems) and source_language:
        module = ModuleSource(
            id=variants[source_language].id,
            folder=folder,
            source_language=source_language,
            variants=dict(sorted(variants.items(), key=lambda kv: language_rank(kv[0]))),
            media=files.media,
            media_hashes=media_hashes,
        )
    return ModuleReading(
        folder, module, variants, files.media, files.ignored, problems, files.index
    )


def load_module_folder(folder: str | Path) -> ModuleSource:
    """Read a module folder for import; raise ModuleFormatError if it has any error."""
    reading = read_module_folder(folder)
    if reading.module is None:
        raise ModuleFormatError(reading.problems)
    return reading.module


def _check_media_types(folder: Path, media: list[Path]) -> list[Problem]:
    problems = []
    for relative in media:
        sniffed = sniff_file(folder / relative)
        file = str(folder / relative)
        if sniffed is None:
            problems.append(
                make_problem(
                    file,
                    0,
                    N_("this file type is not allowed (only png, jpg, gif, webp, mp4, webm, pdf)"),
                )
            )
        elif not sniffed.matches_name(relative.name):
            problems.append(
                make_problem(
                    file,
                    0,
                    N_("the file is a %(kind)s but its name ends in '%(suffix)s': rename it"),
                    kind=sniffed.extension,
                    suffix=relative.suffix,
                )
            )
    return problems


def _check_variants(
    folder: Path, files: ModuleFiles, variants: dict[str, VariantSource], problems: list[Problem]
) -> str | None:
    """Cross-language checks; return the source language if it can be decided."""
    if not variants:
        return None
    ordered = sorted(variants.values(), key=lambda v: language_rank(v.language))
    first = ordered[0]
    source_language = first.source_language
    if source_language not in files.index:
        problems.append(
            make_problem(
                str(first.path),
                first.line_of("source_language"),
                N_("'source_language' is %(source)s but there is no index.%(source)s.md here"),
                source=source_language,
            )
        )
        return None
    reference = variants.get(source_language)
    if reference is None:
        return None  # the source file has errors of its own
    for variant in ordered:
        if variant is reference:
            continue
        for key in MODULE_KEYS:
            if getattr(variant, key) != getattr(reference, key):
                problems.append(
                    make_problem(
                        str(variant.path),
                        variant.line_of(key),
                        N_(
                            "'%(key)s' is '%(value)s' here but '%(other)s' in %(other_file)s: "
                            "it must be the same in every language"
                        ),
                        key=key,
                        value=_shown(getattr(variant, key)),
                        other=_shown(getattr(reference, key)),
                        other_file=reference.path.name,
                    )
                )
        revision, translates = reference.revision or 1, variant.translates or 0
        if translates > revision:
            problems.append(
                make_problem(
                    str(variant.path),
                    variant.line_of("translates"),
                    N_(
                        "'translates' is %(translates)d but the source (%(source)s) is only "
                        "at revision %(revision)d"
                    ),
                    translates=translates,
                    source=source_language,
                    revision=revision,
                )
            )
        elif translates < revision:
            problems.append(
                make_problem(
                    str(variant.path),
                    variant.line_of("translates"),
                    N_(
                        "translation out of date: it follows revision %(translates)d but the "
                        "source (%(source)s) is at revision %(revision)d"
                    ),
                    WARNING,
                    translates=translates,
                    source=source_language,
                    revision=revision,
                )
            )
    return source_language if source_language in variants else None


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)


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


def write_module_folder(
    module: ModuleSource,
    dest: str | Path,
    *,
    read_media: Callable[[Path], bytes] | None = None,
) -> Path:
    """Write a module as a folder (`dest` is the module folder itself) and return it.

    `dest` should be empty or the module's own folder: files already there are not removed.
    Media are copied from `module.folder`, or taken from `read_media(relative_path)` when the
    module comes from the database. Reading the folder back gives the same content hashes.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for language, variant in module.variants.items():
        (dest / f"index.{language}.md").write_text(format_variant(variant), encoding="utf-8")
    same_folder = dest.resolve() == Path(module.folder).resolve()
    for relative in module.media:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if read_media is not None:
            target.write_bytes(read_media(relative))
        elif not same_folder:
            shutil.copyfile(Path(module.folder) / relative, target)
    return dest
