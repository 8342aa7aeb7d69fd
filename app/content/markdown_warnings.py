"""What a trainer should know about Markdown before publishing: its links, and warnings.

Links and images are found as Python-Markdown itself parses them, with their lines; warnings
name Markdown that will not show as written (raw HTML, missing alt text, unsafe links...).
Pure: no Flask, no database.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from markdown import util
from markdown.inlinepatterns import HTML_RE

from app.content.html_sanitiser import CALLOUT_KINDS
from app.content.link_targets import Reference, UrlKind, unescape_placeholders
from app.content.markdown_pipeline import (
    MAX_BRACKETS,
    MarkdownTooComplex,
    convert_markdown,
    fenced_blocks,
    normalise_like_markdown,
)
from app.i18n.markers import N_


def markdown_references(text: str) -> list[Reference]:
    """Every link and image in the Markdown, as Markdown itself parses them, with line numbers."""
    # Too complex: shown as plain text, so it has no links (markdown_warnings says so).
    return _references_unless_too_complex(text) or []


def _references_unless_too_complex(text: str) -> list[Reference] | None:
    """The references, or None when the Markdown is too complex to convert."""
    if not text.strip():
        return []
    try:
        _, recorded = convert_markdown(text, media_url=None, labels=None, footnote_prefix="")
    except MarkdownTooComplex:
        return None
    lines = normalise_like_markdown(text).split("\n")
    unescaped = [html.unescape(line) for line in lines]
    found: list[Reference] = []
    last_line: dict[str, int] = {}
    for kind, target, label, raw in recorded:
        syntax = f"![{label}]" if kind == "image" else f"[{label}]"
        # The target first: for a reference link that is its definition line, where to fix it.
        candidates = (unescape_placeholders(raw), target.url, syntax, label)
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
    lines = normalise_like_markdown(text).split("\n")
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
    # One conversion tells both what links there are and whether the text is too complex
    # (a live preview of a long page converts it once more to show it; a third cost 0.2 s).
    if references is None:
        references = _references_unless_too_complex(text)
        too_complex = references is None
    else:  # converted by the caller: had it links, it was not too complex
        too_complex = not references and _too_complex(text)
    if too_complex:
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
    for reference in references or ():
        warning = _reference_warning(reference)
        if warning:
            found.append(MarkdownWarning(reference.line, *warning))
    unique = {(w.line, w.template, tuple(sorted(w.params.items()))): w for w in found}
    return sorted(unique.values(), key=lambda w: (w.line, w.message))


def _too_complex(text: str) -> bool:
    try:
        convert_markdown(text, media_url=None, labels=None, footnote_prefix="")
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
