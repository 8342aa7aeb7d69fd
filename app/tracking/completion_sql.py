"""What counts as done, in SQL, from the tracking feature's completions (when installed).

A completion counts (as in `app.tracking.completion`) when it is the learner's current one,
has not expired and no later *major* version of the module was published. Without the tracking
tables nothing counts as done and nobody gets a refresher, so campaigns still run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, inspect, or_, select
from sqlalchemy.orm import Session, aliased


def _completion_model() -> Any | None:
    try:
        from app.tracking.models import Completion
    except ImportError:
        return None
    return Completion


def tracking_available(session: Session) -> bool:
    """Tell whether the tracking feature's completions table exists in this database."""
    model = _completion_model()
    if model is None:
        return False
    return inspect(session.connection()).has_table(model.__tablename__)


def counting_completion_clause(
    user_id: ColumnElement[int],
    module_ids: Sequence[ColumnElement[int]],
    now: datetime,
    *,
    enabled: bool = True,
    since: Any = None,
) -> ColumnElement[bool]:
    """SQL condition: the user has a completion that counts now of one of `module_ids`
    (completed at or after `since`, a value or a column, when given)."""
    Completion = _completion_model()
    if not enabled or Completion is None:
        return false()
    from app.content.models import ModuleVersion

    completed_version = aliased(ModuleVersion)
    later_major = aliased(ModuleVersion)
    conditions = [
        Completion.user_id == user_id,
        Completion.module_id.in_(list(module_ids)),
        Completion.is_current.is_(True),
        or_(Completion.expires_at.is_(None), Completion.expires_at > now),
        ~exists(
            select(1).where(
                later_major.module_id == Completion.module_id,
                later_major.is_major.is_(True),
                later_major.number > completed_version.number,
            )
        ),
    ]
    if since is not None:
        conditions.append(Completion.completed_at >= since)
    return exists(
        select(1)
        .select_from(Completion)
        .join(completed_version, completed_version.id == Completion.module_version_id)
        .where(*conditions)
    )


def assignment_done_clause(
    assignment: Any, campaign_module: Any, campaign_assign_at: Any, now: datetime, *, enabled: bool
) -> ColumnElement[bool]:
    """SQL condition: an assignment is done.

    A full module is done by any completion of it that counts now (last year's too, unless it
    expired or a major version replaced it). A refresher is given *because* the person
    completed the full module before, so only a completion from this campaign on (from its
    assignment date) of the refresher or of the full module does it.
    """
    modules = [assignment.module_id, campaign_module.module_id]
    return or_(
        and_(
            assignment.is_refresher.is_(False),
            counting_completion_clause(assignment.user_id, modules, now, enabled=enabled),
        ),
        and_(
            assignment.is_refresher.is_(True),
            counting_completion_clause(
                assignment.user_id, modules, now, enabled=enabled, since=campaign_assign_at
            ),
        ),
    )


def completed_since_clause(
    user_id: ColumnElement[int],
    module_ids: Sequence[ColumnElement[int]],
    since: datetime,
    *,
    enabled: bool = True,
) -> ColumnElement[bool]:
    """SQL condition: the user completed one of `module_ids` at or after `since` (any version,
    current or not): the refresher rule's "completed last year"."""
    Completion = _completion_model()
    if not enabled or Completion is None:
        return false()
    return exists(
        select(1).where(
            Completion.user_id == user_id,
            Completion.module_id.in_(list(module_ids)),
            Completion.completed_at >= since,
        )
    )


def expiring_completions_select(now: datetime, until: datetime) -> Any:
    """SELECT user_id, module_id, expires_at of current completions that stop counting in
    (now, until] and still count now (None without tracking)."""
    Completion = _completion_model()
    if Completion is None:
        return None
    from app.content.models import ModuleVersion

    completed_version = aliased(ModuleVersion)
    later_major = aliased(ModuleVersion)
    return (
        select(Completion.user_id, Completion.module_id, Completion.expires_at)
        .join(completed_version, completed_version.id == Completion.module_version_id)
        .where(
            Completion.is_current.is_(True),
            and_(Completion.expires_at > now, Completion.expires_at <= until),
            ~exists(
                select(1).where(
                    later_major.module_id == Completion.module_id,
                    later_major.is_major.is_(True),
                    later_major.number > completed_version.number,
                )
            ),
        )
    )
