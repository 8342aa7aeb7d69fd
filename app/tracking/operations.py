"""Recording learning events: the recorder every event goes through, and what it shares.

Each kind of event has its own module: `page_views`, `quiz_results`, `attesting`, and
`completing` (the completion and its certificate that any of them may cause). This module holds
what they share: the recorder (statement, derived rows, LRS outbox), refusals and duplicates,
the learner lock, and the campaign registration of an event.

Everything happens in the caller's transaction (flush, never commit): the statement, what it
changes in the derived tables, the completion it may cause and the outbox rows are committed
together or not at all. Bad input is refused with one log line and changes nothing:
- a page or module that does not exist, or a module that is not published;
- a version the learner was never given: learners are given the module's current version,
  and keep a version they have started (a new version published while they read does not
  take their progress away); any other version (an older one they never opened, a tampered
  form) is refused;
- an inactive learner;
- a replay: statement ids derive from the event's natural key, so the same event twice is
  recognised and ignored.

Concurrency: the learner's row is locked (PostgreSQL, `FOR NO KEY UPDATE`) before anything is
read, so two requests of one learner are recorded one after the other; SQLite writers are
serialised by `BEGIN IMMEDIATE` already.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session, object_session

from app.content.models import Module, ModulePage, ModuleVariant, ModuleVersion
from app.people.models import User
from app.platform.hooks import XAPI_REGISTRATIONS
from app.tracking import statements as xapi
from app.tracking.models import (
    Completion,
    ModuleProgress,
    PageProgress,
    Statement,
    StatementOutbox,
)
from app.tracking.projection import Fact, apply_fact

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What became of an event."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


@dataclass
class RecordResult:
    """The outcome of recording one event, the statements it added and any completion."""

    outcome: Outcome
    reason: str = ""
    statements: list[Statement] = field(default_factory=list)
    completion: Completion | None = None


@dataclass(frozen=True)
class TrackingConfig:
    """What recording needs from the configuration: the IRI base and whether to forward."""

    iris: xapi.Iris
    forward: bool = False


def tracking_config() -> TrackingConfig:
    """Read the tracking settings of the running app (defaults outside an app)."""
    if not has_app_context():
        return TrackingConfig(xapi.Iris())
    config = current_app.config
    base = xapi.iri_base_from(
        config.get("XAPI_IRI_BASE"),
        config.get("SERVER_NAME"),
        config.get("PREFERRED_URL_SCHEME") or "https",
    )
    return TrackingConfig(xapi.Iris(base), forward=bool(config.get("XAPI_LRS_URL")))


def refuse(reason: str, **context: Any) -> RecordResult:
    """Refuse an event: one log line, nothing written."""
    details = " ".join(f"{key}={value}" for key, value in context.items())
    log.warning("tracking: event refused: %s %s", reason, details)
    return RecordResult(Outcome.REFUSED, reason)


def duplicate(key: str) -> RecordResult:
    """Ignore an event recorded already (a replay), with one log line."""
    log.info("tracking: event already recorded, ignored: %s", key)
    return RecordResult(Outcome.DUPLICATE, "already recorded")


def lock_learner(session: Session, user_id: int) -> None:
    """Serialise one learner's tracking writes (PostgreSQL row lock; SQLite locks anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


# --- the live store of derived rows ----------------------------------------------------------

# Built once and bound per call: the reads every recording makes.
_MODULE_PROGRESS = select(ModuleProgress).where(
    ModuleProgress.user_id == bindparam("user_id"),
    ModuleProgress.module_id == bindparam("module_id"),
)
_PAGE_PROGRESS = select(PageProgress).where(
    PageProgress.user_id == bindparam("user_id"), PageProgress.page_id == bindparam("page_id")
)
_CURRENT_COMPLETION = select(Completion).where(
    Completion.user_id == bindparam("user_id"),
    Completion.module_id == bindparam("module_id"),
    Completion.is_current.is_(True),
)
_STATEMENTS_BY_UUIDS = select(Statement.uuid).where(
    Statement.uuid.in_(bindparam("uuids", expanding=True))
)


class SessionStore:
    """Derived rows of the database, read and changed in the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._modules: dict[tuple[int, int], ModuleProgress | None] = {}
        self._completions: dict[tuple[int, int], Completion] = {}

    def module(self, user_id: int, module_id: int) -> ModuleProgress | None:
        """Return the learner's row for a module, if any."""
        key = (user_id, module_id)
        if key not in self._modules:
            self._modules[key] = self.session.scalar(
                _MODULE_PROGRESS, {"user_id": user_id, "module_id": module_id}
            )
        return self._modules[key]

    def page(self, user_id: int, page_id: int) -> PageProgress | None:
        """Return the learner's row for a page, if any."""
        return self.session.scalar(_PAGE_PROGRESS, {"user_id": user_id, "page_id": page_id})

    def current_completion(self, user_id: int, module_id: int) -> Completion | None:
        """Return the learner's current completion of a module, if any."""
        added = self._completions.get((user_id, module_id))
        if added is not None and added.is_current:
            return added  # added in this transaction: no need to read it back
        return self.session.scalar(
            _CURRENT_COMPLETION, {"user_id": user_id, "module_id": module_id}
        )

    def add(self, row: ModuleProgress | PageProgress | Completion) -> None:
        """Add a new row to the session (written by the next flush, with the changes the
        same event makes to it: one INSERT rather than an INSERT and an UPDATE)."""
        self.session.add(row)
        if isinstance(row, ModuleProgress):
            self._modules[(row.user_id, row.module_id)] = row
        elif isinstance(row, Completion):
            self._completions[(row.user_id, row.module_id)] = row


class SessionContent:
    """Content facts read from the database (versions and pages never change once published)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def variant_of_page(self, page_id: int) -> int | None:
        """Return the language variant of a page (None: no such page)."""
        page = self.session.get(ModulePage, page_id)
        return page.variant_id if page else None

    def version_valid_days(self, version_id: int) -> tuple[bool, int | None]:
        """Return (the version exists, its validity in days)."""
        version = self.session.get(ModuleVersion, version_id)
        return (version is not None, version.valid_days if version else None)

    def module_exists(self, module_id: int) -> bool:
        """Tell whether the module exists."""
        return self.session.get(Module, module_id) is not None


# --- statements ---------------------------------------------------------------------------


@dataclass
class Recorder:
    """Adds statements for one learner in one transaction and keeps the derived rows in step."""

    session: Session
    config: TrackingConfig
    user: User
    now: datetime
    registration: str | None = None
    added: list[Statement] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._staged: list[Statement] = []
        self.store = SessionStore(self.session)
        self.content = SessionContent(self.session)
        self.actor = xapi.Actor(self.user.email, self.user.display_name)

    @property
    def iris(self) -> xapi.Iris:
        """The IRIs statements are built with (from the tracking settings)."""
        return self.config.iris

    def exists(self, key: str) -> bool:
        """Tell whether the statement of this natural key was recorded already."""
        return bool(self.recorded(key))

    def recorded(self, *keys: str) -> set[str]:
        """Return which of these natural keys have their statement recorded already (one
        query for an event that may add several statements)."""
        ids = {self.iris.statement_id(key): key for key in keys}
        found = self.session.scalars(_STATEMENTS_BY_UUIDS, {"uuids": list(ids)})
        return {ids[statement_id] for statement_id in found}

    def add(self, key: str, body: dict[str, Any], **columns: Any) -> Statement:
        """Store one statement now (it has its id), project it, queue it for the LRS.

        `columns`: those of `stage`.
        """
        statement = self.stage(key, body, **columns)
        self.flush()
        return statement

    def stage(
        self,
        key: str,
        body: dict[str, Any],
        *,
        verb: xapi.Verb,
        kind: xapi.ObjectKind,
        module_id: int | None = None,
        module_version_id: int | None = None,
        page_id: int | None = None,
        quiz_id: int | None = None,
        attempt_id: int | None = None,
        timestamp: datetime,
    ) -> Statement:
        """Add one statement to the next `flush` (several statements of one event: one INSERT).

        The derived rows see it only after `flush`, and it has no id before.
        """
        statement = Statement(
            uuid=body["id"],
            user_id=self.user.id,
            verb=verb,
            object_kind=kind,
            object_iri=body["object"]["id"],
            module_id=module_id,
            module_version_id=module_version_id,
            page_id=page_id,
            quiz_id=quiz_id,
            attempt_id=attempt_id,
            registration=self.registration,
            timestamp=timestamp,
            stored_at=self.now,
            payload=body,
        )
        assert body["id"] == self.iris.statement_id(key), "statement id must come from its key"
        self.session.add(statement)
        self._staged.append(statement)
        self.added.append(statement)
        return statement

    def flush(self) -> None:
        """Store the staged statements, then project and queue each in the order staged.

        The session's flush inserts them in one batched INSERT (insertmanyvalues, ids returned
        in order); their projections change the learner's rows in memory, written by the next
        flush in one UPDATE per row.
        """
        staged, self._staged = self._staged, []
        if not staged:
            return
        self.session.flush()
        for statement in staged:
            apply_fact(self.store, self.content, Fact.of(statement))
        if self.config.forward:
            self.session.add_all(
                StatementOutbox(
                    statement_id=statement.id, created_at=self.now, next_attempt_at=self.now
                )
                for statement in staged
            )


def record_statement(
    session: Session,
    user: User,
    key: str,
    body: dict[str, Any],
    *,
    verb: xapi.Verb,
    kind: xapi.ObjectKind,
    now: datetime,
    registration: str | None = None,
    config: TrackingConfig | None = None,
) -> RecordResult:
    """Record one statement another feature built (an assist, say), queued for the LRS.

    Its id must be the key's (`Iris.statement_id(key)`): the same key again is a duplicate.
    """
    if not user.is_active:
        return refuse("inactive or unknown learner", user=user.id, key=key)
    lock_learner(session, user.id)
    recorder = Recorder(session, config or tracking_config(), user, now, registration)
    if recorder.exists(key):
        return duplicate(key)
    recorder.add(key, body, verb=verb, kind=kind, timestamp=now)
    return RecordResult(Outcome.RECORDED, statements=recorder.added)


# Built once: a version's titles by language, without the variants' texts (kilobytes each).
_TITLES = select(ModuleVariant.language, ModuleVariant.title).where(
    ModuleVariant.version_id == bindparam("version_id")
)


def module_ref(version: ModuleVersion, module: Module) -> xapi.ModuleRef:
    """The module version as statements name it (slug, number, titles by language).

    The titles are read once per session (a request; a version's variants do not change once
    published), and without loading the variants' texts when the variants are not loaded.
    """
    session = object_session(version)
    if session is None or "variants" not in inspect(version).unloaded:
        titles = {variant.language: variant.title for variant in version.variants}
    else:
        known: dict[int, dict[str, str]] = session.info.setdefault("module_titles", {})
        titles = known.get(version.id)
        if titles is None:
            titles = dict(session.execute(_TITLES, {"version_id": version.id}).all())
            known[version.id] = titles
    return xapi.ModuleRef(slug=module.slug, version=version.number, titles=titles)


def registration_for(
    session: Session, user_id: int, module_id: int | None, now: datetime
) -> str | None:
    """Ask the features that group learning (campaigns) for the xAPI registration of an event.

    Each callable in `app.platform.hooks.XAPI_REGISTRATIONS` takes
    `(session, user_id, module_id, now)` and returns a registration UUID or None; the first
    answer wins.
    """
    if module_id is None or not has_app_context():
        return None
    for resolve in XAPI_REGISTRATIONS.receivers():
        registration = resolve(session, user_id, module_id, now)
        if registration:
            return str(registration)
    return None
