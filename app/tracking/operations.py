"""Recording learning events: statements, the derived tables, certificates and the LRS outbox.

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import (
    Module,
    ModuleKind,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
)
from app.people.models import User
from app.platform.events import PageRead
from app.platform.hooks import XAPI_REGISTRATIONS
from app.tracking import statements as xapi
from app.tracking.certificates import new_code
from app.tracking.completion import is_module_complete
from app.tracking.lrs import forward_after_request
from app.tracking.models import (
    Certificate,
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


def _refuse(reason: str, **context: Any) -> RecordResult:
    details = " ".join(f"{key}={value}" for key, value in context.items())
    log.warning("tracking: event refused: %s %s", reason, details)
    return RecordResult(Outcome.REFUSED, reason)


def _duplicate(key: str) -> RecordResult:
    log.info("tracking: event already recorded, ignored: %s", key)
    return RecordResult(Outcome.DUPLICATE, "already recorded")


def lock_learner(session: Session, user_id: int) -> None:
    """Serialise one learner's tracking writes (PostgreSQL row lock; SQLite locks anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


# --- the live store of derived rows ----------------------------------------------------------


class SessionStore:
    """Derived rows of the database, read and changed in the session's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._modules: dict[tuple[int, int], ModuleProgress | None] = {}

    def module(self, user_id: int, module_id: int) -> ModuleProgress | None:
        """Return the learner's row for a module, if any."""
        key = (user_id, module_id)
        if key not in self._modules:
            self._modules[key] = self.session.scalar(
                select(ModuleProgress).where(
                    ModuleProgress.user_id == user_id, ModuleProgress.module_id == module_id
                )
            )
        return self._modules[key]

    def page(self, user_id: int, page_id: int) -> PageProgress | None:
        """Return the learner's row for a page, if any."""
        return self.session.scalar(
            select(PageProgress).where(
                PageProgress.user_id == user_id, PageProgress.page_id == page_id
            )
        )

    def current_completion(self, user_id: int, module_id: int) -> Completion | None:
        """Return the learner's current completion of a module, if any."""
        return self.session.scalar(
            select(Completion).where(
                Completion.user_id == user_id,
                Completion.module_id == module_id,
                Completion.is_current.is_(True),
            )
        )

    def add(self, row: ModuleProgress | PageProgress | Completion) -> None:
        """Add a new row to the session."""
        self.session.add(row)
        if isinstance(row, ModuleProgress):
            self._modules[(row.user_id, row.module_id)] = row
        self.session.flush()


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
class _Recorder:
    """Adds statements for one learner in one transaction and keeps the derived rows in step."""

    session: Session
    config: TrackingConfig
    user: User
    now: datetime
    registration: str | None = None
    added: list[Statement] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.store = SessionStore(self.session)
        self.content = SessionContent(self.session)
        self.actor = xapi.Actor(self.user.email, self.user.display_name)

    @property
    def iris(self) -> xapi.Iris:
        return self.config.iris

    def exists(self, key: str) -> bool:
        """Tell whether the statement of this natural key was recorded already."""
        statement_id = self.iris.statement_id(key)
        found = self.session.scalar(select(Statement.id).where(Statement.uuid == statement_id))
        return found is not None

    def add(
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
        """Store one statement (its id is the key's), project it, queue it for the LRS."""
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
        self.session.flush()
        apply_fact(self.store, self.content, Fact.of(statement))
        if self.config.forward:
            self.session.add(
                StatementOutbox(
                    statement_id=statement.id, created_at=self.now, next_attempt_at=self.now
                )
            )
        self.added.append(statement)
        return statement


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
        return _refuse("inactive or unknown learner", user=user.id, key=key)
    lock_learner(session, user.id)
    recorder = _Recorder(session, config or tracking_config(), user, now, registration)
    if recorder.exists(key):
        return _duplicate(key)
    recorder.add(key, body, verb=verb, kind=kind, timestamp=now)
    return RecordResult(Outcome.RECORDED, statements=recorder.added)


def _module_ref(version: ModuleVersion, module: Module) -> xapi.ModuleRef:
    titles = {variant.language: variant.title for variant in version.variants}
    return xapi.ModuleRef(slug=module.slug, version=version.number, titles=titles)


def _has_quiz(session: Session, module_id: int) -> bool:
    """Tell whether the module ends with a quiz (one with a version)."""
    try:
        from app.assessment.queries import quiz_for_module
    except ImportError:  # the assessment feature is not installed
        return False
    return quiz_for_module(session, module_id) is not None


def _version_pages(session: Session, version_id: int) -> dict[int, set[int]]:
    """Return the page ids of each language variant of a version."""
    pages: dict[int, set[int]] = {}
    rows = session.execute(
        select(ModulePage.variant_id, ModulePage.id)
        .join(ModuleVariant, ModulePage.variant_id == ModuleVariant.id)
        .where(ModuleVariant.version_id == version_id)
    )
    for variant_id, page_id in rows:
        pages.setdefault(variant_id, set()).add(page_id)
    return pages


def _seen_pages(session: Session, user_id: int, version_id: int, cycle: int) -> set[int]:
    return set(
        session.scalars(
            select(PageProgress.page_id).where(
                PageProgress.user_id == user_id,
                PageProgress.module_version_id == version_id,
                PageProgress.cycle == cycle,
            )
        )
    )


def _complete_if_due(
    recorder: _Recorder,
    module: Module,
    *,
    confirmed: bool = False,
    version_id: int | None = None,
) -> Completion | None:
    """Apply the completion rule to the learner's current cycle; record `completed` if met.

    `confirmed`: the learner has just confirmed `version_id` (an attestation needs it); without
    it the version judged is the one the learner read last.
    """
    session = recorder.session
    progress = recorder.store.module(recorder.user.id, module.id)
    if progress is None or (version_id or progress.module_version_id) is None:
        return None
    version = session.get(ModuleVersion, version_id or progress.module_version_id)
    if version is None:
        return None
    cycle = progress.cycle
    complete = is_module_complete(
        variant_pages=_version_pages(session, version.id),
        seen_pages=_seen_pages(session, recorder.user.id, version.id, cycle),
        has_quiz=_has_quiz(session, module.id),
        quiz_passed=progress.quiz_passed_cycle == cycle,
        needs_confirmation=module.kind == ModuleKind.ATTESTATION,
        is_confirmed=confirmed,
    )
    if not complete:
        return None
    key = f"completed|user:{recorder.user.id}|module:{module.id}|cycle:{cycle}"
    if recorder.exists(key):
        return None
    score = progress.quiz_score_percent if progress.quiz_passed_cycle == cycle else None
    attempt_id = progress.quiz_attempt_id if progress.quiz_passed_cycle == cycle else None
    body = xapi.module_completed(
        recorder.iris,
        statement_id=recorder.iris.statement_id(key),
        actor=recorder.actor,
        module=_module_ref(version, module),
        timestamp=recorder.now,
        score_percent=score,
        registration=recorder.registration,
    )
    statement = recorder.add(
        key,
        body,
        verb=xapi.Verb.COMPLETED,
        kind=xapi.ObjectKind.MODULE,
        module_id=module.id,
        module_version_id=version.id,
        attempt_id=attempt_id,
        timestamp=recorder.now,
    )
    session.add(
        Certificate(
            code=_unused_code(session),
            statement_id=statement.id,
            user_id=recorder.user.id,
            issued_at=recorder.now,
        )
    )
    session.flush()
    log.info(
        "tracking: user=%s completed module=%s version=%s cycle=%s",
        recorder.user.id,
        module.slug,
        version.number,
        cycle + 1,
    )
    return recorder.store.current_completion(recorder.user.id, module.id)


def _unused_code(session: Session) -> str:
    for _ in range(5):
        code = new_code()
        if session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused certificate code")  # 2^60 codes: never


def _is_given(session: Session, user_id: int, module: Module, version: ModuleVersion) -> bool:
    """Tell whether the learner may record progress in this version (see the module doc)."""
    if version.id == module.current_version_id:
        return True
    started = session.scalar(
        select(PageProgress.id)
        .where(PageProgress.user_id == user_id, PageProgress.module_version_id == version.id)
        .limit(1)
    )
    return started is not None


def record_page_view(
    session: Session,
    user: User | None,
    page_id: int,
    *,
    now: datetime,
    registration: str | None = None,
    config: TrackingConfig | None = None,
) -> RecordResult:
    """Record that the learner saw a page (once per page and cycle) and apply its effects."""
    if user is None or not user.is_active:
        return _refuse("inactive or unknown learner", user=getattr(user, "id", None), page=page_id)
    page = session.get(ModulePage, page_id) if isinstance(page_id, int) else None
    if page is None:
        return _refuse("no such page", user=user.id, page=page_id)
    variant = page.variant
    version = variant.version
    module = session.get(Module, version.module_id)
    if module is None or module.status != ModuleStatus.PUBLISHED:
        return _refuse("module not published", user=user.id, page=page_id)
    lock_learner(session, user.id)
    if not _is_given(session, user.id, module, version):
        return _refuse(
            "version never given to the learner",
            user=user.id,
            module=module.slug,
            version=version.number,
            current=module.current_version_id,
        )
    recorder = _Recorder(session, config or tracking_config(), user, now, registration)
    progress = recorder.store.module(user.id, module.id)
    cycle = progress.cycle if progress else 0
    key = f"experienced|user:{user.id}|page:{page.id}|cycle:{cycle}"
    if recorder.exists(key):
        return _duplicate(key)
    module_ref = _module_ref(version, module)
    if not _seen_pages(session, user.id, version.id, cycle):
        launch_key = f"launched|user:{user.id}|version:{version.id}|cycle:{cycle}"
        if not recorder.exists(launch_key):
            recorder.add(
                launch_key,
                xapi.module_launched(
                    recorder.iris,
                    statement_id=recorder.iris.statement_id(launch_key),
                    actor=recorder.actor,
                    module=module_ref,
                    language=variant.language,
                    timestamp=now,
                    registration=registration,
                ),
                verb=xapi.Verb.LAUNCHED,
                kind=xapi.ObjectKind.MODULE,
                module_id=module.id,
                module_version_id=version.id,
                timestamp=now,
            )
    recorder.add(
        key,
        xapi.page_experienced(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            module=module_ref,
            position=page.position,
            page_title=page.title,
            language=variant.language,
            timestamp=now,
            registration=registration,
        ),
        verb=xapi.Verb.EXPERIENCED,
        kind=xapi.ObjectKind.PAGE,
        module_id=module.id,
        module_version_id=version.id,
        page_id=page.id,
        timestamp=now,
    )
    completion = _complete_if_due(recorder, module)
    return RecordResult(Outcome.RECORDED, statements=recorder.added, completion=completion)


def record_attempt(
    session: Session,
    attempt: Any,
    *,
    now: datetime,
    registration: str | None = None,
    config: TrackingConfig | None = None,
) -> RecordResult:
    """Record a graded quiz attempt (attempted, answered, passed or failed) and its effects."""
    from app.assessment.models import AttemptAnswer, AttemptState, Quiz
    from app.assessment.questions import Quiz as QuizDefinition

    if attempt is None or attempt.state != AttemptState.SUBMITTED or attempt.is_passed is None:
        return _refuse("attempt not graded", attempt=getattr(attempt, "id", None))
    user = session.get(User, attempt.user_id)
    if user is None or not user.is_active:
        return _refuse("inactive or unknown learner", user=attempt.user_id, attempt=attempt.id)
    quiz = session.get(Quiz, attempt.quiz_id)
    if quiz is None:
        return _refuse("no such quiz", attempt=attempt.id)
    lock_learner(session, user.id)
    recorder = _Recorder(session, config or tracking_config(), user, now, registration)
    result_key = f"result|attempt:{attempt.id}"
    if recorder.exists(result_key):
        return _duplicate(result_key)
    version = attempt.version
    definition = QuizDefinition.from_dict(version.definition)
    module = session.get(Module, quiz.module_id) if quiz.module_id else None
    module_ref = None
    if module is not None and module.current_version is not None:
        module_ref = _module_ref(module.current_version, module)
    quiz_ref = xapi.QuizRef(
        slug=quiz.slug, version=version.number, titles=dict(definition.title), module=module_ref
    )
    submitted_at = attempt.submitted_at or now
    common = {
        "module_id": module.id if module else None,
        "quiz_id": quiz.id,
        "attempt_id": attempt.id,
    }
    attempted_key = f"attempted|attempt:{attempt.id}"
    recorder.add(
        attempted_key,
        xapi.quiz_attempted(
            recorder.iris,
            statement_id=recorder.iris.statement_id(attempted_key),
            actor=recorder.actor,
            quiz=quiz_ref,
            attempt_number=attempt.number,
            timestamp=attempt.started_at,
            registration=registration,
        ),
        verb=xapi.Verb.ATTEMPTED,
        kind=xapi.ObjectKind.QUIZ,
        timestamp=attempt.started_at,
        **common,
    )
    answers = {
        answer.question_id: answer
        for answer in session.scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
        )
    }
    for question_id in _answered_in_order(attempt.question_ids, answers):
        answer = answers[question_id]
        question = definition.question(question_id)
        key = f"answered|attempt:{attempt.id}|question:{question_id}"
        moment = min(answer.saved_at or submitted_at, submitted_at)
        recorder.add(
            key,
            xapi.question_answered(
                recorder.iris,
                statement_id=recorder.iris.statement_id(key),
                actor=recorder.actor,
                quiz=quiz_ref,
                question_id=question_id,
                question_type=question.type,
                stem=dict(question.stem),
                points=float(answer.points or 0),
                max_points=float(question.points),
                fraction=float(answer.fraction or 0),
                timestamp=moment,
                registration=registration,
            ),
            verb=xapi.Verb.ANSWERED,
            kind=xapi.ObjectKind.QUESTION,
            timestamp=moment,
            **common,
        )
    recorder.add(
        result_key,
        xapi.quiz_result(
            recorder.iris,
            statement_id=recorder.iris.statement_id(result_key),
            actor=recorder.actor,
            quiz=quiz_ref,
            attempt_number=attempt.number,
            score_percent=float(attempt.score_percent or 0),
            is_passed=bool(attempt.is_passed),
            duration=submitted_at - attempt.started_at,
            timestamp=submitted_at,
            registration=registration,
        ),
        verb=xapi.Verb.PASSED if attempt.is_passed else xapi.Verb.FAILED,
        kind=xapi.ObjectKind.QUIZ,
        timestamp=submitted_at,
        **common,
    )
    completion = None
    if module is not None and attempt.is_passed:
        completion = _complete_if_due(recorder, module)
    return RecordResult(Outcome.RECORDED, statements=recorder.added, completion=completion)


# Why an attestation was not recorded (RecordResult.reason), for the attestation's messages.
NOT_AN_ATTESTATION = "not a published attestation"
NOT_CURRENT_VERSION = "not the current version"
PAGES_NOT_READ = "not every page read"


def record_attestation(
    session: Session,
    user: User | None,
    version: ModuleVersion,
    *,
    language: str,
    method: str,
    now: datetime,
    registration: str | None = None,
    config: TrackingConfig | None = None,
) -> RecordResult:
    """Record that the learner confirmed this version of an attestation, and its completion.

    The caller has checked who the learner is (password or single sign-on: `method`). Refused,
    with nothing written: an inactive learner, a module that is not a published attestation, a
    version that is not the current one (a new version was published while they read), or a
    version whose pages were not all read in this cycle. The same confirmation twice (in one
    cycle) is a duplicate.
    """
    if user is None or not user.is_active:
        return _refuse("inactive or unknown learner", user=getattr(user, "id", None))
    module = session.get(Module, version.module_id)
    if (
        module is None
        or module.status != ModuleStatus.PUBLISHED
        or module.kind != ModuleKind.ATTESTATION
    ):
        return _refuse(NOT_AN_ATTESTATION, user=user.id, version=version.id)
    lock_learner(session, user.id)
    if version.id != module.current_version_id:
        return _refuse(
            NOT_CURRENT_VERSION, user=user.id, module=module.slug, version=version.number
        )
    recorder = _Recorder(session, config or tracking_config(), user, now, registration)
    progress = recorder.store.module(user.id, module.id)
    cycle = progress.cycle if progress else 0
    key = f"attested|user:{user.id}|version:{version.id}|cycle:{cycle}"
    if recorder.exists(key):
        return _duplicate(key)
    # The completion rule decides, before anything is written: confirming is the last step.
    readable = is_module_complete(
        variant_pages=_version_pages(session, version.id),
        seen_pages=_seen_pages(session, user.id, version.id, cycle),
        has_quiz=_has_quiz(session, module.id),
        quiz_passed=progress is not None and progress.quiz_passed_cycle == cycle,
        needs_confirmation=True,
        is_confirmed=True,
    )
    if not readable:
        return _refuse(PAGES_NOT_READ, user=user.id, module=module.slug, version=version.number)
    recorder.add(
        key,
        xapi.module_attested(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            module=_module_ref(version, module),
            language=language,
            content_hash=version.content_hash,
            method=method,
            timestamp=now,
            registration=registration,
        ),
        verb=xapi.Verb.ATTESTED,
        kind=xapi.ObjectKind.MODULE,
        module_id=module.id,
        module_version_id=version.id,
        timestamp=now,
    )
    completion = _complete_if_due(recorder, module, confirmed=True, version_id=version.id)
    log.info(
        "tracking: user=%s attested module=%s version=%s by %s",
        user.id,
        module.slug,
        version.number,
        method,
    )
    return RecordResult(Outcome.RECORDED, statements=recorder.added, completion=completion)


def _answered_in_order(question_ids: Iterable[str], answers: dict[str, Any]) -> list[str]:
    """Return the asked questions that got a response, in the order they were asked."""
    return [qid for qid in question_ids if qid in answers and answers[qid].response is not None]


# --- the listeners the content reader and the quiz call --------------------------------------


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


def on_page_view(session: Session, read: PageRead) -> None:
    """`PAGE_READ` receiver: record the view; refusals are logged, not raised."""
    user = session.get(User, read.user_id)
    if user is None:
        return
    registration = registration_for(session, user.id, read.module_id, read.at)
    outcome = record_page_view(session, user, read.page_id, now=read.at, registration=registration)
    if outcome.statements:
        forward_after_request()


def on_attempt_submitted(session: Session, attempt: Any, now: datetime) -> None:
    """Attempt listener (quiz submission): record the graded attempt."""
    from app.assessment.models import Quiz

    quiz = session.get(Quiz, attempt.quiz_id)
    module_id = quiz.module_id if quiz is not None else None
    registration = registration_for(session, attempt.user_id, module_id, now)
    if record_attempt(session, attempt, now=now, registration=registration).statements:
        forward_after_request()
