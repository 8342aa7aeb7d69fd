"""Checking composed YAML nodes one by one, so that every problem names the line it is on.

`NodeReader` holds the generic checks (mappings, lists, booleans, numbers, identifiers,
multilingual texts); the quiz and question readers build on it. Scalars are built with PyYAML's
safe constructor only. Pure: no Flask, no database.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from app.assessment.questions import MAX_NUMBER, Texts, is_blank
from app.assessment.quiz_schema import (
    ITEM_ID_RE,
    MAX_ID_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    QUIZ_ID_RE,
)
from app.i18n.languages import LANGUAGES, UNDETERMINED
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, make_problem

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"


def node_line(node: yaml.Node) -> int:
    """Return the 1-based line a node starts on."""
    return node.start_mark.line + 1


class Entry:
    """A key of a mapping node with its value node."""

    __slots__ = ("key", "key_node", "value")

    def __init__(self, key: str, key_node: yaml.Node, value: yaml.Node) -> None:
        self.key = key
        self.key_node = key_node
        self.value = value

    @property
    def line(self) -> int:
        """The line of the key."""
        return node_line(self.key_node)


class NodeReader:
    """Collects problems for one file and checks single nodes against what they must be."""

    def __init__(self, filename: str) -> None:
        self.file = filename
        self.problems: list[Problem] = []
        self._errors = 0
        self._constructor = yaml.SafeLoader("")

    # -- reporting -------------------------------------------------------------------------

    def error(self, line: int, template: str, **params: Any) -> None:
        """Record an error on `line`."""
        self._errors += 1
        self.problems.append(make_problem(self.file, line, template, ERROR, **params))

    def warning(self, line: int, template: str, **params: Any) -> None:
        """Record a warning on `line`."""
        self.problems.append(make_problem(self.file, line, template, WARNING, **params))

    def error_count(self) -> int:
        """Return how many errors were recorded so far."""
        return self._errors

    # -- generic node checks ---------------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        allowed: tuple[str, ...],
        required: tuple[str, ...],
        *,
        line: int | None = None,
    ) -> dict[str, Entry] | None:
        """Return the entries of a mapping node after checking keys, or None if not a mapping."""
        if not isinstance(node, yaml.MappingNode):
            self.error(line or node_line(node), N_("expected a mapping (key: value lines)"))
            return None
        entries: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == NULL_TAG:
                self.error(node_line(key_node), N_("keys must be plain words"))
                continue
            key = key_node.value
            if key in entries:
                self.error(
                    node_line(key_node),
                    N_("duplicate key '%(key)s' (first on line %(first)s)"),
                    key=key,
                    first=entries[key].line,
                )
                continue
            if key not in allowed:
                self.error(
                    node_line(key_node),
                    N_("unknown key '%(key)s' (allowed here: %(allowed)s)"),
                    key=key,
                    allowed=", ".join(allowed),
                )
                continue
            entries[key] = Entry(key, key_node, value_node)
        for key in required:
            if key not in entries:
                self.error(node_line(node), N_("missing required key '%(key)s'"), key=key)
        return entries

    def sequence(self, entry: Entry, maximum: int | None = None) -> list[yaml.Node] | None:
        """Return the items of a list node, or None after reporting it is no list or too long."""
        if not isinstance(entry.value, yaml.SequenceNode):
            self.error(entry.line, N_("'%(key)s' must be a list"), key=entry.key)
            return None
        if maximum is not None and len(entry.value.value) > maximum:
            self.error(
                entry.line,
                N_("'%(key)s' has %(count)s entries, at most %(max)s"),
                key=entry.key,
                count=len(entry.value.value),
                max=maximum,
            )
            return None
        return list(entry.value.value)

    def _construct(self, entry: Entry) -> Any:
        """Build a checked scalar with PyYAML's safe constructor (ints, floats, booleans)."""
        return self._constructor.construct_object(entry.value, deep=True)

    def boolean(self, entry: Entry) -> bool | None:
        """Return a true/false value, or None after reporting it is not one."""
        node = entry.value
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL_TAG:
            return bool(self._construct(entry))
        self.error(entry.line, N_("'%(key)s' must be true or false"), key=entry.key)
        return None

    def integer(self, entry: Entry, minimum: int, maximum: int) -> int | None:
        """Return a whole number within minimum..maximum, or None after reporting why not."""
        node = entry.value
        if not (isinstance(node, yaml.ScalarNode) and node.tag == INT_TAG):
            self.error(entry.line, N_("'%(key)s' must be a whole number"), key=entry.key)
            return None
        # Checked on the text: Python refuses to convert a number of thousands of digits.
        value = int(self._construct(entry)) if len(node.value) <= 20 else maximum + 1
        if value < minimum:
            self.error(
                entry.line,
                N_("'%(key)s' must be at least %(minimum)s"),
                key=entry.key,
                minimum=minimum,
            )
            return None
        if value > maximum:
            self.error(
                entry.line,
                N_("'%(key)s' must be at most %(maximum)s"),
                key=entry.key,
                maximum=maximum,
            )
            return None
        return value

    def number(self, entry: Entry, limit: float = MAX_NUMBER) -> float | None:
        """A finite int or float whose size is at most `limit` (either sign)."""
        node = entry.value
        if not (isinstance(node, yaml.ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG)):
            self.error(entry.line, N_("'%(key)s' must be a number"), key=entry.key)
            return None
        if len(node.value) > 40:
            self.error(entry.line, N_("'%(key)s' is too long for a number"), key=entry.key)
            return None
        value = self._construct(entry)
        if isinstance(value, float) and not math.isfinite(value):
            self.error(entry.line, N_("'%(key)s' must be a finite number"), key=entry.key)
            return None
        if abs(value) > limit:
            self.error(
                entry.line,
                N_("'%(key)s' must be between -%(max)s and %(max)s"),
                key=entry.key,
                max=plain_number(limit),
            )
            return None
        return value

    def string(self, entry: Entry, maximum: int = MAX_TEXT_CHARS) -> str | None:
        """Return a scalar as the text written in the file (numbers keep their spelling)."""
        node = entry.value
        if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
            self.error(entry.line, N_("'%(key)s' must be a text"), key=entry.key)
            return None
        if len(node.value) > maximum:
            self.too_long(entry, len(node.value), maximum)
            return None
        return node.value

    def too_long(self, entry: Entry, length: int, maximum: int) -> None:
        """Report a text longer than `maximum` characters."""
        self.error(
            entry.line,
            N_("'%(key)s' is too long (%(length)s characters, at most %(max)s)"),
            key=entry.key,
            length=length,
            max=maximum,
        )

    def identifier(self, entry: Entry, pattern: re.Pattern[str] = ITEM_ID_RE) -> str | None:
        """Return an id matching `pattern`, or None after reporting why not."""
        value = self.string(entry, MAX_ID_CHARS)
        if value is None:
            return None
        if not pattern.match(value):
            if pattern is QUIZ_ID_RE:
                template = N_("'%(key)s' must be a lowercase slug (a-z, 0-9 and -): '%(value)s'")
            else:
                template = N_(
                    "'%(key)s' may contain only letters, digits, '-', '_' and '.': '%(value)s'"
                )
            self.error(entry.line, template, key=entry.key, value=value)
            return None
        return value

    def choice(self, entry: Entry, allowed: tuple[str, ...]) -> str | None:
        """Return one of the `allowed` words, or None after reporting why not."""
        value = self.string(entry)
        if value is None:
            return None
        if value not in allowed:
            self.error(
                entry.line,
                N_("'%(key)s' must be one of %(allowed)s, not '%(value)s'"),
                key=entry.key,
                allowed=", ".join(allowed),
                value=value,
            )
            return None
        return value

    def text(
        self, entry: Entry, *, required: bool = False, maximum: int = MAX_TEXT_CHARS
    ) -> Texts | None:
        """Return a text: a plain string (stored under 'und') or a language -> text mapping."""
        node = entry.value
        texts: Texts = {}
        if isinstance(node, yaml.ScalarNode):
            if node.tag != NULL_TAG:
                texts = {UNDETERMINED: node.value}
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                lang = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if lang not in LANGUAGES:
                    self.error(
                        node_line(key_node),
                        N_("unknown language '%(lang)s' in '%(key)s' (use de, fr, it or en)"),
                        lang=lang,
                        key=entry.key,
                    )
                    return None
                if lang in texts:
                    self.error(
                        node_line(key_node),
                        N_("language '%(lang)s' appears twice in '%(key)s'"),
                        lang=lang,
                        key=entry.key,
                    )
                    return None
                if not isinstance(value_node, yaml.ScalarNode):
                    self.error(
                        node_line(value_node),
                        N_("the '%(lang)s' text of '%(key)s' must be a text"),
                        lang=lang,
                        key=entry.key,
                    )
                    return None
                texts[lang] = "" if value_node.tag == NULL_TAG else value_node.value
        else:
            self.error(
                entry.line,
                N_("'%(key)s' must be a text or a mapping of language to text"),
                key=entry.key,
            )
            return None
        if required and is_blank(texts):
            self.error(entry.line, N_("'%(key)s' is empty"), key=entry.key)
            return None
        longest = max((len(value) for value in texts.values()), default=0)
        if longest > maximum:
            self.too_long(entry, longest, maximum)
            return None
        return texts

    def tags(self, entry: Entry) -> tuple[str, ...]:
        """Return the tags of a question: short texts."""
        nodes = self.sequence(entry, MAX_TAGS)
        tags = []
        for node in nodes or ():
            if not isinstance(node, yaml.ScalarNode) or node.tag == NULL_TAG:
                self.error(node_line(node), N_("each tag must be a text"))
                continue
            if len(node.value) > MAX_ID_CHARS:
                self.too_long(Entry("tags", node, node), len(node.value), MAX_ID_CHARS)
                continue
            tags.append(node.value)
        return tuple(tags)

    def unique(self, entry: Entry, seen: dict[str, int], kind: str) -> str | None:
        """Return an id not yet in `seen` (of the same kind), or None after reporting it."""
        value = self.identifier(entry)
        if value is None:
            return None
        if value in seen:
            self.error(
                entry.line,
                N_("duplicate %(kind)s id '%(id)s' (first on line %(first)s)"),
                kind=kind,
                id=value,
                first=seen[value],
            )
            return None
        seen[value] = entry.line
        return value


def plain_number(value: float) -> str:
    """Write a number as a trainer would: 100, not 100.0."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
