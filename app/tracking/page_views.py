"""Recording page views: `launched` on a version's first page, `experienced` for each page.

The content reader announces `PageRead` (`app.platform.hooks.PAGE_READ`); `on_page_view`
records it. A page counts once per page and cycle; reading the last page may complete the
module (`app.tracking.completing`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.models import Module, ModulePage, ModuleStatus, ModuleVersion
from app.people.models import User
from app.platform.events import PageRead
from app.tracking import event_statements
from app.tracking import statements as xapi
from app.tracking.completing import complete_if_due
from app.tracking.lrs import forward_after_request
from app.tracking.models import PageProgress
from app.tracking.operations import (
    Outcome,
    Recorder,
    RecordResult,
    TrackingConfig,
    duplicate,
    lock_learner,
    module_ref,
    refuse,
    registration_for,
    tracking_config,
)


def _is_given(session: Session, user_id: int, module: Module, version: ModuleVersion) -> bool:
    """Tell whether the learner may record progress in this version (see `operations`)."""
    if version.id == module.current_version_id:
        return True
    started = session.scalar(
        select(PageProgress.id)
        .where(PageProgress.user_id == user_id, PageProgress.module_version_id == version.id)
        .limit(1)
    )
    return started is not None


def _refusal(session: Session, user: User | None, page_id: int) -> RecordResult | None:
    """Refuse a view by an inactive learner, of a missing page or an unpublished module."""
    if user is None or not user.is_active:
        return refuse("inactive or unknown learner", user=getattr(user, "id", None), page=page_id)
    page = session.get(ModulePage, page_id) if isinstance(page_id, int) else None
    if page is None:
        return refuse("no such page", user=user.id, page=page_id)
    module = session.get(Module, page.variant.version.module_id)
    if module is None or module.status != ModuleStatus.PUBLISHED:
        return refuse("module not published", user=user.id, page=page_id)
    return None


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
    refused = _refusal(session, user, page_id)
    if refused is not None:
        return refused
    assert user is not None  # for the type checker: refused above
    page = session.get(ModulePage, page_id)
    version = page.variant.version
    module = session.get(Module, version.module_id)
    lock_learner(session, user.id)
    if not _is_given(session, user.id, module, version):
        return refuse(
            "version never given to the learner",
            user=user.id,
            module=module.slug,
            version=version.number,
            current=module.current_version_id,
        )
    recorder = Recorder(session, config or tracking_config(), user, now, registration)
    progress = recorder.store.module(user.id, module.id)
    cycle = progress.cycle if progress else 0
    key = f"experienced|user:{user.id}|page:{page.id}|cycle:{cycle}"
    # `launched` once per version and cycle: on the first page read, whichever it is.
    launched = f"launched|user:{user.id}|version:{version.id}|cycle:{cycle}"
    recorded = recorder.recorded(key, launched)
    if key in recorded:
        return duplicate(key)
    if launched not in recorded:
        _add_launched(recorder, launched, module, version, page)
    _add_experienced(recorder, key, module, version, page)
    completion = complete_if_due(recorder, module)
    return RecordResult(Outcome.RECORDED, statements=recorder.added, completion=completion)


def _add_launched(
    recorder: Recorder, key: str, module: Module, version: ModuleVersion, page: ModulePage
) -> None:
    """Stage `launched` for the learner's first page of the version in this cycle: it goes in
    with the page's `experienced`, in one INSERT."""
    recorder.stage(
        key,
        event_statements.module_launched(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            module=module_ref(version, module),
            language=page.variant.language,
            timestamp=recorder.now,
            registration=recorder.registration,
        ),
        verb=xapi.Verb.LAUNCHED,
        kind=xapi.ObjectKind.MODULE,
        module_id=module.id,
        module_version_id=version.id,
        timestamp=recorder.now,
    )


def _add_experienced(
    recorder: Recorder, key: str, module: Module, version: ModuleVersion, page: ModulePage
) -> None:
    """Add `experienced` for the page (with `launched`, if staged: projected in that order)."""
    recorder.add(
        key,
        event_statements.page_experienced(
            recorder.iris,
            statement_id=recorder.iris.statement_id(key),
            actor=recorder.actor,
            module=module_ref(version, module),
            position=page.position,
            page_title=page.title,
            language=page.variant.language,
            timestamp=recorder.now,
            registration=recorder.registration,
        ),
        verb=xapi.Verb.EXPERIENCED,
        kind=xapi.ObjectKind.PAGE,
        module_id=module.id,
        module_version_id=version.id,
        page_id=page.id,
        timestamp=recorder.now,
    )


def on_page_view(session: Session, read: PageRead) -> None:
    """`PAGE_READ` receiver: record the view; refusals are logged, not raised."""
    user = session.get(User, read.user_id)
    if user is None:
        return
    registration = registration_for(session, user.id, read.module_id, read.at)
    outcome = record_page_view(session, user, read.page_id, now=read.at, registration=registration)
    if outcome.statements:
        forward_after_request()
