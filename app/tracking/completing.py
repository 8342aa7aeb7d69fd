"""Completing a module: apply the completion rule after an event, record `completed`, issue the
certificate and announce `CompletionReached`.

Whether a module ends with a quiz is assessment's to say (`app.content.module_quizzes` asks
the `MODULE_QUIZZES` hook): tracking never reads assessment's tables.
"""

from __future__ import annotations

import logging

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from app.content.models import Module, ModuleKind, ModulePage, ModuleVariant, ModuleVersion
from app.content.module_quizzes import has_quiz
from app.platform.events import CompletionReached
from app.platform.hooks import COMPLETION_REACHED
from app.tracking import event_statements
from app.tracking import statements as xapi
from app.tracking.certificates import new_code
from app.tracking.completion import is_module_complete
from app.tracking.models import Certificate, Completion, ModuleProgress, PageProgress
from app.tracking.operations import Recorder, module_ref

log = logging.getLogger(__name__)


# Built once: every page of a version by language variant, each with whether the learner saw
# it in a cycle (progress is unique per learner and page, so a page comes once).
_PAGES_READ = (
    select(ModulePage.variant_id, ModulePage.id, PageProgress.id.is_not(None))
    .join(ModuleVariant, ModulePage.variant_id == ModuleVariant.id)
    .outerjoin(
        PageProgress,
        and_(
            PageProgress.page_id == ModulePage.id,
            PageProgress.user_id == bindparam("user_id"),
            PageProgress.module_version_id == bindparam("version_id"),
            PageProgress.cycle == bindparam("cycle"),
        ),
    )
    .where(ModuleVariant.version_id == bindparam("version_id"))
)


def pages_read(
    session: Session, user_id: int, version_id: int, cycle: int
) -> tuple[dict[int, set[int]], set[int]]:
    """Return the page ids of each language variant of a version, and those of them the
    learner has seen in a cycle (one query): what the completion rule compares."""
    pages: dict[int, set[int]] = {}
    seen: set[int] = set()
    rows = session.execute(
        _PAGES_READ, {"user_id": user_id, "version_id": version_id, "cycle": cycle}
    )
    for variant_id, page_id, was_seen in rows:
        pages.setdefault(variant_id, set()).add(page_id)
        if was_seen:
            seen.add(page_id)
    return pages, seen


def complete_if_due(
    recorder: Recorder,
    module: Module,
    *,
    confirmed: bool = False,
    version_id: int | None = None,
    quiz_just_passed: bool = False,
) -> Completion | None:
    """Apply the completion rule to the learner's current cycle; record `completed` if met.

    `confirmed`: the learner has just confirmed `version_id` (an attestation needs it); without
    it the version judged is the one the learner read last. `quiz_just_passed`: a quiz of the
    module was passed in this cycle, so whether the module ends with a quiz changes nothing
    (the hook is not asked).
    """
    session = recorder.session
    progress = recorder.store.module(recorder.user.id, module.id)
    if progress is None or (version_id or progress.module_version_id) is None:
        return None
    version = session.get(ModuleVersion, version_id or progress.module_version_id)
    if version is None:
        return None
    variant_pages, seen = pages_read(session, recorder.user.id, version.id, progress.cycle)
    complete = is_module_complete(
        variant_pages=variant_pages,
        seen_pages=seen,
        has_quiz=quiz_just_passed or has_quiz(session, module.id),
        quiz_passed=progress.quiz_passed_cycle == progress.cycle,
        needs_confirmation=module.kind == ModuleKind.ATTESTATION,
        is_confirmed=confirmed,
    )
    key = f"completed|user:{recorder.user.id}|module:{module.id}|cycle:{progress.cycle}"
    if not complete or recorder.exists(key):
        return None
    _record_completed(recorder, key, module, version, progress)
    completion = recorder.store.current_completion(recorder.user.id, module.id)
    if completion is not None:
        _announce(session, completion)
    return completion


def _record_completed(
    recorder: Recorder,
    key: str,
    module: Module,
    version: ModuleVersion,
    progress: ModuleProgress,
) -> None:
    """Add the `completed` statement (its projection is the completion) and the certificate."""
    cycle = progress.cycle
    score = progress.quiz_score_percent if progress.quiz_passed_cycle == cycle else None
    attempt_id = progress.quiz_attempt_id if progress.quiz_passed_cycle == cycle else None
    body = event_statements.module_completed(
        recorder.iris,
        statement_id=recorder.iris.statement_id(key),
        actor=recorder.actor,
        module=module_ref(version, module),
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
    session = recorder.session
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


def _announce(session: Session, completion: Completion) -> None:
    """Tell the receivers of `COMPLETION_REACHED` that this completion now counts."""
    reached = CompletionReached(
        user_id=completion.user_id,
        module_id=completion.module_id,
        version_id=completion.module_version_id,
        number=completion.number,
        completed_at=completion.completed_at,
        expires_at=completion.expires_at,
        score_percent=completion.score_percent,
    )
    for receiver in COMPLETION_REACHED.receivers():
        receiver(session, reached)


def _unused_code(session: Session) -> str:
    for _ in range(5):
        code = new_code()
        if session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code
    raise RuntimeError("could not draw an unused certificate code")  # 2^60 codes: never
