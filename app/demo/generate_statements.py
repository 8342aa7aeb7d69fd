"""Statement bodies for the generator: built once per shape by tracking's builders, then filled.

Most generated statements differ from one another only in their id, learner, time and campaign
registration (a page seen, a launch, an attempt, an answer). The tracking feature's builder is
called once per shape with sentinel values; each statement is then its JSON text with the
sentinels replaced, which makes millions of statements affordable. tests/demo holds filled
bodies equal to the builder's own.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from app.tracking.statements import Actor, mbox, timestamp_text

SENTINEL_ID = "5e471e11-0000-4000-8000-000000000001"
SENTINEL_REGISTRATION = "5e471e11-0000-4000-8000-000000000002"
SENTINEL_EMAIL = "sentinel.learner@sentinel.invalid"
SENTINEL_NAME = "Sentinel Learner"
SENTINEL_TIME = datetime(1971, 1, 1, tzinfo=UTC)


def _inner(value: str) -> str:
    """Return a string as it appears inside JSON quotes (escaped as json.dumps escapes it)."""
    return json.dumps(value)[1:-1]


class BodyTemplates:
    """JSON texts of statement shapes, filled in per statement."""

    def __init__(self) -> None:
        self._texts: dict[Hashable, tuple[str, str]] = {}

    def fill(
        self,
        shape: Hashable,
        build: Callable[..., dict[str, Any]],
        *,
        statement_id: str,
        actor: Actor,
        timestamp: datetime,
        registration: str | None,
    ) -> tuple[str, str]:
        """Return (JSON text, object IRI) of `build(...)` for these values.

        `shape` names everything else `build` was given (the same shape, the same arguments);
        `statement_id` is canonical already (`Iris.statement_id`).
        """
        key = (shape, registration is not None)
        if key not in self._texts:
            body = build(
                statement_id=SENTINEL_ID,
                actor=Actor(SENTINEL_EMAIL, SENTINEL_NAME),
                timestamp=SENTINEL_TIME,
                registration=SENTINEL_REGISTRATION if registration is not None else None,
            )
            self._texts[key] = (json.dumps(body), body["object"]["id"])
        text, iri = self._texts[key]
        text = (
            text.replace(SENTINEL_ID, statement_id)
            .replace(_inner(mbox(SENTINEL_EMAIL)), _inner(mbox(actor.email)))
            .replace(SENTINEL_NAME, _inner(actor.name))
            .replace(timestamp_text(SENTINEL_TIME), timestamp_text(timestamp))
        )
        if registration is not None:
            text = text.replace(SENTINEL_REGISTRATION, str(uuid.UUID(registration)))
        return text, iri
