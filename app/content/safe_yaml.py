"""Compose YAML from untrusted files with bounded cost: depth, node count and aliases are
limited while composing, before any Python object is built.

PyYAML's composer recurses once per nesting level, so `[[[[...` a few thousand deep raises
RecursionError; an alias bomb (`a: &a [*a, *a]` chains) makes a walk over the nodes
exponential. This loader refuses both with an ordinary `yaml.MarkedYAMLError` naming the
line, which the format readers already turn into a `file:line: message` problem.
Characters PyYAML refuses (NUL and other control characters) are reported the same way.
"""

from __future__ import annotations

import yaml
from yaml.composer import ComposerError
from yaml.reader import ReaderError

# Deep enough for every real file (a quiz nests about six levels); far below Python's limit.
MAX_DEPTH = 32


class YamlLimitError(ComposerError):
    """The document is nested too deeply, has too many nodes, or uses an alias."""


class AliasRefused(YamlLimitError):
    """The document uses an alias (`*name`): refused, since aliases can multiply the work."""


class LimitedLoader(yaml.SafeLoader):
    """A safe loader that counts depth and nodes while composing, and refuses aliases."""

    def __init__(self, stream: str, *, max_depth: int = MAX_DEPTH, max_nodes: int) -> None:
        super().__init__(stream)
        self._max_depth = max_depth
        self._max_nodes = max_nodes
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        """Compose one node, refusing aliases, deep nesting and too many nodes."""
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise AliasRefused(
                None, None, "aliases (*name) are not allowed in this file", event.start_mark
            )
        self._nodes += 1
        if self._nodes > self._max_nodes:
            raise YamlLimitError(
                None,
                None,
                f"the file has too many values (more than {self._max_nodes})",
                event.start_mark,
            )
        self._depth += 1
        try:
            if self._depth > self._max_depth:
                raise YamlLimitError(
                    None,
                    None,
                    f"the values are nested too deeply (more than {self._max_depth} levels)",
                    event.start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def compose_limited(
    text: str, *, max_nodes: int, max_depth: int = MAX_DEPTH
) -> tuple[LimitedLoader, yaml.Node | None]:
    """Compose one YAML document within the limits; the loader can still construct scalars.

    Raises `yaml.YAMLError` (with a mark when PyYAML has one) for invalid YAML and for
    documents over the limits; `reader_error_line` gives the line of a refused character.
    The caller disposes of the loader.
    """
    loader = LimitedLoader(text, max_depth=max_depth, max_nodes=max_nodes)
    try:
        return loader, loader.get_single_node()
    except BaseException:
        loader.dispose()
        raise


def reader_error_line(exc: yaml.YAMLError, text: str) -> int | None:
    """The 1-based line of a character PyYAML's reader refused (NUL...), else None."""
    if isinstance(exc, ReaderError):
        position = int(getattr(exc, "position", 0) or 0)
        return text[:position].count("\n") + 1
    return None
