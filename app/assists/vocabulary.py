"""The xAPI vocabulary of counter assists and the two statements it is written with (pure).

Documented in docs/ASSISTS.md. Everything of our own lives under the installation's IRI base:
- verb `<base>/xapi/verbs/assisted`: "I helped a citizen at the counter with ...";
- activity `<base>/xapi/topics/<topic>` of type `<base>/xapi/activity-types/counter-topic`,
  the topic being a tag of a module the helper was trained on;
- result extension `<base>/xapi/extensions/assist-outcome`: `solved`, `referred` or
  `coming_back`;
- context extension `<base>/xapi/extensions/unit`: the code of the helper's unit.
An undo is ADL's `voided` verb with the assist as a StatementRef (xAPI 1.0.3, 2.3.2).
Nothing about the citizen is ever part of a statement.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from app.i18n.markers import N_
from app.tracking import statements as xapi

from .models import AssistOutcome

OUTCOME_EXTENSION = "assist-outcome"
UNIT_EXTENSION = "unit"
TOPIC_TYPE = "counter-topic"

OUTCOME_LABELS: dict[AssistOutcome, str] = {
    AssistOutcome.SOLVED: N_("Solved"),
    AssistOutcome.REFERRED: N_("Referred"),
    AssistOutcome.COMING_BACK: N_("Will come back"),
}

# A submit key is drawn when the counter form is shown; the same key twice is one assist.
SUBMIT_KEY = re.compile(r"^[0-9a-f]{32}$")


def topic_iri(iris: xapi.Iris, topic: str) -> str:
    """Return the activity IRI of a topic (the same tag in any language is the same topic)."""
    return f"{iris.base}/xapi/topics/{quote(topic, safe='-._~')}"


def topic_type_iri(iris: xapi.Iris) -> str:
    """Return the activity type IRI of counter topics."""
    return f"{iris.base}/xapi/activity-types/{TOPIC_TYPE}"


def assist_key(user_id: int, submit_key: str) -> str:
    """Return the natural key of an assist: one per helper and counter form shown."""
    return f"assisted|user:{user_id}|submit:{submit_key}"


def void_key(statement_uuid: str) -> str:
    """Return the natural key of the statement that voids an assist (once per assist)."""
    return f"voided|statement:{statement_uuid}"


@dataclass(frozen=True)
class AssistFacts:
    """What an assist statement says: topic (in the helper's language), outcome, unit."""

    topic: str
    language: str
    outcome: AssistOutcome
    unit_code: str | None
    modules: Sequence[xapi.ModuleRef] = ()
    registration: str | None = None


def assisted(
    iris: xapi.Iris,
    *,
    statement_id: str,
    actor: xapi.Actor,
    facts: AssistFacts,
    timestamp: datetime,
) -> dict[str, Any]:
    """The helper helped a citizen with a topic; how it ended is the result's extension."""
    # `statement` drops the empty parts (xAPI forbids empty values), so None is fine here.
    topic = {
        "objectType": "Activity",
        "id": topic_iri(iris, facts.topic),
        "definition": {
            "type": topic_type_iri(iris),
            "name": xapi.language_map({facts.language: facts.topic}),
        },
    }
    # The modules whose tag the topic is: the training that the help at the counter draws on.
    context = {
        "registration": str(uuid.UUID(facts.registration)) if facts.registration else None,
        "contextActivities": {"grouping": [m.activity(iris) for m in facts.modules]},
        "platform": xapi.PLATFORM,
        "language": facts.language,
        "extensions": _unit_extension(iris, facts.unit_code),
    }
    return xapi.statement(
        statement_id=statement_id,
        actor=actor,
        verb=xapi.Verb.ASSISTED,
        verb_iri=iris.verb(xapi.Verb.ASSISTED),
        obj=topic,
        timestamp=timestamp,
        result={"extensions": {iris.extension(OUTCOME_EXTENSION): facts.outcome.value}},
        context=context,
    )


def _unit_extension(iris: xapi.Iris, unit_code: str | None) -> Mapping[str, Any] | None:
    return {iris.extension(UNIT_EXTENSION): unit_code} if unit_code else None


def voided(
    *, statement_id: str, actor: xapi.Actor, target_uuid: str, timestamp: datetime
) -> dict[str, Any]:
    """The helper took an assist back (undo): ADL's `voided`, pointing at the assist."""
    return xapi.statement(
        statement_id=statement_id,
        actor=actor,
        verb=xapi.Verb.VOIDED,
        obj={"objectType": "StatementRef", "id": target_uuid},
        timestamp=timestamp,
    )
