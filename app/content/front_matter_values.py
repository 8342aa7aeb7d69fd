"""The typed value of one front-matter key (text, slug, language, whole number, tags, kind).

Each reader takes an entry (None when the key is absent), reports problems on its line and
returns the value, or None when it is wrong. Pure: no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from app.content.module_format import KINDS, MAX_TAG_LENGTH, MAX_TAGS, SLUG_RE
from app.i18n.languages import LANGUAGES
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, make_problem


class FileChecker:
    """Collects problems for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def error(self, line: int, template: str, **params: Any) -> None:
        """Add an error on `line`."""
        self.problems.append(make_problem(self.file, line, template, ERROR, **params))

    def warning(self, line: int, template: str, **params: Any) -> None:
        """Add a warning on `line`."""
        self.problems.append(make_problem(self.file, line, template, WARNING, **params))


@dataclass
class FrontMatterEntry:
    """A front-matter key with its value and lines."""

    key: str
    value: Any
    key_line: int
    value_line: int
    node: yaml.Node


def text_value(
    entry: FrontMatterEntry | None,
    checker: FileChecker,
    max_length: int | None,
    allow_empty: bool = False,
) -> str | None:
    """Text, stripped; not empty unless `allow_empty`; at most `max_length` characters."""
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


def slug_value(entry: FrontMatterEntry | None, checker: FileChecker) -> str | None:
    """An id like 'tax-2027' (a-z, 0-9 and -)."""
    value = text_value(entry, checker, 100)
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


def kind_value(entry: FrontMatterEntry | None, checker: FileChecker) -> str | None:
    """`kind`: None for a plain module (absent or `module`), else `attestation`."""
    value = text_value(entry, checker, 20)
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


def language_value(entry: FrontMatterEntry | None, checker: FileChecker) -> str | None:
    """One of the platform's languages."""
    value = text_value(entry, checker, 10)
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


def integer_value(
    entry: FrontMatterEntry | None,
    checker: FileChecker,
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


def tags_value(entry: FrontMatterEntry | None, checker: FileChecker) -> list[str]:
    """A list of short texts."""
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


def _node_line(entry: FrontMatterEntry, node: yaml.Node) -> int:
    """The file line of a node inside an entry's value."""
    return entry.value_line + node.start_mark.line - entry.node.start_mark.line
