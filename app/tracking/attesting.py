"""Recording an attestation: the learner confirmed a version of a policy text (`attested`).

The attestations feature checks who the learner is (password or single sign-on) and calls
`record_attestation`; confirming is the last step of the completion rule, so it completes the
module (`app.tracking.completing`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from app.content.models import Module, ModuleKind, ModuleStatus, ModuleVersion
from app.content.module_quizzes import has_quiz
from app.people.models import User
from app.tracking import event_statements
from app.tracking import statements as xapi
from app.tracking.completing import complete_if_due, pages_read
from app.tracking.completion import is_module_complete
from app.tracking.models import ModuleProgress
from app.tracking.operations import (
    Outcome,
    Recorder,
    RecordResult,
    TrackingConfig,
    duplicate,
    lock_learner,
    module_ref,
    refuse,
    tracking_config,
)

log = logging.getLogger(__name__)

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
        return refuse("inactive or unknown learner", user=getattr(user, "id", None))
    module = session.get(Module, version.module_id)
    if (
        module is None
        or module.status != ModuleStatus.PUBLISHED
        or module.kind != ModuleKind.ATTESTATION
    ):
        return refuse(NOT_AN_ATTESTATION, user=user.id, version=version.id)
    lock_learner(session, user.id)
    if version.id != module.current_version_id:
        return refuse(NOT_CURRENT_VERSION, user=user.id, module=module.slug, version=version.number)
    recorder = Recorder(session, config or tracking_config(), user, now, registration)
    progress = recorder.store.module(user.id, module.id)
    cycle = progress.cycle if progress else 0
    key = f"attested|user:{user.id}|version:{version.id}|cycle:{cycle}"
    if recorder.exists(key):
        return duplicate(key)
    # The completion rule decides, before anything is written: confirming is the last step.
    if not _readable(session, user.id, module, version, progress):
        return refuse(PAGES_NOT_READ, user=user.id, module=module.slug, version=version.number)
    _add_attested(recorder, key, module, version, language=language, method=method)
    completion = complete_if_due(recorder, module, confirmed=True, version_id=version.id)
    log.info(
        "tracking: user=%s attested module=%s version=%s by %s",
        user.id,
        module.slug,
        version.number,
        method,
    )
    return RecordResult(Outcome.RECORDED, statements=recorder.added, completion=completion)


def _readable(
    session: Session,
    user_id: int,
    module: Module,
    version: ModuleVersion,
    progress: ModuleProgress | None,
) -> bool:
    """Tell whether confirming now would complete the version (all else of the rule is met)."""
    cycle = progress.cycle if progress else 0
    variant_pages, seen = pages_read(session, user_id, version.id, cycle)
    return is_module_complete(
        variant_pages=variant_pages,
        seen_pages=seen,
        has_quiz=has_quiz(session, module.id),
        quiz_passed=progress is not None and progress.quiz_passed_cycle == cycle,
        needs_confirmation=True,
        is_confirmed=True,
    )


def _add_attested(
    recorder: Recorder,
    key: str,
    module: Module,
    version: ModuleVersion,
    *,
    language: str,
    method: str,
) -> None:
    """Add `attested`: the version's content hash and how the learner proved who they are."""
    recorder.add(
        key,
        event_statements.module_attested(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            module=module_ref(version, module),
            language=language,
            content_hash=version.content_hash,
            method=method,
            timestamp=recorder.now,
            registration=recorder.registration,
        ),
        verb=xapi.Verb.ATTESTED,
        kind=xapi.ObjectKind.MODULE,
        module_id=module.id,
        module_version_id=version.id,
        timestamp=recorder.now,
    )
