"""The completion rule in SQL: which completions count now, for queries over many learners.

The same rule as `app.tracking.completion.completion_status(...).counts`, written once as SQL
conditions (tests/tracking/test_completion_sql.py checks both give the same answer): a
completion counts when it is the learner's current one, has not expired (`expires_at` is
empty or later than now) and no later *major* version of its module was published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased

from app.content.models import ModuleVersion
from app.tracking.models import Completion


def _no_later_major(completed_version: Any) -> ColumnElement[bool]:
    """SQL: no major version of the module is numbered after the completed one."""
    later_major = aliased(ModuleVersion)
    return ~exists(
        select(1).where(
            later_major.module_id == Completion.module_id,
            later_major.is_major.is_(True),
            later_major.number > completed_version.number,
        )
    )


def counts_now_conditions(completed_version: Any, now: datetime) -> list[ColumnElement[bool]]:
    """SQL conditions on `Completion` (joined to its version as `completed_version`): it counts.

    The one SQL form of the rule; every query that asks "does this completion count" uses it.
    """
    return [
        Completion.is_current.is_(True),
        or_(Completion.expires_at.is_(None), Completion.expires_at > now),
        _no_later_major(completed_version),
    ]


def counting_completion_clause(
    user_id: ColumnElement[int],
    module_ids: Sequence[ColumnElement[int]],
    now: datetime,
    *,
    also: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """SQL condition: the user has a completion that counts now of one of `module_ids` (and
    meets `also`, a condition on `Completion`, when given)."""
    completed_version = aliased(ModuleVersion)
    conditions = [
        Completion.user_id == user_id,
        Completion.module_id.in_(list(module_ids)),
        *counts_now_conditions(completed_version, now),
    ]
    if also is not None:
        conditions.append(also)
    return exists(
        select(1)
        .select_from(Completion)
        .join(completed_version, completed_version.id == Completion.module_version_id)
        .where(*conditions)
    )


def may_do_assignment(assignment: Any, completed_at: Any, campaign_assign_at: Any) -> Any:
    """SQL: a completion made at `completed_at` may do the assignment (if it counts now).

    A full module is done by any completion of it that counts now (last year's too, unless it
    expired or a major version replaced it). A refresher is given *because* the person
    completed the full module before, so only a completion from this campaign on (from its
    assignment date) does it. The Python form is `app.tracking.completion.may_do_assignment`.
    """
    return or_(assignment.is_refresher.is_(False), completed_at >= campaign_assign_at)


def assignment_done_clause(
    assignment: Any, campaign_module: Any, campaign_assign_at: Any, now: datetime
) -> ColumnElement[bool]:
    """SQL condition: an assignment is done, for a query about a few assignments.

    Done: a completion that counts now of the assigned module or of the campaign's (full)
    module, which `may_do_assignment` (for a refresher: made from the campaign's assignment
    date on). Written as two EXISTS, one per kind of assignment, so that only one is evaluated
    per row. `AssignmentDone` is the same rule as two joins,
    for statements over a campaign's assignments; tests/readiness/test_assignment_done_agrees.py
    checks that they agree.
    """
    modules = [assignment.module_id, campaign_module.module_id]
    return or_(
        and_(
            assignment.is_refresher.is_(False),
            counting_completion_clause(assignment.user_id, modules, now),
        ),
        and_(
            assignment.is_refresher.is_(True),
            counting_completion_clause(
                assignment.user_id,
                modules,
                now,
                also=may_do_assignment(assignment, Completion.completed_at, campaign_assign_at),
            ),
        ),
    )


def counting_completions(module_ids: Any, now: Any, *, name: str) -> Any:
    """Subquery (user_id, module_id, completed_at): the current completions of `module_ids`
    (ids or a SELECT of ids) that count now.

    Tracking keeps one current completion per learner and module, so the rows are unique.
    """
    completed_version = aliased(ModuleVersion)
    return (
        select(Completion.user_id, Completion.module_id, Completion.completed_at)
        .join(completed_version, completed_version.id == Completion.module_version_id)
        .where(*counts_now_conditions(completed_version, now), Completion.module_id.in_(module_ids))
        .subquery(name)
    )


@dataclass(frozen=True)
class AssignmentDone:
    """`assignment_done_clause` as two outer joins, for statements over many assignments.

    `own` holds the counting completions of the assigned modules and `full` those of the full
    modules that have a refresher (empty, hence free, in most campaigns): both
    `counting_completions` subqueries, restricted to the modules the statement is about.
    Two equality joins instead of one on "either module" let the database hash them, and join
    each assignment at most once to each side.
    """

    own: Any
    full: Any

    def join(
        self, query: Any, assignment: Any, campaign_module: Any, campaign_assign_at: Any
    ) -> Any:
        """`query` (which selects from `assignment` and `campaign_module`) with both joins."""
        own, full = self.own.c, self.full.c
        return query.outerjoin(
            self.own,
            and_(
                own.user_id == assignment.user_id,
                own.module_id == assignment.module_id,
                may_do_assignment(assignment, own.completed_at, campaign_assign_at),
            ),
        ).outerjoin(
            self.full,
            and_(
                assignment.is_refresher.is_(True),
                full.user_id == assignment.user_id,
                full.module_id == campaign_module.module_id,
                may_do_assignment(assignment, full.completed_at, campaign_assign_at),
            ),
        )

    @property
    def done(self) -> ColumnElement[bool]:
        """SQL, in a query made by `join`: the assignment is done."""
        return or_(self.own.c.user_id.is_not(None), self.full.c.user_id.is_not(None))


def completed_since_clause(
    user_id: ColumnElement[int], module_ids: Sequence[ColumnElement[int]], since: datetime
) -> ColumnElement[bool]:
    """SQL condition: the user completed one of `module_ids` at or after `since` (any version,
    current or not): the refresher rule's "completed last year"."""
    return exists(
        select(1).where(
            Completion.user_id == user_id,
            Completion.module_id.in_(list(module_ids)),
            Completion.completed_at >= since,
        )
    )


def expiring_completions_select(now: datetime, until: datetime) -> Any:
    """SELECT user_id, module_id, expires_at of current completions that count now and stop
    counting by expiry in (now, until]."""
    completed_version = aliased(ModuleVersion)
    return (
        select(Completion.user_id, Completion.module_id, Completion.expires_at)
        .join(completed_version, completed_version.id == Completion.module_version_id)
        .where(
            *counts_now_conditions(completed_version, now),
            Completion.expires_at <= until,
        )
    )
