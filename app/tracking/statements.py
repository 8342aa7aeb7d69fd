"""Build xAPI 1.0.3 statements (plain dicts) for the learning events the platform records.

Pure: no Flask, no database. Every statement the platform emits is made here, so that the tests
can hold each shape against the xAPI specification (Ralph's pydantic models).

- Verbs come from the ADL vocabulary (`http://adlnet.gov/expapi/verbs/...`).
- Activity IRIs are stable and live under one configurable base:
  `<base>/xapi/modules/<slug>`, `.../versions/<n>`, `.../versions/<n>/pages/<position>`,
  `<base>/xapi/quizzes/<slug>`, `.../questions/<question id>`.
- Statement ids are UUID 5 of a natural key ("experienced|user:3|page:17|cycle:0") in a
  namespace derived from the base, so the same event always gets the same id: a replay is
  refused by the unique id here and ignored by any LRS it is forwarded to.
- xAPI forbids empty values outside extensions, so builders leave out what is unknown.

This module holds the vocabulary and the assembly of a statement; the statement of each
learning event (launched, experienced, completed, attested, attempted, answered, passed or
failed) is built in `app.tracking.event_statements`.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

XAPI_VERSION = "1.0.3"
PLATFORM = "Counter Ready"
DEFAULT_IRI_BASE = "https://readiness.invalid"


class Verb(enum.StrEnum):
    """The verbs the platform emits: ADL's, and a few of its own (`PLATFORM_VERBS`)."""

    LAUNCHED = "launched"
    EXPERIENCED = "experienced"
    ATTEMPTED = "attempted"
    ANSWERED = "answered"
    PASSED = "passed"
    FAILED = "failed"
    COMPLETED = "completed"
    VOIDED = "voided"
    # The platform's own vocabulary (docs/ASSISTS.md): IRIs under the IRI base, see `Iris.verb`.
    ASSISTED = "assisted"
    # The learner confirmed a version of an attestation by re-authenticating (app/attestations).
    ATTESTED = "attested"

    @property
    def is_platform(self) -> bool:
        """Tell whether this is one of the platform's own verbs (not in the ADL vocabulary)."""
        return self.value in PLATFORM_VERBS

    @property
    def iri(self) -> str:
        """Return the verb's IRI in the ADL vocabulary (the platform's own: `Iris.verb`)."""
        if self.is_platform:
            # Its IRI depends on the installation's base; guessing one would be silently wrong.
            raise ValueError(f"'{self.value}' is the platform's own verb: use Iris.verb")
        return f"http://adlnet.gov/expapi/verbs/{self.value}"

    @classmethod
    def from_iri(cls, value: str, iris: Iris | None = None) -> Verb | None:
        """Return the verb for an IRI or a bare name ("passed"), or None when unknown.

        The platform's own verbs are recognised by their IRI only when `iris` is given.
        """
        name = value.rsplit("/", 1)[-1] if "/" in value else value
        try:
            verb = cls(name)
        except ValueError:
            return None
        if value == verb.value:
            return verb
        if verb.is_platform:
            return verb if iris is not None and value == iris.verb(verb) else None
        return verb if value == verb.iri else None


# Verbs of the platform's own vocabulary, documented with their IRIs in docs/ASSISTS.md.
PLATFORM_VERBS = frozenset({"assisted", "attested"})


class ObjectKind(enum.StrEnum):
    """What a statement is about."""

    MODULE = "module"
    PAGE = "page"
    QUIZ = "quiz"
    QUESTION = "question"
    TOPIC = "topic"  # a topic a learner helped a citizen with (app/assists)
    STATEMENT = "statement"  # a StatementRef: the object of a `voided` statement


ACTIVITY_TYPES: dict[ObjectKind, str] = {
    ObjectKind.MODULE: "http://adlnet.gov/expapi/activities/module",
    ObjectKind.PAGE: "http://activitystrea.ms/schema/1.0/page",
    ObjectKind.QUIZ: "http://adlnet.gov/expapi/activities/assessment",
    ObjectKind.QUESTION: "http://adlnet.gov/expapi/activities/cmi.interaction",
}

# Question types of the quiz format → xAPI interaction types (xAPI 1.0.3, 2.4.4.1).
INTERACTION_TYPES: dict[str, str] = {
    "single": "choice",
    "multiple": "choice",
    "truefalse": "true-false",
    "short": "fill-in",
    "numeric": "numeric",
    "matching": "matching",
    "ordering": "sequencing",
}


def iri_base_from(configured: str | None, server_name: str | None, scheme: str = "https") -> str:
    """Return the IRI base: the configured one, else the server's name, else a reserved host."""
    if configured:
        return configured.rstrip("/")
    if server_name:
        return f"{scheme}://{server_name}".rstrip("/")
    return DEFAULT_IRI_BASE


def _segment(value: str | int) -> str:
    return quote(str(value), safe="-._~")


@dataclass(frozen=True)
class Iris:
    """Stable activity IRIs under one base (never change a published IRI scheme)."""

    base: str = DEFAULT_IRI_BASE

    def module(self, slug: str) -> str:
        """Return the IRI of a module (all its versions)."""
        return f"{self.base}/xapi/modules/{_segment(slug)}"

    def version(self, slug: str, number: int) -> str:
        """Return the IRI of one version of a module."""
        return f"{self.module(slug)}/versions/{int(number)}"

    def page(self, slug: str, number: int, position: int) -> str:
        """Return the IRI of a page (by position: every language variant shares it)."""
        return f"{self.version(slug, number)}/pages/{int(position)}"

    def quiz(self, slug: str) -> str:
        """Return the IRI of a quiz."""
        return f"{self.base}/xapi/quizzes/{_segment(slug)}"

    def question(self, quiz_slug: str, question_id: str) -> str:
        """Return the IRI of one question of a quiz."""
        return f"{self.quiz(quiz_slug)}/questions/{_segment(question_id)}"

    def extension(self, name: str) -> str:
        """Return the IRI of one of the platform's extensions."""
        return f"{self.base}/xapi/extensions/{_segment(name)}"

    def verb(self, verb: Verb) -> str:
        """Return a verb's IRI: the platform's own live under this base, the others are ADL's."""
        return f"{self.base}/xapi/verbs/{_segment(verb.value)}" if verb.is_platform else verb.iri

    @property
    def namespace(self) -> uuid.UUID:
        """Return the UUID namespace of this installation's statement ids."""
        return uuid.uuid5(uuid.NAMESPACE_URL, self.base + "/xapi/statements")

    def statement_id(self, natural_key: str) -> str:
        """Return the statement id of an event: the same key always gives the same id."""
        return str(uuid.uuid5(self.namespace, natural_key))


@dataclass(frozen=True)
class Actor:
    """The learner behind a statement, identified by e-mail (xAPI `mbox`)."""

    email: str
    name: str = ""

    def as_xapi(self) -> dict[str, Any]:
        """Return the xAPI Agent object."""
        agent = {"objectType": "Agent", "name": self.name or None, "mbox": mbox(self.email)}
        return _compact(agent)


def mbox(email: str) -> str:
    """Return the `mailto:` IRI of an e-mail address (lower-cased, as users sign in)."""
    return "mailto:" + email.strip().lower()


def timestamp_text(moment: datetime) -> str:
    """Format a timezone-aware moment as xAPI wants it (ISO 8601, UTC, `Z`)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; statements need timezone-aware UTC times")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_duration(span: timedelta) -> str:
    """Format a duration as ISO 8601 (`PT1H2M3.5S`), to the hundredth of a second."""
    centis = max(0, round(span.total_seconds() * 100))
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    seconds = rest / 100
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if seconds or text == "PT":
        text += f"{seconds:g}S"
    return text


def _compact(value: Any) -> Any:
    """Drop None, empty strings, lists and dicts (xAPI forbids empty values)."""
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            # Leaves are most of a statement: only containers need the recursive call.
            if isinstance(item, dict | list):
                item = _compact(item)
            if item is not None and item != "" and item != [] and item != {}:
                cleaned[key] = item
        return cleaned
    if isinstance(value, list):
        items = (_compact(item) if isinstance(item, dict | list) else item for item in value)
        return [item for item in items if item is not None and item != "" and item != {}]
    return value


def language_map(texts: Mapping[str, str] | None, limit: int = 300) -> dict[str, str] | None:
    """Return an xAPI language map of the non-empty texts (trimmed to `limit` characters)."""
    if not texts:
        return None
    result = {lang: text.strip()[:limit] for lang, text in texts.items() if lang and text.strip()}
    return dict(sorted(result.items())) or None


def activity(
    iri: str,
    kind: ObjectKind,
    name: Mapping[str, str] | None = None,
    *,
    interaction_type: str | None = None,
) -> dict[str, Any]:
    """Return an xAPI Activity with its type, its name and (questions) its interaction type."""
    definition: dict[str, Any] = {"type": ACTIVITY_TYPES[kind], "name": language_map(name)}
    if kind == ObjectKind.QUESTION:
        definition["interactionType"] = interaction_type or "other"
    return _compact({"objectType": "Activity", "id": iri, "definition": definition})


def _registration(value: str | None) -> str | None:
    """Check that a registration is a UUID (xAPI requires it) and return its canonical form."""
    if value is None:
        return None
    return str(uuid.UUID(str(value)))


def context(
    *,
    parent: list[dict[str, Any]] | None = None,
    grouping: list[dict[str, Any]] | None = None,
    revision: int | None = None,
    language: str | None = None,
    registration: str | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return a statement's context: registration, parents, revision, platform, language."""
    return _compact(
        {
            "registration": _registration(registration),
            "contextActivities": {"parent": parent, "grouping": grouping},
            "revision": str(revision) if revision is not None else None,
            "platform": PLATFORM,
            "language": language,
            "extensions": dict(extensions) if extensions else None,
        }
    )


def score(raw: float, maximum: float) -> dict[str, Any]:
    """Return an xAPI score (scaled, raw, min 0, max), rounded to four places."""
    raw = round(float(raw), 4)
    maximum = round(float(maximum), 4)
    scaled = round(raw / maximum, 4) if maximum > 0 else 0.0
    return {"scaled": scaled, "raw": raw, "min": 0, "max": maximum}


def statement(
    *,
    statement_id: str,
    actor: Actor,
    verb: Verb,
    obj: dict[str, Any],
    timestamp: datetime,
    result: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    verb_iri: str | None = None,
) -> dict[str, Any]:
    """Assemble a statement; `id`, `timestamp` and `version` are always set by the platform.

    The platform's own verbs need their `verb_iri` (`Iris.verb`); ADL's have a fixed one.
    """
    body: dict[str, Any] = {
        "id": str(uuid.UUID(statement_id)),
        "actor": actor.as_xapi(),
        "verb": {"id": verb_iri or verb.iri, "display": {"en-US": verb.value}},
        "object": obj,
        "result": result,
        "context": context,
        "timestamp": timestamp_text(timestamp),
        "version": XAPI_VERSION,
    }
    # Result's `success` and `completion` may be False; _compact only drops None and empties.
    return _compact(body)


# --- what statements say about modules and quizzes --------------------------------------------


@dataclass(frozen=True)
class ModuleRef:
    """What statements say about a module version: slug, version number and titles."""

    slug: str
    version: int
    titles: Mapping[str, str]

    def activity(self, iris: Iris) -> dict[str, Any]:
        """Return the module as an xAPI activity (the module, not one version of it)."""
        return activity(iris.module(self.slug), ObjectKind.MODULE, self.titles)


@dataclass(frozen=True)
class QuizRef:
    """What statements say about a quiz version, and the module it ends (if any)."""

    slug: str
    version: int
    titles: Mapping[str, str]
    module: ModuleRef | None = None

    def activity(self, iris: Iris) -> dict[str, Any]:
        """Return the quiz as an xAPI activity."""
        return activity(iris.quiz(self.slug), ObjectKind.QUIZ, self.titles)

    def parents(self, iris: Iris) -> list[dict[str, Any]] | None:
        """Return the module this quiz ends, as context parent."""
        return [self.module.activity(iris)] if self.module else None


def with_stored(body: Mapping[str, Any], stored_at: datetime) -> dict[str, Any]:
    """Return the statement as an LRS returns it: with its `stored` time."""
    return {**body, "stored": timestamp_text(stored_at)}
