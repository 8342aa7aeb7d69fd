"""Statement bodies for the generator: built once per shape by tracking's builders, then filled.

Most generated statements differ from one another only in their id, learner, time and campaign
registration (a page seen, a launch, an attempt, an answer). The tracking feature's builder is
called once per shape with sentinel values; each statement is then its JSON text with the
sentinels replaced (the text is cut at the sentinels once, each statement is one join), which
makes millions of statements affordable. tests/demo holds filled bodies equal to the builder's
own.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any, NamedTuple

from app.tracking.projection import score_percent_of
from app.tracking.statements import Actor, mbox, timestamp_text

SENTINEL_ID = "5e471e11-0000-4000-8000-000000000001"
SENTINEL_REGISTRATION = "5e471e11-0000-4000-8000-000000000002"
SENTINEL_EMAIL = "sentinel.learner@sentinel.invalid"
SENTINEL_NAME = "Sentinel Learner"
SENTINEL_TIME = datetime(1971, 1, 1, tzinfo=UTC)


def _inner(value: str) -> str:
    """Return a string as it appears inside JSON quotes (escaped as json.dumps escapes it)."""
    return json.dumps(value)[1:-1]


class Filled(NamedTuple):
    """A statement's JSON text, its object IRI and its score out of 100 (if it has one)."""

    text: str
    iri: str
    score: float | None


class BodyTemplates:
    """JSON texts of statement shapes, filled in per statement."""

    def __init__(self) -> None:
        # Per shape: the text cut at the sentinels, the sentinels in order, the object IRI and
        # the score the projection reads from the body.
        self._texts: dict[Hashable, tuple[list[str], list[str], str, float | None]] = {}
        self._actor: tuple[Actor, str, str] | None = None
        self._registrations: dict[str, str] = {}

    def _cut(self, body: dict[str, Any]) -> tuple[list[str], list[str], str, float | None]:
        """Cut a sentinel body's JSON text at its sentinels (filling is then one join)."""
        text = json.dumps(body)
        return (
            _SENTINELS.split(text),
            _SENTINELS.findall(text),
            body["object"]["id"],
            score_percent_of(body),
        )

    def fill(
        self,
        shape: Hashable,
        build: Callable[..., dict[str, Any]],
        *,
        statement_id: str,
        actor: Actor,
        timestamp: datetime,
        registration: str | None,
    ) -> Filled:
        """Return the JSON text, object IRI and score of `build(...)` for these values.

        `shape` names everything else `build` was given (the same shape, the same arguments);
        `statement_id` is canonical already (`Iris.statement_id`).
        """
        key = (shape, registration is not None)
        if key not in self._texts:
            self._texts[key] = self._cut(
                build(
                    statement_id=SENTINEL_ID,
                    actor=Actor(SENTINEL_EMAIL, SENTINEL_NAME),
                    timestamp=SENTINEL_TIME,
                    registration=SENTINEL_REGISTRATION if registration is not None else None,
                )
            )
        parts, sentinels, iri, score = self._texts[key]
        if self._actor is None or self._actor[0] != actor:
            # One learner at a time: their address and name are escaped once.
            self._actor = (actor, _inner(mbox(actor.email)), _inner(actor.name))
        values = {
            SENTINEL_ID: statement_id,
            _SENTINEL_MBOX: self._actor[1],
            SENTINEL_NAME: self._actor[2],
            _SENTINEL_TIMESTAMP: timestamp_text(timestamp),
        }
        if registration is not None:
            if registration not in self._registrations:
                self._registrations[registration] = str(uuid.UUID(registration))
            values[SENTINEL_REGISTRATION] = self._registrations[registration]
        pieces = [parts[0]]
        for sentinel, part in zip(sentinels, parts[1:], strict=True):
            pieces.append(values[sentinel])
            pieces.append(part)
        return Filled("".join(pieces), iri, score)


_SENTINEL_MBOX = _inner(mbox(SENTINEL_EMAIL))
_SENTINEL_TIMESTAMP = timestamp_text(SENTINEL_TIME)
_SENTINELS = re.compile(
    "|".join(
        re.escape(sentinel)
        for sentinel in (
            SENTINEL_ID,
            _SENTINEL_MBOX,
            SENTINEL_NAME,
            _SENTINEL_TIMESTAMP,
            SENTINEL_REGISTRATION,
        )
    )
)
