"""What counts in a campaign, in SQL: the counting assignments and whether each is done or late.

A person counts for a campaign while they are active and hold at least one required
assignment that was not removed; they are ready when each such assignment has a completion
that counts now: the learner's current completion of the assigned module (or, for a
refresher, of the full module), not expired, and no later *major* version of the module
published (the rule of `app.tracking.completion`, in SQL in `app.tracking.completion_sql`).
They are overdue when a required module is not done and its own due date (late joiners have a
later one) has passed. Every read about people is limited to the viewer's units with
`unit_scope_clause`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, union
from sqlalchemy.orm import aliased

from app.campaigns.models import Assignment, CampaignModule
from app.content.models import ModuleVersion
from app.people.models import Unit, User
from app.permissions import unit_scope_clause
from app.tracking.completion_sql import counts_now_conditions
from app.tracking.models import Completion


def _campaign_module_ids(campaign_ids: Sequence[int]) -> Any:
    """SELECT of every module the campaigns' assignments can point at (modules, refreshers)."""
    return union(
        select(CampaignModule.module_id).where(CampaignModule.campaign_id.in_(campaign_ids)),
        select(CampaignModule.refresher_module_id).where(
            CampaignModule.campaign_id.in_(campaign_ids),
            CampaignModule.refresher_module_id.is_not(None),
        ),
    )


def valid_completions(
    campaign_ids: int | Sequence[int], now: datetime, *, refreshed_only: bool = False
) -> Any:
    """Subquery (user_id, module_id): completions of the campaigns' modules that count now.

    Only the learner's current completion of a module can count, and tracking keeps one per
    learner and module, so the rows are unique without a costly GROUP BY. (Were there ever two,
    an assignment would be joined twice, both times as done: readiness and lateness, which
    compare done with required per person, would still be right.)

    `refreshed_only` keeps the full modules that have a refresher (for the second join that
    lets a full module count for a refresher): empty, hence free, in most campaigns.
    """
    ids = [campaign_ids] if isinstance(campaign_ids, int) else list(campaign_ids)
    modules = (
        select(CampaignModule.module_id).where(
            CampaignModule.campaign_id.in_(ids), CampaignModule.refresher_module_id.is_not(None)
        )
        if refreshed_only
        else _campaign_module_ids(ids)
    )
    version = aliased(ModuleVersion)
    return (
        select(Completion.user_id, Completion.module_id)
        .join(version, version.id == Completion.module_version_id)
        .where(*counts_now_conditions(version, now), Completion.module_id.in_(modules))
        .subquery("valid_full" if refreshed_only else "valid")
    )


def assignment_rows(
    campaign_id: int,
    viewer: User,
    now: datetime,
    *,
    root_path: str | None = None,
    required_only: bool = True,
) -> Select[Any]:
    """SELECT of the counting assignments in the viewer's scope with a `done` and `late` flag.

    Columns: assignment_id, user_id, unit_id, module_id (the campaign module's, so refreshers
    line up with their full module), assigned_module_id, due_at, is_required, done (0/1),
    late (0/1: not done and its due date has passed).
    """
    own = valid_completions(campaign_id, now)
    full = valid_completions(campaign_id, now, refreshed_only=True)
    done = or_(own.c.user_id.is_not(None), full.c.user_id.is_not(None))
    conditions: list[ColumnElement[bool]] = [
        Assignment.campaign_id == campaign_id,
        Assignment.removed_at.is_(None),
        User.is_active.is_(True),
        unit_scope_clause(viewer, Unit.path),
    ]
    if required_only:
        conditions.append(Assignment.is_required.is_(True))
    if root_path is not None:
        conditions.append(Unit.path.startswith(root_path, autoescape=True))
    return (
        select(
            Assignment.id.label("assignment_id"),
            Assignment.user_id.label("user_id"),
            User.unit_id.label("unit_id"),
            CampaignModule.module_id.label("module_id"),
            Assignment.module_id.label("assigned_module_id"),
            Assignment.due_at.label("due_at"),
            Assignment.is_required.label("is_required"),
            case((done, 1), else_=0).label("done"),
            case(
                (and_(~done, Assignment.due_at.is_not(None), Assignment.due_at < now), 1),
                else_=0,
            ).label("late"),
        )
        .join(User, User.id == Assignment.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .join(CampaignModule, CampaignModule.id == Assignment.campaign_module_id)
        .outerjoin(
            own, and_(own.c.user_id == Assignment.user_id, own.c.module_id == Assignment.module_id)
        )
        .outerjoin(
            full,
            and_(
                Assignment.is_refresher.is_(True),
                full.c.user_id == Assignment.user_id,
                full.c.module_id == CampaignModule.module_id,
            ),
        )
        .where(*conditions)
    )


def person_rows(campaign_id: int, viewer: User, now: datetime, *, root_path: str | None) -> Any:
    """Subquery: one row per counted person (user_id, unit_id, required, done, late)."""
    rows = assignment_rows(campaign_id, viewer, now, root_path=root_path).subquery("a")
    return (
        select(
            rows.c.user_id,
            rows.c.unit_id,
            func.count().label("required"),
            func.sum(rows.c.done).label("done"),
            func.sum(rows.c.late).label("late"),
        )
        .group_by(rows.c.user_id, rows.c.unit_id)
        .subquery("p")
    )


def as_utc(value: Any) -> datetime | None:
    """Aggregates (MIN over a CASE) lose the column type: make SQLite's naive value UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
