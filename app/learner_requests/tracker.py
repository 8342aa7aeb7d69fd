"""The parcel-tracker view of a request: its steps and when each was reached (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

STEPS = ("received", "in_progress", "handled")


@dataclass(frozen=True)
class Step:
    """One step of the tracker: reached or not, when (last reached), and the current one."""

    status: str
    reached_at: datetime | None
    is_done: bool
    is_current: bool


def tracker_steps(current: str, changes: Iterable[tuple[str, datetime]]) -> list[Step]:
    """The three steps for a request now in `current`, given its (new status, when) changes
    in time order. A step passed over (received → handled at once) counts as done, without a
    date; after a follow-up reopened a request, later steps are open again."""
    position = STEPS.index(current)
    reached: dict[str, datetime] = {}
    for status, when in changes:
        if status in STEPS:
            reached[status] = when
            # Going back (a follow-up reopened the request) clears the steps after it.
            for later in STEPS[STEPS.index(status) + 1 :]:
                reached.pop(later, None)
    return [
        Step(
            status=status,
            reached_at=reached.get(status) if index <= position else None,
            is_done=index <= position,
            is_current=index == position,
        )
        for index, status in enumerate(STEPS)
    ]
