"""Quiz versions parsed once: the frozen `questions.Quiz` of each stored version, per app.

`operations.definition_of` answers from here. A version never changes (a change is a new
version), so its parse can be shared read-only by every request of a worker.
"""

from __future__ import annotations

import weakref
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event

from app.assessment.models import QuizVersion
from app.assessment.questions import Quiz as QuizDefinition

# Parsed definitions by (version id, content hash), one table per app: versions never change,
# and the frozen quiz is shared read-only, so a worker parses a version once, not per request.
# Per app, not per process, so that apps on other databases (tests) never share entries.
_PARSED: weakref.WeakKeyDictionary[Flask, dict[tuple[int, str], QuizDefinition]] = (
    weakref.WeakKeyDictionary()
)
_PARSED_MAX = 512


def parsed_definition(version: QuizVersion) -> QuizDefinition:
    """The in-memory quiz of a stored version (parsed once per version and app)."""
    if version.id is None or not has_app_context():
        return QuizDefinition.from_dict(version.definition)
    parsed_by_key = _PARSED.setdefault(current_app._get_current_object(), {})
    key = (version.id, version.content_hash)
    parsed = parsed_by_key.get(key)
    if parsed is None:
        if len(parsed_by_key) >= _PARSED_MAX:
            parsed_by_key.clear()  # a bound, not an LRU: more live versions is unusual
        parsed = parsed_by_key[key] = QuizDefinition.from_dict(version.definition)
    return parsed


@event.listens_for(QuizVersion.definition, "set")
def _forget_parsed(version: QuizVersion, _value: Any, _old: Any, _initiator: Any) -> None:
    """A definition replaced in place (a data repair, a test) must not be served from a cache."""
    if version.id is not None:
        for parsed_by_key in list(_PARSED.values()):
            parsed_by_key.pop((version.id, version.content_hash), None)
