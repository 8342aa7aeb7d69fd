"""Werkzeug's URL builders compiled once per test run instead of once per test.

Every test builds its own app, and werkzeug compiles two Python functions per URL rule as the
app registers its ~210 rules (an AST built, then `compile`): about 90 % of `create_app`'s
100 ms, paid again by each of the suite's ~5,700 tests. The function werkzeug writes depends
only on the rule's parsed parts, the names of its defaults and whether unknown arguments go
to the query string; it takes the rule as its first argument and reads the rule's converters
from it when called. So one function per distinct shape serves every app's copy of a rule.

Only the tests use this: a production process builds its app once. Should werkzeug change
the private method, `install` leaves it alone and the suite is merely slower.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

_BUILDERS: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _shape(rule: Rule, append_unknown: bool) -> tuple[Any, ...] | None:
    """What the compiled builder depends on, or None when a default fills in a placeholder
    (werkzeug then writes the default's converted value into the code: not cached)."""
    defaults = rule.defaults or {}
    trace = tuple(rule._trace)
    if any(is_dynamic and data in defaults for is_dynamic, data in trace):
        return None
    return (rule.rule, trace, tuple(str(key) for key in defaults), append_unknown)


def install() -> None:
    """Make `Rule._compile_builder` reuse the builder of an identical rule."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "_shared", False):
        return

    def shared_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
        shape = _shape(self, append_unknown)
        if shape is None:
            return compile_builder(self, append_unknown)
        builder = _BUILDERS.get(shape)
        if builder is None:
            builder = _BUILDERS[shape] = compile_builder(self, append_unknown)
        return builder

    shared_builder._shared = True  # type: ignore[attr-defined]
    shared_builder.__wrapped__ = compile_builder  # type: ignore[attr-defined]
    Rule._compile_builder = shared_builder  # type: ignore[method-assign]
