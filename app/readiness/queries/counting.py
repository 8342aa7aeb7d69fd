"""What counts in a campaign, in SQL: the counting assignments and whether each is done or late.

A person counts for a campaign while they are active and hold at least one required
assignment that was not removed; they are ready when each such assignment has a completion
that counts now: the learner's current completion of the assigned module (or, for a
refresher, of the full module; for a refresher only one made from the campaign's assignment
date on), not expired, and no later *major* version of the module published (the rules of
`app.tracking.completion`, in SQL in `app.tracking.completion_sql`).
They are overdue when a required module is not done and its own due date (late joiners have a
later one) has passed. Every read about people is limited to the viewer's units with
`unit_scope_clause`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    or_,
    select,
    true,
)

from app.campaigns.assignment_done import campaigns_assignment_done
from app.campaigns.models import Assignment, Campaign, CampaignModule
from app.db import TZDateTime
from app.people.models import Unit, User
from app.permissions import is_admin, managed_unit_paths
from app.tracking.completion_sql import AssignmentDone


def assignment_done(campaign_ids: int | Sequence[int], now: datetime) -> AssignmentDone:
    """The joins that tell whether each assignment of the campaigns is done (`AssignmentDone`):
    the rule of `app.tracking.completion_sql`, over the campaigns' modules only."""
    ids = [campaign_ids] if isinstance(campaign_ids, int) else list(campaign_ids)
    return campaigns_assignment_done(lambda column: column.in_(ids), now)


# The bind parameters of every readiness statement built once per shape (see `Where`).
CAMPAIGN = bindparam("campaign_id", type_=Integer)
NOW = bindparam("now", type_=TZDateTime())
ROOT = bindparam("root_like", type_=String)


@dataclass(frozen=True)
class Where:
    """The values a readiness query is about: campaign, clock, the viewer's scope and a root.

    Readiness statements are built once per `shape` (how many scope paths, whether there is a
    root) with bind parameters, and run with `params`: building a statement of this size costs
    far more than running it on a region, and the viewer's scope is still applied in SQL on
    every request (only its shape is shared, never its values).
    """

    campaign_id: int
    now: datetime
    scope: tuple[str, ...] | None  # None: every unit (an administrator)
    root_path: str | None

    @classmethod
    def of(cls, campaign_id: int, viewer: User, now: datetime, root_path: str | None) -> Where:
        """The values for a viewer (their scope read from their roles)."""
        scope = None if is_admin(viewer) else tuple(managed_unit_paths(viewer))
        return cls(campaign_id, now, scope, root_path)

    @property
    def shape(self) -> tuple[int | None, bool]:
        """What the statement's text depends on: the number of scope paths and a root or not."""
        return (None if self.scope is None else len(self.scope), self.root_path is not None)

    @property
    def params(self) -> dict[str, Any]:
        """The bind parameters of a statement of this shape."""
        values: dict[str, Any] = {"campaign_id": self.campaign_id, "now": self.now}
        for n, path in enumerate(self.scope or ()):
            values[f"scope_{n}"] = _like_prefix(path)
        if self.root_path is not None:
            values["root_like"] = _like_prefix(self.root_path)
        return values


def _like_prefix(path: str) -> str:
    """A LIKE pattern for the paths starting with `path` (LIKE's wildcards escaped)."""
    return path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def scope_clause(scope_paths: int | None) -> ColumnElement[bool]:
    """SQL: `Unit.path` is in the viewer's scope (`unit_scope_clause` with the paths as bind
    parameters of `Where.params`)."""
    if scope_paths is None:
        return true()
    if scope_paths == 0:
        return false()
    return or_(
        *(
            Unit.path.like(bindparam(f"scope_{n}", type_=String), escape="\\")
            for n in range(scope_paths)
        )
    )


def root_clause() -> ColumnElement[bool]:
    """SQL: `Unit.path` is under the root of `Where.params`."""
    return Unit.path.like(ROOT, escape="\\")


@lru_cache(maxsize=64)
def assignment_rows_shaped(
    shape: tuple[int | None, bool], required_only: bool = True, past_due_only: bool = False
) -> Any:
    """SELECT of the counting assignments in the viewer's scope with a `done` and `late` flag.

    Built once per shape, with the bind parameters of `Where.params`. `past_due_only` keeps
    the assignments whose due date has passed (the only ones that can be late): the database
    filters them before joining the completions, so the lists of who is late read a tenth of
    the assignments of a running campaign instead of all of them. Columns: assignment_id,
    user_id, unit_id, module_id (the campaign module's, so refreshers line up with their full
    module), assigned_module_id, due_at, is_required, done (0/1), late (0/1: not done and its
    due date has passed).
    """
    scope_paths, has_root = shape
    joins = campaigns_assignment_done(lambda c: c == CAMPAIGN, NOW)
    done = joins.done
    conditions: list[ColumnElement[bool]] = [
        Assignment.campaign_id == CAMPAIGN,
        Assignment.removed_at.is_(None),
        User.is_active.is_(True),
        scope_clause(scope_paths),
    ]
    if required_only:
        conditions.append(Assignment.is_required.is_(True))
    if has_root:
        conditions.append(root_clause())
    if past_due_only:
        conditions.append(Assignment.due_at < NOW)
    query = (
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
                (and_(~done, Assignment.due_at.is_not(None), Assignment.due_at < NOW), 1),
                else_=0,
            ).label("late"),
        )
        .join(User, User.id == Assignment.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .join(CampaignModule, CampaignModule.id == Assignment.campaign_module_id)
    )
    # One campaign: its assignment date is read once per statement, not joined to every row.
    assign_at = select(Campaign.assign_at).where(Campaign.id == CAMPAIGN).scalar_subquery()
    return joins.join(query, Assignment, CampaignModule, assign_at).where(*conditions)


def assignment_rows(
    campaign_id: int,
    viewer: User,
    now: datetime,
    *,
    root_path: str | None = None,
    required_only: bool = True,
    past_due_only: bool = False,
) -> Select[Any]:
    """`assignment_rows_shaped` with the values bound (for a one-off query)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    return assignment_rows_shaped(where.shape, required_only, past_due_only).params(where.params)


def as_utc(value: Any) -> datetime | None:
    """Aggregates (MIN over a CASE) lose the column type: make SQLite's naive value UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
