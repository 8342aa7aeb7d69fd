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
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, case, cast, func, literal, null, select, union_all
from sqlalchemy.orm import Session

from app.db import TZDateTime
from app.people.models import User
from app.readiness.forecast import DayCount, Projection, add_up, project
from app.readiness.forecast_reference import ReferenceClass
from app.readiness.queries.counting import Where, assignment_rows_shaped
from app.readiness.queries.overdue import OverduePerson, late_rows_of, overdue_page, people_page
from app.readiness.queries.scope import CampaignInfo, UnitNode, scope_roots, units_in_scope
from app.readiness.queries.snapshots import direct_history, reference_curves, snapshot_history
from app.readiness.rules import Rule, Status, classify
from app.timekeeping.days import local_date


@dataclass(frozen=True)
class DirectCounts:
    """People counted directly in one unit (not below it)."""

    unit_id: int
    assigned: int
    ready: int
    overdue: int


@dataclass(frozen=True)
class ModuleCell:
    """Assigned and done people for one module in one unit (or for one person)."""

    key: int
    module_id: int
    assigned: int
    done: int

    @property
    def share(self) -> float | None:
        """The share done (None when nobody is assigned)."""
        return self.done / self.assigned if self.assigned else None


# What each row of the counting statement is (its first column).
_UNIT, _CELL, _OVERDUE_PERSON, _OVERDUE_MODULE = 0, 1, 2, 3


@lru_cache(maxsize=64)
def _direct_counts_statement(
    shape: tuple[int | None, bool], with_cells: bool, with_overdue: bool = False
) -> Any:
    """Per unit: assigned, ready and overdue people; `with_cells` adds a row per (unit,
    module) with the assigned and done people (the heat map's cells); `with_overdue` adds the
    first page of the overdue list (`offset` and `limit` bound) and those people's late
    modules.

    All come from one pass over the assignments (a common table expression read by each
    part): the join of the assignments with the completions that count is most of the cost
    of any of them. Columns: kind (`_UNIT`...), unit_id, module_id, user_id, n1, n2, n3, then
    the overdue people's earliest due date, names, e-mail and unit name.
    """
    rows = assignment_rows_shaped(shape)
    rows = rows.cte("a") if with_cells or with_overdue else rows.subquery("a")
    people = (
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
    units = select(
        literal(_UNIT, Integer).label("kind"),
        people.c.unit_id,
        _null(Integer, "module_id"),
        _null(Integer, "user_id"),
        func.count().label("n1"),
        func.sum(case((people.c.done >= people.c.required, 1), else_=0)).label("n2"),
        func.sum(case((people.c.late > 0, 1), else_=0)).label("n3"),
        *_no_person(),
    ).group_by(people.c.unit_id)
    parts = [units]
    if with_cells:
        cells = select(
            literal(_CELL, Integer),
            rows.c.unit_id,
            rows.c.module_id,
            _null(Integer, "user_id"),
            func.count(),
            func.sum(rows.c.done),
            literal(0, Integer),
            *_no_person(),
        ).group_by(rows.c.unit_id, rows.c.module_id)
        parts.append(cells)
    if with_overdue:
        late = late_rows_of(rows)
        page = people_page(late).cte("page")
        parts.append(
            select(
                literal(_OVERDUE_PERSON, Integer),
                page.c.unit_id,
                _null(Integer, "module_id"),
                page.c.user_id,
                page.c.total,
                page.c.position,
                literal(0, Integer),
                page.c.earliest,
                page.c.first_name,
                page.c.last_name,
                page.c.email,
                page.c.unit_name,
            )
        )
        parts.append(
            select(
                literal(_OVERDUE_MODULE, Integer),
                _null(Integer, "unit_id"),
                late.c.module_id,
                late.c.user_id,
                literal(0, Integer),
                literal(0, Integer),
                literal(0, Integer),
                *_no_person(),
            ).where(late.c.user_id.in_(select(page.c.user_id)))
        )
    return union_all(*parts) if len(parts) > 1 else units


def _null(type_: Any, name: str) -> Any:
    """A typed NULL column (a union's columns take the first part's types)."""
    return cast(null(), type_).label(name)


def _no_person() -> tuple[Any, ...]:
    """The overdue person's columns, empty (for the parts that are not about a person)."""
    return (
        _null(TZDateTime(), "earliest"),
        *(_null(String, name) for name in ("first_name", "last_name", "email", "unit_name")),
    )


def direct_counts(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[DirectCounts]:
    """Assigned, ready and overdue people per unit they belong to (one query)."""
    return _counts(session, viewer, campaign_id, now, root_path, with_cells=False).counts


@dataclass(frozen=True)
class _OverdueRow:
    """A row of `people_page`, as `overdue_page` reads it."""

    position: int
    user_id: int
    first_name: str
    last_name: str
    email: str
    unit_id: int
    unit_name: str
    earliest: Any
    total: int


@dataclass(frozen=True)
class _Counted:
    """What the counting statement gives: the units' direct counts, the heat map's cells and
    the first page of the overdue list (`overdue_page` turns it into people)."""

    counts: list[DirectCounts]
    cells: list[ModuleCell]
    overdue_people: list[_OverdueRow]
    overdue_modules: list[tuple[int, int]]


def _counts(
    session: Session,
    viewer: User,
    campaign_id: int,
    now: datetime,
    root_path: str | None,
    *,
    with_cells: bool,
    overdue_limit: int | None = None,
) -> _Counted:
    """The units' direct counts and, `with_cells`, the heat map's cells by unit and, with an
    `overdue_limit`, the first overdue people (one query)."""
    where = Where.of(campaign_id, viewer, now, root_path)
    counted = _Counted([], [], [], [])
    statement = _direct_counts_statement(where.shape, with_cells, overdue_limit is not None)
    params = where.params
    if overdue_limit is not None:
        params = {**params, "offset": 0, "limit": overdue_limit}
    for row in session.execute(statement, params):
        kind, unit_id, module_id, user_id, n1, n2, n3 = row[:7]
        if kind == _UNIT:
            counted.counts.append(DirectCounts(int(unit_id), int(n1), int(n2 or 0), int(n3)))
        elif kind == _CELL:
            counted.cells.append(ModuleCell(int(unit_id), int(module_id), int(n1), int(n2 or 0)))
        elif kind == _OVERDUE_PERSON:
            earliest, first_name, last_name, email, unit_name = row[7:]
            counted.overdue_people.append(
                _OverdueRow(
                    int(n2),
                    user_id,
                    first_name,
                    last_name,
                    email,
                    unit_id,
                    unit_name,
                    earliest,
                    int(n1),
                )
            )
        else:
            counted.overdue_modules.append((int(user_id), int(module_id)))
    counted.overdue_people.sort(key=lambda person: person.position)
    return counted


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
    overdue: _Counted | None = None

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
    counted = _counts(
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
