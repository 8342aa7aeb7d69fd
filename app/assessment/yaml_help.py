"""Plain-language help for quiz YAML problems: which question a line is in, and what went wrong.

The YAML reader's own messages ("mapping values are not allowed in this context") mean little to a
trainer; this module names the question around a line and explains the common mistakes (bad
indentation, a missing colon, a tab, an unclosed quote). Pure: it only reads the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.i18n.markers import N_

# The quiz reader's template for a YAML syntax error (app/assessment/quiz_format.py).
INVALID_YAML = "invalid YAML: %(problem)s"

TAB = N_(
    "a tab character is used: YAML needs spaces for indentation, never tabs "
    "(replace the tab with spaces)"
)
UNCLOSED_QUOTE = N_(
    "a quote is opened on this line but never closed: end the text with the same "
    "quote (\" or ') it starts with"
)
MISSING_COLON = N_("a colon is missing: write 'name: value', with a space after the colon")
UNQUOTED_COLON = N_(
    "the text contains ': ', which YAML reads as a new name: put the whole text in "
    'double quotes, e.g. stem: "Note: the deadline is 31 March."'
)
BAD_INDENTATION = N_(
    "the indentation is wrong: lines that belong together must start in the same column "
    "as the line above them (count the spaces)"
)

_QUESTIONS_KEY_RE = re.compile(r"^(\s*)questions:\s*(#.*)?$")
_ITEM_RE = re.compile(r"^(\s*)-(\s+|$)")
_ID_RE = re.compile(r"^id:\s*(.*)$")


@dataclass(frozen=True)
class QuestionPlace:
    """The question a line of the quiz file belongs to: its number in the file and its id."""

    number: int
    id: str | None


@dataclass(frozen=True)
class YamlHint:
    """Where a YAML error really is, and a plain-language explanation (an N_ template)."""

    line: int
    explanation: str | None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _scalar(value: str) -> str | None:
    value = value.split(" #", 1)[0].strip().strip("'\"").strip()
    return value or None


def question_at(text: str, line: int) -> QuestionPlace | None:
    """The question (1-based, in file order, pools included) that holds `line`, if any."""
    lines = text.split("\n")
    if not 1 <= line <= len(lines):
        return None
    number = 0
    current: list | None = None  # [number, id]
    key_indent: int | None = None  # indent of the `questions:` key while inside its list
    item_indent: int | None = None
    key_column = 0
    for index, raw in enumerate(lines[:line], start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = _indent(raw)
        item = _ITEM_RE.match(raw)
        is_error_line = index == line
        if key_indent is not None:
            if item_indent is None and item is not None and indent >= key_indent:
                item_indent = indent
            if item_indent is not None and indent == item_indent and item is not None:
                number += 1
                # A bare "-" puts the question's keys on the next lines: their column is
                # known only there.
                key_column = len(item.group(1)) + 1 + len(item.group(2)) if item.group(2) else -1
                current = [number, None]
                match = _ID_RE.match(raw[key_column:])
                if match:
                    current[1] = _scalar(match.group(1))
                continue
            if key_column == -1 and item_indent is not None and indent > item_indent:
                key_column = indent
            ends = (
                item_indent is None
                or indent < item_indent
                or (indent == item_indent and item is None)
            )
            # The error line itself may be badly indented: it still belongs to the question.
            if ends and not is_error_line:
                key_indent, item_indent, current = None, None, None
            elif current is not None and current[1] is None and indent == key_column:
                match = _ID_RE.match(stripped)
                if match:
                    current[1] = _scalar(match.group(1))
                continue
            else:
                continue
        match = _QUESTIONS_KEY_RE.match(raw)
        if match and not is_error_line:
            key_indent, item_indent, current = len(match.group(1)), None, None
    if current is None:
        return None
    return QuestionPlace(number=current[0], id=current[1])


def _opening_quote_line(lines: list[str], line: int) -> int | None:
    """The last line up to `line` whose value opens a quote it does not close."""
    for index in range(min(line, len(lines)), 0, -1):
        raw = lines[index - 1]
        value = (raw.split(": ", 1)[1] if ": " in raw else raw.strip().lstrip("- ")).strip()
        if value.startswith('"') and (value.count('"') - value.count('\\"')) % 2 == 1:
            return index
        if value.startswith("'") and value.count("'") % 2 == 1:
            return index
    return None


def _previous_line(lines: list[str], line: int) -> int | None:
    for index in range(min(line, len(lines) + 1) - 1, 0, -1):
        stripped = lines[index - 1].strip()
        if stripped and not stripped.startswith("#"):
            return index
    return None


def explain_yaml_error(text: str, line: int, detail: str) -> YamlHint:
    """Find the line a YAML syntax error is really on and explain it in plain words."""
    lines = text.split("\n")
    source = lines[line - 1] if 1 <= line <= len(lines) else ""
    if "'\\t'" in detail or "\t" in source:
        tabbed = next((i for i, raw in enumerate(lines, 1) if "\t" in raw and i <= line), line)
        return YamlHint(tabbed, TAB)
    if "quoted scalar" in detail:
        return YamlHint(_opening_quote_line(lines, line) or line, UNCLOSED_QUOTE)
    if "could not find expected ':'" in detail:
        # The reader notices the missing colon only on the line after the name.
        previous = _previous_line(lines, line)
        if previous is not None and ":" not in lines[previous - 1]:
            return YamlHint(previous, MISSING_COLON)
        return YamlHint(line, MISSING_COLON)
    if "mapping values are not allowed" in detail:
        value = source.split(": ", 1)[1] if ": " in source else ""
        if ": " in value or value.endswith(":"):
            return YamlHint(line, UNQUOTED_COLON)
        return YamlHint(line, BAD_INDENTATION)
    if any(
        marker in detail
        for marker in ("expected <block end>", "did not find expected key", "expected '-'")
    ):
        return YamlHint(line, BAD_INDENTATION)
    return YamlHint(line, None)
