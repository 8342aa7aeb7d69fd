"""What is assigned to a learner, as "my learning" and the home page read it.

Assignments come from the features that make them (campaigns, by hand): each connects an
`AssignmentSource` to `app.platform.hooks.ASSIGNMENT_SOURCES`, a SELECT of the modules assigned
to the person bound as `user_id` built once; `assignments_for` merges what they return.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select


@dataclass(frozen=True)
class AssignmentRow:
    """A module a learner must complete, by when, and why (a campaign's name, "by hand")."""

    module_id: int
    due_at: datetime | None
    source: str
    # Whether the assignment is done by its source's rule (a campaign's refresher asks for a
    # completion from the campaign on); None: the module's counting completion decides.
    is_done: bool | None = None


@dataclass(frozen=True, eq=False)
class AssignmentSource:
    """Where assigned modules come from: a SELECT of what is assigned to the person bound as
    `user_id` (at the time bound as `now`), built once (its first column is the module's id),
    and how one of its rows becomes an `AssignmentRow`."""

    statement: Select[Any]
    to_row: Callable[[Any], AssignmentRow]


def assignments_for(
    rows_per_source: Iterable[tuple[AssignmentSource, Iterable[Any]]],
) -> dict[int, AssignmentRow]:
    """Merge what every source assigns; per module, the earliest due date wins."""
    merged: dict[int, AssignmentRow] = {}
    for source, rows in rows_per_source:
        for row in map(source.to_row, rows):
            known = merged.get(row.module_id)
            if known is None or due_order(row.due_at) < due_order(known.due_at):
                merged[row.module_id] = row
    return merged


def due_order(due_at: datetime | None) -> tuple[int, datetime | None]:
    """Sort key of a due date: earliest first, none last."""
    return (1, None) if due_at is None else (0, due_at)
