"""The readiness report: every unit's readiness, forecast and status under a root.

Set-based: a report runs a fixed number of statements whatever the number of units or people
(per-person rows are aggregated in SQL; only per-unit rows come back); the roll-up up the tree
and the forecast are per unit, in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.people.models import User
from app.readiness.forecast import DayCount, Projection, add_up, project
from app.readiness.forecast_reference import ReferenceClass
from app.readiness.queries.overdue import OverduePerson, overdue_page
from app.readiness.queries.scope import CampaignInfo, UnitNode, scope_roots, units_in_scope
from app.readiness.queries.snapshots import direct_history, reference_curves, snapshot_history
from app.readiness.queries.unit_counts import Counted, DirectCounts, ModuleCell, count_units
from app.readiness.rules import Rule, Status, classify
from app.timekeeping.days import local_date


@dataclass
class UnitReadiness:
    """A unit's readiness (its whole subtree, within the viewer's scope)."""

    unit: UnitNode
    assigned: int = 0
    ready: int = 0
    overdue: int = 0
    direct_assigned: int = 0
    direct_ready: int = 0
    branches: int = 0
    branches_short: int = 0
    branches_forecast_short: int = 0
    branches_at_risk: int = 0
    branches_too_early: int = 0
    is_met: bool = False
    will_meet: bool = False
    status: Status = Status.NO_ONE
    projection: Projection | None = None

    @property
    def share(self) -> float | None:
        """The share of assigned people who are ready (None when nobody is assigned)."""
        return self.ready / self.assigned if self.assigned else None

    @property
    def projected_share(self) -> float | None:
        """The share the forecast expects on the due date (None when too early to tell)."""
        if self.projection is None or not self.projection.is_known:
            return None
        return self.projection.share

    @property
    def is_too_early(self) -> bool:
        """Tell whether it is too early for a forecast."""
        return self.projection is not None and not self.projection.is_known


def _judge(node: UnitReadiness, rule: Rule, below: Sequence[UnitReadiness], days_left: int) -> None:
    """Set a unit's `is_met`, `will_meet` and `status` (the one place that applies the rule)."""
    node.is_met = rule.met(node.ready, node.assigned, node.branches_short)
    known = node.projection is None or node.projection.is_known
    projected = node.projection.ready if node.projection is not None else float(node.ready)
    node.will_meet = known and rule.met(projected, node.assigned, node.branches_forecast_short)
    node.status = classify(
        assigned=node.assigned,
        is_met=node.is_met,
        will_meet=node.will_meet,
        days_left=days_left,
        is_known=known,
        below=[child.status for child in below if child.assigned > 0],
    )


@dataclass
class ReadinessReport:
    """Readiness of every unit of a subtree (or of the viewer's whole scope)."""

    campaign: CampaignInfo
    today: date
    due_day: date
    units: dict[int, UnitReadiness]
    roots: list[UnitNode] = field(default_factory=list)
    # Every daily snapshot of the units, by unit, oldest first (the trend table's numbers).
    history: dict[int, list[DayCount]] = field(default_factory=dict)
    # The heat map's cells by unit people belong to (only when asked for `with_cells`).
    cells: list[ModuleCell] | None = None
    # The first page of the overdue list (only when asked for with `overdue_limit`).
    overdue: Counted | None = None

    def overdue_people(
        self, session: Session, reminder_key: Callable[[int], str] | None
    ) -> tuple[list[OverduePerson], int]:
        """The first overdue people (`overdue_limit` of them) and how many there are."""
        if self.overdue is None:
            raise ValueError("the report was made without an overdue_limit")
        return overdue_page(
            session, self.overdue.overdue_people, self.overdue.overdue_modules, reminder_key
        )

    @property
    def days_left(self) -> int:
        """Days from today to the due date (0 once it has passed)."""
        return max((self.due_day - self.today).days, 0)

    def children_of(self, unit_id: int | None) -> list[UnitReadiness]:
        """The units right below `unit_id` (the roots for None), in name order."""
        if unit_id is None:
            return [self.units[r.id] for r in self.roots if r.id in self.units]
        return sorted(
            (u for u in self.units.values() if u.unit.parent_id == unit_id),
            key=lambda u: u.unit.name.lower(),
        )

    def branches_below(self, unit_id: int | None) -> list[UnitReadiness]:
        """Every branch with assigned people in a unit's subtree (all roots' for None)."""
        roots = self.children_of(None) if unit_id is None else [self.units[unit_id]]
        prefixes = tuple(r.unit.path for r in roots)
        return sorted(
            (
                u
                for u in self.units.values()
                if u.unit.is_branch and u.assigned > 0 and u.unit.path.startswith(prefixes)
            ),
            key=lambda u: u.unit.name.lower(),
        )

    def total(self, rule: Rule) -> UnitReadiness:
        """The roots added up (a virtual unit for a viewer with several scope roots)."""
        total = UnitReadiness(unit=UnitNode(0, "", "", "all", -1, "/"))
        roots = self.children_of(None)
        for root in roots:
            total.assigned += root.assigned
            total.ready += root.ready
            total.overdue += root.overdue
            total.branches += root.branches
            total.branches_short += root.branches_short
            total.branches_forecast_short += root.branches_forecast_short
            total.branches_at_risk += root.branches_at_risk
            total.branches_too_early += root.branches_too_early
        days_left = (self.due_day - self.today).days
        total.projection = add_up(
            [r.projection for r in roots if r.projection is not None and r.assigned > 0],
            days_left=max(days_left, 0),
        )
        _judge(total, rule, roots, days_left)
        return total


def _roll_up(units: Sequence[UnitNode], counts: Sequence[DirectCounts]) -> dict[int, UnitReadiness]:
    result = {unit.id: UnitReadiness(unit=unit) for unit in units}
    for count in counts:
        node = result.get(count.unit_id)
        if node is None:
            continue
        node.direct_assigned += count.assigned
        node.direct_ready += count.ready
        for ancestor_id in node.unit.ancestor_ids:
            ancestor = result.get(ancestor_id)
            if ancestor is not None:
                ancestor.assigned += count.assigned
                ancestor.ready += count.ready
                ancestor.overdue += count.overdue
    return result


def readiness_report(
    session: Session,
    viewer: User,
    campaign: CampaignInfo,
    *,
    root: UnitNode | None,
    now: datetime,
    tz: ZoneInfo,
    with_cells: bool = False,
    overdue_limit: int | None = None,
) -> ReadinessReport:
    """Readiness, forecast and status of every unit under `root` (whole scope for None).

    `with_cells` also reads the heat map's cells by unit (`ModuleCell`) in the same statement
    as the counts, and `overdue_limit` the first people of the overdue list with their late
    modules (`ReadinessReport.overdue`): one pass over the assignments instead of several.

    Four statements: the units, the per-unit counts (aggregated in SQL from the people), this
    campaign's snapshots and the branches' curves in earlier campaigns (the forecast's
    reference class); the roll-up and the forecast are per unit, in Python.
    Forecasts are made for the people who belong to each unit and added up the tree, so a
    region's forecast is the sum of its branches' (and of its own staff's), and statuses are
    judged from the branches up (`app.readiness.rules`).
    """
    units = units_in_scope(session, viewer, root)
    root_path = root.path if root is not None else None
    counted = count_units(
        session,
        viewer,
        campaign.id,
        now,
        root_path,
        with_cells=with_cells,
        overdue_limit=overdue_limit,
    )
    result = _roll_up(units, counted.counts)
    days = _Days(
        today=local_date(now, tz),
        due_day=local_date(campaign.due_at, tz),
        start_day=local_date(campaign.assign_at, tz),
    )
    # The whole campaign's snapshots: the forecast compares the pace since the start with
    # the same units' curves in earlier campaigns (one more statement, set-based).
    # Read once for the forecasts and the page's trend table (which shows every day).
    history = snapshot_history(session, campaign.id, result.keys(), since=None)
    since_start = {
        unit_id: [point for point in points if point.day >= days.start_day]
        for unit_id, points in history.items()
    }
    branch_ids = [node.unit.id for node in result.values() if node.unit.is_branch]
    # Read once for every unit of the report (they share the checkpoints).
    references = ReferenceClass(reference_curves(session, campaign.id, branch_ids, now=now, tz=tz))
    _forecast_and_judge(result, since_start, days, references, campaign)
    roots = [root] if root is not None else scope_roots(units)
    return ReadinessReport(
        campaign,
        days.today,
        days.due_day,
        result,
        roots=roots,
        history=history,
        cells=counted.cells if with_cells else None,
        overdue=counted if overdue_limit is not None else None,
    )


def _forecast_and_judge(
    result: dict[int, UnitReadiness],
    since_start: dict[int, list[DayCount]],
    days: _Days,
    references: ReferenceClass,
    campaign: CampaignInfo,
) -> None:
    """Forecast and judge every unit from the branches up: a unit's children are done first."""
    children: dict[int, list[UnitReadiness]] = defaultdict(list)
    for node in result.values():
        parent_id = node.unit.parent_id
        if parent_id is not None and parent_id in result:
            children[parent_id].append(node)
    for node in sorted(result.values(), key=lambda n: -n.unit.depth):
        below = [c for c in children[node.unit.id] if c.assigned > 0]
        # The snapshots of the people who belong to the unit itself (not below it).
        own = direct_history(since_start, node.unit.id, [c.unit.id for c in children[node.unit.id]])
        node.projection = _projection(node, below, own, days, references)
        _judge_up_the_tree(node, below, result, campaign.rule, days.days_left)


@dataclass(frozen=True)
class _Days:
    """The local days a report's forecasts are made for."""

    today: date
    due_day: date
    start_day: date

    @property
    def days_left(self) -> int:
        """Days from today to the due date (negative once it has passed)."""
        return (self.due_day - self.today).days


def _projection(
    node: UnitReadiness,
    below: Sequence[UnitReadiness],
    own_history: list[DayCount],
    days: _Days,
    references: ReferenceClass,
) -> Projection:
    """A unit's forecast: its own people's, added to the forecasts of the units below it."""
    own = project(
        own_history,
        today=days.today,
        due_day=days.due_day,
        start_day=days.start_day,
        ready=node.direct_ready,
        assigned=node.direct_assigned,
        references=references,
        unit_id=node.unit.id if node.unit.is_branch else None,
    )
    if not below:
        return own
    parts = [c.projection for c in below if c.projection is not None]
    if node.direct_assigned > 0:
        parts.append(own)
    return add_up(parts, days_left=max(days.days_left, 0))


def _judge_up_the_tree(
    node: UnitReadiness,
    below: Sequence[UnitReadiness],
    result: dict[int, UnitReadiness],
    rule: Rule,
    days_left: int,
) -> None:
    """Judge a unit, and count a branch with people in its ancestors' branch totals."""
    is_counted_branch = node.unit.is_branch and node.assigned > 0
    ancestors = [result[i] for i in node.unit.ancestor_ids if i in result]
    if is_counted_branch:
        short = not rule.meets_minimum(node.ready)
        forecast_short = not rule.meets_minimum(node.projection.ready)
        for ancestor in ancestors:
            ancestor.branches += 1
            ancestor.branches_short += int(short)
            ancestor.branches_forecast_short += int(forecast_short)
    _judge(node, rule, below, days_left)
    if is_counted_branch:
        for ancestor in ancestors:
            ancestor.branches_at_risk += int(node.status == Status.AT_RISK)
            ancestor.branches_too_early += int(node.status == Status.TOO_EARLY)
