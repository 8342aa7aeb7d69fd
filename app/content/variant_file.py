"""One language file of a module (`index.<lang>.md`): read, parse and check it.

The front matter is checked by `front_matter`; the body is split into pages, and its Markdown
and media links are checked against the module folder. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from app.content.front_matter import check_front_matter, read_front_matter
from app.content.front_matter_values import FileChecker
from app.content.html_sanitiser import VIDEO_TYPES
from app.content.link_targets import Reference, UrlKind
from app.content.markdown_warnings import markdown_references, markdown_warning_details
from app.content.media_types import media_type_for_name
from app.content.module_format import (
    INDEX_FILE_RE,
    MAX_FILE_BYTES,
    MAX_PAGES,
    PageSource,
    VariantSource,
    compute_content_hash,
    normalise_text,
    split_pages,
    trim_blank_lines,
)
from app.i18n.markers import N_
from app.web.problems import Problem, has_errors, make_problem


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
    checker = FileChecker(str(path))
    split = _split_front_matter(text, checker)
    if split is None:
        return None, checker.problems
    lines, closing = split
    entries = read_front_matter("\n".join(lines[1:closing]), 2, checker)
    if entries is None:
        return None, checker.problems
    values = check_front_matter(entries, checker, expected_language, expected_id)

    body_lines = [line if line.strip() else "" for line in lines[closing + 1 :]]
    body, offset = trim_blank_lines(body_lines)
    body_markdown = body + "\n" if body else ""
    pages = split_pages(body, title=values.get("title") or "", first_line=closing + 2 + offset)
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


def _split_front_matter(text: str, checker: FileChecker) -> tuple[list[str], int] | None:
    """The normalised lines and the index of the closing '---' (None, with an error, if wrong)."""
    if len(text) > MAX_FILE_BYTES:
        checker.error(
            1,
            N_("the file is too large (%(size)d characters, at most %(max)d)"),
            size=len(text),
            max=MAX_FILE_BYTES,
        )
        return None
    text = normalise_text(text)
    if "\x00" in text:
        # PostgreSQL cannot store NUL and no author means it: refuse before any parsing.
        checker.error(
            text[: text.index("\x00")].count("\n") + 1,
            N_("the file contains a NUL character (byte 0): remove it"),
        )
        return None
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        checker.error(
            1, N_("the file must start with a line '---', then the front matter, then '---'")
        )
        return None
    closing = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if closing is None:
        checker.error(1, N_("the front matter is not closed: add a line '---' after it"))
        return None
    return lines, closing


def _check_pages(
    pages: list[PageSource], lines: list[str], checker: FileChecker, closing_line: int
) -> None:
    """Every page needs a title and text; at most MAX_PAGES pages."""
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
    pages: list[PageSource], checker: FileChecker, media_hashes: Mapping[str, str] | None
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
    checker: FileChecker,
    media_hashes: Mapping[str, str] | None,
    used: list[str],
) -> None:
    """A media link must stay in the folder, name a file there, and show as what it is."""
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
    entries = read_front_matter("\n".join(lines[1:closing]), 2, FileChecker(str(path)))
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
