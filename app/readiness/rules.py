"""The readiness rule of a campaign and the status of a unit (pure).

A unit meets the rule when people are assigned there and
- its share of ready people reaches the campaign's threshold (when one is set), and
- every branch in it (itself, for a branch) with assigned people has at least the minimum of
  ready people (when a minimum is set).
A campaign with neither a threshold nor a minimum asks for everybody (100 %).

Statuses: `ready` (meets the rule today); `on_track` (not yet, but the forecast reaches it by
the due date); `at_risk` (not yet, and the forecast misses it while there is still time to
act); `too_early` (not yet, and too little history for a forecast, see
`app.readiness.forecast`); `not_ready` (the due date has passed without meeting it);
`no_one` (nobody assigned).

A unit with units below it (a region, the network) takes its figures from them (people are
counted once, in the unit they belong to; its forecast is the sum of theirs) and its status
never contradicts theirs: unless it meets the rule today, it is
- `at_risk` when any unit right below it is at risk (or not ready), whatever its own sum says;
- else `too_early` when any unit right below it is too early to tell;
- else `on_track` or `at_risk` from its own summed forecast.
"Ready" stays a fact about the unit's own figures: a region that meets the campaign's share
today is ready even if one of its branches is short (a campaign that wants every branch to
be ready sets a minimum per branch, which then rolls up).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from app.i18n.markers import N_


class Status(enum.StrEnum):
    """Where a unit stands against the campaign's readiness rule."""

    READY = "ready"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    TOO_EARLY = "too_early"
    NOT_READY = "not_ready"
    NO_ONE = "no_one"


STATUS_LABELS = {
    Status.READY: N_("Ready"),
    Status.ON_TRACK: N_("On track"),
    Status.AT_RISK: N_("At risk"),
    Status.TOO_EARLY: N_("Too early to tell"),
    Status.NOT_READY: N_("Not ready"),
    Status.NO_ONE: N_("Nobody assigned"),
}
# Worst first, for sorting by status.
STATUS_ORDER = {
    Status.NOT_READY: 0,
    Status.AT_RISK: 1,
    Status.TOO_EARLY: 2,
    Status.ON_TRACK: 3,
    Status.READY: 4,
    Status.NO_ONE: 5,
}


@dataclass(frozen=True)
class Rule:
    """A campaign's readiness rule: a share of assigned people and/or a minimum per branch."""

    percent: int | None = None
    min_per_branch: int | None = None

    @property
    def effective_percent(self) -> int | None:
        """The threshold that applies (100 when the campaign sets no rule at all)."""
        if self.percent is None and self.min_per_branch is None:
            return 100
        return self.percent

    def meets_share(self, ready: float, assigned: int) -> bool:
        """Tell whether `ready` of `assigned` people reach the threshold (if any)."""
        if assigned <= 0:
            return False
        percent = self.effective_percent
        return percent is None or ready * 100 >= percent * assigned - 1e-9

    def meets_minimum(self, ready: float) -> bool:
        """Tell whether a branch with `ready` people reaches the minimum (if any)."""
        return self.min_per_branch is None or ready >= self.min_per_branch - 1e-9

    def met(self, ready: float, assigned: int, branches_short: int) -> bool:
        """Tell whether a unit meets the rule, given how many of its branches miss the minimum."""
        return assigned > 0 and self.meets_share(ready, assigned) and branches_short == 0


def classify(
    *,
    assigned: int,
    is_met: bool,
    will_meet: bool,
    days_left: int,
    is_known: bool = True,
    below: Iterable[Status] = (),
) -> Status:
    """Return a unit's status from today's numbers, the forecast and the units right below it.

    `is_known` is False when it is too early to tell; `below` holds the statuses of the units
    right below (the roll-up rule of the module docstring).
    """
    if assigned <= 0:
        return Status.NO_ONE
    if is_met:
        return Status.READY
    if days_left <= 0:
        return Status.NOT_READY
    statuses = set(below)
    if statuses & {Status.AT_RISK, Status.NOT_READY}:
        return Status.AT_RISK
    if not is_known or Status.TOO_EARLY in statuses:
        return Status.TOO_EARLY
    return Status.ON_TRACK if will_meet else Status.AT_RISK
