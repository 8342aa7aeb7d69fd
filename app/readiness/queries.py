"""Reads for readiness reports, item analysis and feedback, as plain rows.

Everything is set-based: a report page runs a fixed number of statements whatever the number
of units or people (per-person rows are aggregated in SQL; only per-unit rows come back), and
every read about people is limited to the viewer's units with `unit_scope_clause`.

A person counts for a campaign while they are active and hold at least one required
assignment that was not removed; they are ready when each such assignment has a completion
that counts now: the learner's current completion of the assigned module (or, for a
refresher, of the full module), not expired, and no later *major* version of the module
published (the same rule as `app.tracking.completion.completion_status`). They are overdue
when a required module is not done and its own due date (late joiners have a later one) has
passed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session, aliased

from app.assessment.models import Attempt, AttemptAnswer, AttemptState, Quiz, QuizVersion
from app.campaigns.access import campaign_scope_clause
from app.campaigns.models import Assignment, Campaign, CampaignModule, CampaignState, Notice
from app.campaigns.queries import module_infos
from app.content.models import Module, ModulePage, ModuleStatus, ModuleVariant, ModuleVersion
from app.i18n.languages import pick_language
from app.people.models import Unit, UnitKind, User
from app.permissions import (
    is_admin,
    managed_unit_paths,
    trainer_provider_ids,
    unit_scope_clause,
)
from app.readiness.forecast import (
    DayCount,
    Projection,
    ReferenceClass,
    ReferenceCurve,
    add_up,
    project,
    reference_curve,
)
from app.readiness.models import (
    PageRating,
    ProblemReport,
    ReadinessSnapshot,
    ReportStatus,
    RequestKind,
)
from app.readiness.rules import Rule, Status, classify
from app.tracking.completion import CompletionStatus, completion_status
from app.tracking.models import Completion, ModuleProgress

# --- shared helpers ---------------------------------------------------------------------------


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """Return the calendar day of `moment` in the platform's time zone."""
    return moment.astimezone(tz).date()


@dataclass(frozen=True)
class ModuleTitle:
    """A module's slug and title in the reader's language."""

    id: int
    slug: str
    title: str


def module_titles(
    session: Session, module_ids: Iterable[int], language: str
) -> dict[int, ModuleTitle]:
    """Titles of modules (their current version) in `language` or a fallback (one query)."""
    result = {}
    for module_id, info in module_infos(session, module_ids).items():
        known = info.titles
        title = known[pick_language(known, language, info.source_language)] if known else info.slug
        result[module_id] = ModuleTitle(module_id, info.slug, title)
    return result


# --- campaigns and units ----------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignInfo:
    """What a readiness report needs to know about a campaign."""

    id: int
    name: dict[str, str]
    state: str
    assign_at: datetime
    due_at: datetime
    rule: Rule

    def name_in(self, language: str | None) -> str:
        """Return the name in `language`, else in a fallback language."""
        for candidate in (language, "fr", "de", "it", "en", *sorted(self.name)):
            if candidate and self.name.get(candidate):
                return str(self.name[candidate])
        return f"#{self.id}"


REPORTED_STATES = (CampaignState.SCHEDULED, CampaignState.ACTIVE, CampaignState.CLOSED)


def _campaign_info(campaign: Campaign) -> CampaignInfo:
    return CampaignInfo(
        id=campaign.id,
        name=dict(campaign.name or {}),
        state=campaign.state.value,
        assign_at=campaign.assign_at,
        due_at=campaign.due_at,
        rule=Rule(campaign.readiness_percent, campaign.readiness_min_per_branch),
    )


def visible_campaigns(session: Session, viewer: User) -> list[CampaignInfo]:
    """Campaigns past their draft that the viewer may see, latest due date first (one query)."""
    campaigns = session.scalars(
        select(Campaign)
        .where(Campaign.state.in_(REPORTED_STATES), campaign_scope_clause(viewer))
        .order_by(Campaign.due_at.desc(), Campaign.id.desc())
    ).all()
    return [_campaign_info(c) for c in campaigns]


def campaign_for(session: Session, viewer: User, campaign_id: int) -> CampaignInfo | None:
    """The campaign if it exists, is past its draft and the viewer may see it (else None)."""
    campaign = session.scalar(
        select(Campaign).where(
            Campaign.id == campaign_id,
            Campaign.state.in_(REPORTED_STATES),
            campaign_scope_clause(viewer),
        )
    )
    return _campaign_info(campaign) if campaign is not None else None


@dataclass(frozen=True)
class UnitNode:
    """A unit of the tree, as reports show it."""

    id: int
    code: str
    name: str
    kind: str
    depth: int
    path: str

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids on the path from the root to this unit, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def parent_id(self) -> int | None:
        """The parent's id (None for a root)."""
        chain = self.ancestor_ids
        return chain[-2] if len(chain) > 1 else None

    @property
    def is_branch(self) -> bool:
        """Tell whether the unit is a branch (where the minimum per branch applies)."""
        return self.kind == UnitKind.BRANCH.value


def _unit_node(row: Any) -> UnitNode:
    kind = row.kind.value if hasattr(row.kind, "value") else str(row.kind)
    return UnitNode(row.id, row.code, row.name, kind, row.depth, row.path)


_UNIT_COLUMNS = (Unit.id, Unit.code, Unit.name, Unit.kind, Unit.depth, Unit.path)


def scoped_unit(session: Session, viewer: User, unit_id: int) -> UnitNode | None:
    """The unit if it lies in the viewer's scope (else None, for a 404 either way)."""
    row = session.execute(
        select(*_UNIT_COLUMNS).where(Unit.id == unit_id, unit_scope_clause(viewer, Unit.path))
    ).one_or_none()
    return _unit_node(row) if row is not None else None


def units_in_scope(session: Session, viewer: User, root: UnitNode | None) -> list[UnitNode]:
    """The units of `root`'s subtree (or of the whole scope) the viewer may see, in tree order."""
    query = select(*_UNIT_COLUMNS).where(unit_scope_clause(viewer, Unit.path))
    if root is not None:
        query = query.where(Unit.path.startswith(root.path, autoescape=True))
    return [_unit_node(row) for row in session.execute(query.order_by(Unit.path))]


def breadcrumb(session: Session, viewer: User, unit: UnitNode) -> list[UnitNode]:
    """The unit's ancestors the viewer may see, root first, the unit itself last (one query)."""
    ids = unit.ancestor_ids
    rows = session.execute(
        select(*_UNIT_COLUMNS).where(Unit.id.in_(ids), unit_scope_clause(viewer, Unit.path))
    ).all()
    nodes = {row.id: _unit_node(row) for row in rows}
    return [nodes[i] for i in ids if i in nodes]


def scope_root_units(session: Session, viewer: User) -> list[UnitNode]:
    """The tops of the viewer's scope: the units they manage (roots of the tree for admins)."""
    if is_admin(viewer):
        query = select(*_UNIT_COLUMNS).where(Unit.parent_id.is_(None))
    else:
        paths = managed_unit_paths(viewer)
        if not paths:
            return []
        query = select(*_UNIT_COLUMNS).where(Unit.path.in_(paths))
    return scope_roots([_unit_node(row) for row in session.execute(query.order_by(Unit.name))])


def scope_roots(units: Sequence[UnitNode]) -> list[UnitNode]:
    """The units in a list that lie below no other unit of the list."""
    paths = {u.path for u in units}
    return [
        u for u in units if not any(u.path != other and u.path.startswith(other) for other in paths)
    ]


# --- the readiness core -----------------------------------------------------------------------


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
    latest_major = (
        select(ModuleVersion.module_id, func.max(ModuleVersion.number).label("number"))
        .where(ModuleVersion.is_major.is_(True))
        .group_by(ModuleVersion.module_id)
        .subquery("latest_major")
    )
    version = aliased(ModuleVersion)
    return (
        select(Completion.user_id, Completion.module_id)
        .join(version, version.id == Completion.module_version_id)
        .outerjoin(latest_major, latest_major.c.module_id == Completion.module_id)
        .where(
            Completion.is_current.is_(True),
            or_(Completion.expires_at.is_(None), Completion.expires_at > now),
            or_(latest_major.c.number.is_(None), latest_major.c.number <= version.number),
            Completion.module_id.in_(modules),
        )
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


@dataclass(frozen=True)
class DirectCounts:
    """People counted directly in one unit (not below it)."""

    unit_id: int
    assigned: int
    ready: int
    overdue: int


def direct_counts(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[DirectCounts]:
    """Assigned, ready and overdue people per unit they belong to (one query)."""
    people = person_rows(campaign_id, viewer, now, root_path=root_path)
    rows = session.execute(
        select(
            people.c.unit_id,
            func.count(),
            func.sum(case((people.c.done >= people.c.required, 1), else_=0)),
            func.sum(case((people.c.late > 0, 1), else_=0)),
        ).group_by(people.c.unit_id)
    ).all()
    return [DirectCounts(int(u), int(a), int(r or 0), int(o or 0)) for u, a, r, o in rows]


def snapshot_history(
    session: Session, campaign_id: int, unit_ids: Iterable[int], *, since: date | None
) -> dict[int, list[DayCount]]:
    """Daily snapshots of some units (from `since`, if given), by unit, oldest first."""
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    query = select(
        ReadinessSnapshot.unit_id,
        ReadinessSnapshot.day,
        ReadinessSnapshot.ready,
        ReadinessSnapshot.assigned,
    ).where(ReadinessSnapshot.campaign_id == campaign_id, ReadinessSnapshot.unit_id.in_(ids))
    if since is not None:
        query = query.where(ReadinessSnapshot.day >= since)
    history: dict[int, list[DayCount]] = defaultdict(list)
    for unit_id, day, ready, assigned in session.execute(
        query.order_by(ReadinessSnapshot.unit_id, ReadinessSnapshot.day)
    ):
        history[unit_id].append(DayCount(day, ready, assigned))
    return history


def reference_curves(
    session: Session, campaign_id: int, unit_ids: Iterable[int], *, now: datetime, tz: ZoneInfo
) -> list[ReferenceCurve]:
    """The curves of some units in earlier campaigns whose due date has passed (one query).

    They are the reference class of the forecast (`app.readiness.forecast`): how the same
    units' readiness went from assignment to due date before.
    """
    ids = sorted(set(unit_ids))
    if not ids:
        return []
    rows = session.execute(
        select(
            ReadinessSnapshot.campaign_id,
            ReadinessSnapshot.unit_id,
            Campaign.assign_at,
            Campaign.due_at,
            ReadinessSnapshot.day,
            ReadinessSnapshot.ready,
            ReadinessSnapshot.assigned,
        )
        .join(Campaign, Campaign.id == ReadinessSnapshot.campaign_id)
        .where(
            ReadinessSnapshot.campaign_id != campaign_id,
            ReadinessSnapshot.unit_id.in_(ids),
            Campaign.due_at < now,
        )
        .order_by(ReadinessSnapshot.campaign_id, ReadinessSnapshot.unit_id)
    ).all()
    grouped: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        grouped[(row.campaign_id, row.unit_id)].append(row)
    curves = []
    for (_campaign_id, unit_id), points in grouped.items():
        curve = reference_curve(
            [DayCount(p.day, p.ready, p.assigned) for p in points],
            start_day=local_day(points[0].assign_at, tz),
            due_day=local_day(points[0].due_at, tz),
            unit_id=unit_id,
        )
        if curve is not None:
            curves.append(curve)
    return curves


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


def direct_history(
    history: dict[int, list[DayCount]], unit_id: int, child_ids: Sequence[int]
) -> list[DayCount]:
    """A unit's snapshots less its children's: the people who belong to the unit itself.

    Snapshots count a unit's whole subtree, and a unit without assigned people below it has no
    snapshot that day (so a missing child counts as 0).
    """
    if not child_ids:
        return history.get(unit_id, [])
    below: dict[date, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for child_id in child_ids:
        for point in history.get(child_id, []):
            ready, assigned = below[point.day]
            below[point.day] = (ready + point.ready, assigned + point.assigned)
    result = []
    for point in history.get(unit_id, []):
        ready, assigned = below[point.day]
        result.append(
            DayCount(point.day, max(point.ready - ready, 0), max(point.assigned - assigned, 0))
        )
    return result


def readiness_report(
    session: Session,
    viewer: User,
    campaign: CampaignInfo,
    *,
    root: UnitNode | None,
    now: datetime,
    tz: ZoneInfo,
) -> ReadinessReport:
    """Readiness, forecast and status of every unit under `root` (whole scope for None).

    Four statements: the units, the per-unit counts (aggregated in SQL from the people), this
    campaign's snapshots and the branches' curves in earlier campaigns (the forecast's
    reference class); the roll-up and the forecast are per unit, in Python.
    Forecasts are made for the people who belong to each unit and added up the tree, so a
    region's forecast is the sum of its branches' (and of its own staff's), and statuses are
    judged from the branches up (`app.readiness.rules`).
    """
    units = units_in_scope(session, viewer, root)
    counts = direct_counts(
        session, viewer, campaign.id, now, root_path=root.path if root is not None else None
    )
    result = _roll_up(units, counts)
    today = local_day(now, tz)
    due_day = local_day(campaign.due_at, tz)
    start_day = local_day(campaign.assign_at, tz)
    # The whole campaign's snapshots: the forecast compares the pace since the start with
    # the same units' curves in earlier campaigns (one more statement, set-based).
    history = snapshot_history(session, campaign.id, result.keys(), since=start_day)
    branch_ids = [node.unit.id for node in result.values() if node.unit.is_branch]
    # Read once for every unit of the report (they share the checkpoints).
    references = ReferenceClass(reference_curves(session, campaign.id, branch_ids, now=now, tz=tz))
    rule = campaign.rule
    days_left = (due_day - today).days
    children: dict[int, list[UnitReadiness]] = defaultdict(list)
    for node in result.values():
        parent_id = node.unit.parent_id
        if parent_id is not None and parent_id in result:
            children[parent_id].append(node)
    # Deepest first, so that every unit's children are done before it.
    for node in sorted(result.values(), key=lambda n: -n.unit.depth):
        below = [c for c in children[node.unit.id] if c.assigned > 0]
        own = project(
            direct_history(history, node.unit.id, [c.unit.id for c in children[node.unit.id]]),
            today=today,
            due_day=due_day,
            start_day=start_day,
            ready=node.direct_ready,
            assigned=node.direct_assigned,
            references=references,
            unit_id=node.unit.id if node.unit.is_branch else None,
        )
        if not below:
            node.projection = own
        else:
            parts = [c.projection for c in below if c.projection is not None]
            if node.direct_assigned > 0:
                parts.append(own)
            node.projection = add_up(parts, days_left=max(days_left, 0))
        if node.unit.is_branch and node.assigned > 0:
            short = not rule.meets_minimum(node.ready)
            forecast_short = not rule.meets_minimum(node.projection.ready)
            for ancestor_id in node.unit.ancestor_ids:
                ancestor = result.get(ancestor_id)
                if ancestor is not None:
                    ancestor.branches += 1
                    ancestor.branches_short += int(short)
                    ancestor.branches_forecast_short += int(forecast_short)
        _judge(node, rule, below, days_left)
        if node.unit.is_branch and node.assigned > 0:
            for ancestor_id in node.unit.ancestor_ids:
                ancestor = result.get(ancestor_id)
                if ancestor is not None:
                    ancestor.branches_at_risk += int(node.status == Status.AT_RISK)
                    ancestor.branches_too_early += int(node.status == Status.TOO_EARLY)
    roots = [root] if root is not None else scope_roots(units)
    return ReadinessReport(campaign, today, due_day, result, roots=roots)


def trend_history(
    session: Session, campaign_id: int, unit_ids: Iterable[int]
) -> dict[int, list[DayCount]]:
    """Every daily snapshot of some units (for the trend chart)."""
    return snapshot_history(session, campaign_id, unit_ids, since=None)


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonReadiness:
    """One person's standing in a campaign."""

    user_id: int
    name: str
    unit_id: int
    unit_name: str
    required: int
    done: int
    late: int
    next_due_at: datetime | None

    @property
    def is_ready(self) -> bool:
        """Tell whether every required module is done."""
        return self.done >= self.required

    @property
    def is_overdue(self) -> bool:
        """Tell whether a required module is late."""
        return self.late > 0


def people_in_unit(
    session: Session, viewer: User, campaign_id: int, unit: UnitNode, now: datetime
) -> list[PersonReadiness]:
    """The counted people who belong directly to `unit`, by name (one query)."""
    rows = assignment_rows(campaign_id, viewer, now, root_path=unit.path).subquery("a")
    query = (
        select(
            rows.c.user_id,
            User.first_name,
            User.last_name,
            Unit.id,
            Unit.name,
            func.count(),
            func.sum(rows.c.done),
            func.sum(rows.c.late),
            func.min(case((rows.c.done == 0, rows.c.due_at), else_=None)),
        )
        .join(User, User.id == rows.c.user_id)
        .join(Unit, Unit.id == rows.c.unit_id)
        .where(rows.c.unit_id == unit.id)
        .group_by(rows.c.user_id, User.first_name, User.last_name, Unit.id, Unit.name)
        .order_by(User.last_name, User.first_name, rows.c.user_id)
    )
    rows = session.execute(query).all()
    return [
        PersonReadiness(
            user_id=user_id,
            name=f"{first} {last}".strip(),
            unit_id=unit_id,
            unit_name=unit_name,
            required=int(required),
            done=int(done or 0),
            late=int(late or 0),
            next_due_at=_utc(next_due),
        )
        for user_id, first, last, unit_id, unit_name, required, done, late, next_due in rows
    ]


def _utc(value: Any) -> datetime | None:
    """Aggregates (MIN over a CASE) lose the column type: make SQLite's naive value UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True)
class PersonSummary:
    """A person shown on the person page."""

    id: int
    name: str
    email: str
    is_active: bool
    unit: UnitNode


def scoped_person(
    session: Session, viewer: User, campaign_id: int, user_id: int
) -> PersonSummary | None:
    """The person if they are in the viewer's scope and were ever assigned in the campaign."""
    row = session.execute(
        select(User.id, User.first_name, User.last_name, User.email, User.is_active, *_UNIT_COLUMNS)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            User.id == user_id,
            unit_scope_clause(viewer, Unit.path),
            select(Assignment.id)
            .where(Assignment.campaign_id == campaign_id, Assignment.user_id == User.id)
            .exists(),
        )
    ).one_or_none()
    if row is None:
        return None
    unit = UnitNode(row[5], row[6], row[7], row[8].value, row[9], row[10])
    return PersonSummary(row[0], f"{row[1]} {row[2]}".strip(), row[3], bool(row[4]), unit)


@dataclass(frozen=True)
class PersonModule:
    """One module assigned to a person, and where they stand with it."""

    module_id: int
    assigned_module_id: int
    is_required: bool
    is_refresher: bool
    due_at: datetime | None
    removed_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime | None
    status: str  # valid, expiring_soon, expired, out_of_date, in_progress, not_started
    last_activity_at: datetime | None

    @property
    def counts(self) -> bool:
        """Tell whether the module counts as done for readiness."""
        return self.status in (CompletionStatus.VALID.value, CompletionStatus.EXPIRING_SOON.value)

    def is_late(self, now: datetime) -> bool:
        """Tell whether the module is required, not done and past its due date."""
        return (
            self.is_required
            and self.removed_at is None
            and not self.counts
            and self.due_at is not None
            and self.due_at < now
        )


def person_modules(
    session: Session, campaign_id: int, user_id: int, now: datetime
) -> list[PersonModule]:
    """The person's assignments in the campaign with their completion status (two queries)."""
    rows = session.execute(
        select(
            CampaignModule.module_id,
            Assignment.module_id,
            Assignment.is_required,
            Assignment.is_refresher,
            Assignment.due_at,
            Assignment.removed_at,
        )
        .join(CampaignModule, CampaignModule.id == Assignment.campaign_module_id)
        .where(Assignment.campaign_id == campaign_id, Assignment.user_id == user_id)
        .order_by(CampaignModule.position, CampaignModule.id)
    ).all()
    module_ids = {r[0] for r in rows} | {r[1] for r in rows}
    if not module_ids:
        return []
    latest_major = (
        select(ModuleVersion.module_id, func.max(ModuleVersion.number).label("number"))
        .where(ModuleVersion.is_major.is_(True))
        .group_by(ModuleVersion.module_id)
        .subquery()
    )
    version = aliased(ModuleVersion)
    progress = session.execute(
        select(
            Completion.module_id,
            Completion.completed_at,
            Completion.expires_at,
            version.number,
            latest_major.c.number,
        )
        .join(version, version.id == Completion.module_version_id)
        .outerjoin(latest_major, latest_major.c.module_id == Completion.module_id)
        .where(
            Completion.user_id == user_id,
            Completion.is_current.is_(True),
            Completion.module_id.in_(module_ids),
        )
    ).all()
    completions = {module_id: rest for module_id, *rest in progress}
    activity = dict(
        session.execute(
            select(ModuleProgress.module_id, ModuleProgress.last_activity_at).where(
                ModuleProgress.user_id == user_id, ModuleProgress.module_id.in_(module_ids)
            )
        ).all()
    )
    result = []
    for module_id, assigned_id, required, refresher, due_at, removed_at in rows:
        best: tuple[str, datetime | None, datetime | None] = ("not_started", None, None)
        candidates = [assigned_id] + ([module_id] if refresher else [])
        for candidate in candidates:
            found = completions.get(candidate)
            if found is None:
                continue
            completed_at, expires_at, number, major = found
            status = completion_status(
                version_number=number, expires_at=expires_at, latest_major_number=major, now=now
            )
            if best[0] == "not_started" or status.counts:
                best = (status.value, completed_at, expires_at)
            if status.counts:
                break
        status_value = best[0]
        last = activity.get(assigned_id)
        if status_value == "not_started" and last is not None:
            status_value = "in_progress"
        result.append(
            PersonModule(
                module_id=module_id,
                assigned_module_id=assigned_id,
                is_required=bool(required),
                is_refresher=bool(refresher),
                due_at=due_at,
                removed_at=removed_at,
                completed_at=best[1],
                expires_at=best[2],
                status=status_value,
                last_activity_at=last,
            )
        )
    return result


# --- overdue lists ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OverduePerson:
    """A person with at least one required module past its due date."""

    user_id: int
    name: str
    email: str
    unit_id: int
    unit_name: str
    earliest_due_at: datetime
    missing_module_ids: tuple[int, ...]
    reminded_today: bool = False


def overdue_people(
    session: Session,
    viewer: User,
    campaign_id: int,
    now: datetime,
    *,
    root_path: str | None,
    offset: int = 0,
    limit: int = 50,
    reminder_key: Callable[[int], str] | None = None,
) -> tuple[list[OverduePerson], int]:
    """One page of overdue people (longest overdue first) and the total (two queries)."""
    late = assignment_rows(campaign_id, viewer, now, root_path=root_path).subquery("a")
    late_rows = select(late).where(late.c.late == 1).subquery("late")
    people = (
        select(
            late_rows.c.user_id,
            User.first_name,
            User.last_name,
            User.email,
            Unit.id.label("unit_id"),
            Unit.name.label("unit_name"),
            func.min(late_rows.c.due_at).label("earliest"),
            func.count().over().label("total"),
        )
        .join(User, User.id == late_rows.c.user_id)
        .join(Unit, Unit.id == late_rows.c.unit_id)
        .group_by(
            late_rows.c.user_id, User.first_name, User.last_name, User.email, Unit.id, Unit.name
        )
        .order_by(func.min(late_rows.c.due_at), Unit.name, User.last_name, late_rows.c.user_id)
        .offset(offset)
        .limit(limit)
    )
    rows = session.execute(people).all()
    if not rows:
        return [], 0 if offset == 0 else _count_overdue(session, late_rows)
    total = int(rows[0].total)
    ids = [row.user_id for row in rows]
    missing: dict[int, list[int]] = defaultdict(list)
    for user_id, module_id in session.execute(
        select(late_rows.c.user_id, late_rows.c.module_id)
        .where(late_rows.c.user_id.in_(ids))
        .order_by(late_rows.c.user_id, late_rows.c.module_id)
    ):
        missing[user_id].append(module_id)
    reminded: set[int] = set()
    if reminder_key is not None:
        keys = {reminder_key(i): i for i in ids}
        reminded = {
            keys[key]
            for key in session.scalars(
                select(Notice.dedupe_key).where(Notice.dedupe_key.in_(list(keys)))
            )
        }
    return [
        OverduePerson(
            user_id=row.user_id,
            name=f"{row.first_name} {row.last_name}".strip(),
            email=row.email,
            unit_id=row.unit_id,
            unit_name=row.unit_name,
            earliest_due_at=_utc(row.earliest),  # type: ignore[arg-type]
            missing_module_ids=tuple(missing[row.user_id]),
            reminded_today=row.user_id in reminded,
        )
        for row in rows
    ], total


def reminder_sent(session: Session, key: str) -> bool:
    """Tell whether the reminder with this dedupe key went out (its in-app notice always does;
    the e-mail only for people who want e-mail)."""
    return session.scalar(select(Notice.id).where(Notice.dedupe_key == key)) is not None


def _count_overdue(session: Session, late_rows: Any) -> int:
    """Count overdue people (for a page past the end, where no row carries the total)."""
    people = select(late_rows.c.user_id).group_by(late_rows.c.user_id).subquery()
    return int(session.scalar(select(func.count()).select_from(people)) or 0)


@dataclass(frozen=True)
class OverdueAssignment:
    """One required module a person has not done by its due date."""

    assignment_id: int
    user_id: int
    name: str
    email: str
    unit_id: int
    unit_code: str
    unit_name: str
    module_id: int
    due_at: datetime


def overdue_assignments(
    session: Session,
    viewer: User,
    campaign_id: int,
    now: datetime,
    *,
    root_path: str | None,
    offset: int,
    limit: int,
) -> tuple[list[OverdueAssignment], int]:
    """One page of overdue assignments (oldest due date first) and the total (two queries)."""
    rows = assignment_rows(campaign_id, viewer, now, root_path=root_path).subquery("a")
    late = select(rows).where(rows.c.late == 1).subquery("late")
    total = int(session.scalar(select(func.count()).select_from(late)) or 0)
    page = session.execute(
        select(
            late.c.assignment_id,
            late.c.user_id,
            User.first_name,
            User.last_name,
            User.email,
            Unit.id,
            Unit.code,
            Unit.name,
            late.c.module_id,
            late.c.due_at,
        )
        .join(User, User.id == late.c.user_id)
        .join(Unit, Unit.id == late.c.unit_id)
        .order_by(late.c.due_at, late.c.assignment_id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        OverdueAssignment(
            assignment_id=r[0],
            user_id=r[1],
            name=f"{r[2]} {r[3]}".strip(),
            email=r[4],
            unit_id=r[5],
            unit_code=r[6],
            unit_name=r[7],
            module_id=r[8],
            due_at=_utc(r[9]),  # type: ignore[arg-type]
        )
        for r in page
    ], total


# --- heat map and quiz scores -----------------------------------------------------------------


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


def campaign_required_modules(session: Session, campaign_id: int) -> list[int]:
    """The campaign's required modules still in it, in the campaign's order (one query)."""
    return list(
        session.scalars(
            select(CampaignModule.module_id)
            .where(
                CampaignModule.campaign_id == campaign_id,
                CampaignModule.is_required.is_(True),
                CampaignModule.removed_at.is_(None),
            )
            .order_by(CampaignModule.position, CampaignModule.id)
        )
    )


def module_cells_by_unit(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[ModuleCell]:
    """Assigned and done per (unit people belong to, module) under the root (one query)."""
    rows = assignment_rows(campaign_id, viewer, now, root_path=root_path).subquery("a")
    return [
        ModuleCell(int(unit_id), int(module_id), int(n), int(done or 0))
        for unit_id, module_id, n, done in session.execute(
            select(rows.c.unit_id, rows.c.module_id, func.count(), func.sum(rows.c.done)).group_by(
                rows.c.unit_id, rows.c.module_id
            )
        )
    ]


def module_cells_by_person(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, unit: UnitNode
) -> list[ModuleCell]:
    """Done or not per (person directly in the unit, module) (one query)."""
    rows = assignment_rows(campaign_id, viewer, now, root_path=unit.path).subquery("a")
    return [
        ModuleCell(int(user_id), int(module_id), 1, int(done or 0))
        for user_id, module_id, done in session.execute(
            select(rows.c.user_id, rows.c.module_id, func.max(rows.c.done))
            .where(rows.c.unit_id == unit.id)
            .group_by(rows.c.user_id, rows.c.module_id)
        )
    ]


def roll_up_cells(
    cells: Iterable[ModuleCell], report: ReadinessReport, unit_ids: Iterable[int]
) -> dict[tuple[int, int], tuple[int, int]]:
    """Add per-unit cells up to the given units (their subtrees): {(unit, module): (n, done)}."""
    wanted = set(unit_ids)
    totals: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for cell in cells:
        node = report.units.get(cell.key)
        if node is None:
            continue
        for ancestor_id in node.unit.ancestor_ids:
            if ancestor_id in wanted:
                entry = totals[(ancestor_id, cell.module_id)]
                entry[0] += cell.assigned
                entry[1] += cell.done
    return {key: (value[0], value[1]) for key, value in totals.items()}


@dataclass(frozen=True)
class QuizScores:
    """The distribution of assigned people's best scores in one quiz."""

    quiz_id: int
    slug: str
    title: dict[str, str]
    bins: tuple[int, ...]

    @property
    def people(self) -> int:
        """How many people have a submitted attempt."""
        return sum(self.bins)


def quiz_score_bins(
    session: Session, viewer: User, campaign_id: int, now: datetime, *, root_path: str | None
) -> list[QuizScores]:
    """Best submitted score per assigned person in each quiz of the campaign's modules,
    counted in bins of 10 points (one query)."""
    people = (
        select(Assignment.user_id)
        .join(User, User.id == Assignment.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .where(
            Assignment.campaign_id == campaign_id,
            Assignment.removed_at.is_(None),
            User.is_active.is_(True),
            unit_scope_clause(viewer, Unit.path),
            *([Unit.path.startswith(root_path, autoescape=True)] if root_path else []),
        )
        .distinct()
    )
    modules = select(CampaignModule.module_id).where(CampaignModule.campaign_id == campaign_id)
    best = (
        select(
            Attempt.quiz_id,
            Attempt.user_id,
            func.max(Attempt.score_percent).label("best"),
        )
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.state == AttemptState.SUBMITTED,
            Attempt.score_percent.is_not(None),
            Quiz.module_id.in_(modules),
            Attempt.user_id.in_(people),
        )
        .group_by(Attempt.quiz_id, Attempt.user_id)
        .subquery("best")
    )
    bin_expr = case(
        *[(best.c.best >= 10 * n, n) for n in range(9, 0, -1)],
        else_=0,
    )
    counted = (
        select(best.c.quiz_id, bin_expr.label("bin"), func.count().label("n"))
        .group_by(best.c.quiz_id, bin_expr)
        .subquery("counted")
    )
    rows = session.execute(
        select(Quiz.id, Quiz.slug, QuizVersion.definition, counted.c.bin, counted.c.n)
        .join(counted, counted.c.quiz_id == Quiz.id)
        .outerjoin(QuizVersion, QuizVersion.id == Quiz.current_version_id)
    ).all()
    by_quiz: dict[int, tuple[str, dict[str, str], list[int]]] = {}
    for quiz_id, slug, definition, index, n in rows:
        entry = by_quiz.setdefault(
            quiz_id, (slug, dict((definition or {}).get("title", {})), [0] * 10)
        )
        entry[2][int(index)] += int(n)
    return [
        QuizScores(quiz_id, slug, title, tuple(bins))
        for quiz_id, (slug, title, bins) in sorted(by_quiz.items(), key=lambda item: item[1][0])
    ]


# --- item analysis ---------------------------------------------------------------------------


def quizzes_for_analysis(session: Session, viewer: User) -> list[tuple[int, str, dict, int, int]]:
    """(id, slug, title, version, submitted attempts) of the quizzes a trainer looks after."""
    counts = (
        select(Attempt.quiz_id, func.count(Attempt.id).label("n"))
        .where(Attempt.state == AttemptState.SUBMITTED)
        .group_by(Attempt.quiz_id)
        .subquery()
    )
    query = (
        select(
            Quiz.id,
            Quiz.slug,
            QuizVersion.definition,
            QuizVersion.number,
            func.coalesce(counts.c.n, 0),
        )
        .outerjoin(QuizVersion, QuizVersion.id == Quiz.current_version_id)
        .outerjoin(counts, counts.c.quiz_id == Quiz.id)
        .order_by(Quiz.slug)
    )
    if not is_admin(viewer):
        query = query.where(Quiz.provider_id.in_(trainer_provider_ids(viewer) or {-1}))
    return [
        (qid, slug, dict((definition or {}).get("title", {})), number or 0, int(n))
        for qid, slug, definition, number, n in session.execute(query)
    ]


def quiz_by_slug(session: Session, slug: str) -> Quiz | None:
    """The quiz with this slug (access is checked by the caller)."""
    return session.scalar(select(Quiz).where(Quiz.slug == slug))


def quiz_versions(session: Session, quiz_id: int) -> list[tuple[int, int, dict[str, Any]]]:
    """(id, number, definition) of every version of a quiz, newest first."""
    return [
        (vid, number, definition)
        for vid, number, definition in session.execute(
            select(QuizVersion.id, QuizVersion.number, QuizVersion.definition)
            .where(QuizVersion.quiz_id == quiz_id)
            .order_by(QuizVersion.number.desc())
        )
    ]


MAX_ANALYSED_ATTEMPTS = 20_000


def submitted_answers(
    session: Session, quiz_id: int, *, version_id: int | None = None
) -> list[tuple[Any, ...]]:
    """Rows (attempt_id, user_id, number, started_at, question_id, response, fraction, saved_at)
    of the most recent submitted attempts of a quiz (at most 20,000 attempts; one query)."""
    conditions = [Attempt.quiz_id == quiz_id, Attempt.state == AttemptState.SUBMITTED]
    if version_id is not None:
        conditions.append(Attempt.quiz_version_id == version_id)
    recent = (
        select(Attempt.id)
        .where(*conditions)
        .order_by(Attempt.id.desc())
        .limit(MAX_ANALYSED_ATTEMPTS)
        .subquery()
    )
    return [
        tuple(row)
        for row in session.execute(
            select(
                Attempt.id,
                Attempt.user_id,
                Attempt.number,
                Attempt.started_at,
                AttemptAnswer.question_id,
                AttemptAnswer.response,
                AttemptAnswer.fraction,
                AttemptAnswer.saved_at,
            )
            .join(AttemptAnswer, AttemptAnswer.attempt_id == Attempt.id)
            .where(Attempt.id.in_(select(recent.c.id)))
            .order_by(Attempt.id, AttemptAnswer.id)
        )
    ]


# --- module feedback --------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackPage:
    """A module page as feedback needs it (and the fields the view-module rule reads)."""

    page_id: int
    position: int
    title: str
    language: str
    version_id: int
    version_number: int
    module_id: int
    slug: str
    provider_id: int
    status: ModuleStatus
    current_version_id: int | None


def feedback_page(session: Session, page_id: int) -> FeedbackPage | None:
    """The page with its version and module (None when there is no such page)."""
    row = session.execute(
        select(
            ModulePage.id,
            ModulePage.position,
            ModulePage.title,
            ModuleVariant.language,
            ModuleVersion.id,
            ModuleVersion.number,
            Module.id,
            Module.slug,
            Module.provider_id,
            Module.status,
            Module.current_version_id,
        )
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .join(ModuleVersion, ModuleVersion.id == ModuleVariant.version_id)
        .join(Module, Module.id == ModuleVersion.module_id)
        .where(ModulePage.id == page_id)
    ).one_or_none()
    return FeedbackPage(*row) if row is not None else None


def _is_problem() -> ColumnElement[bool]:
    # The table also holds questions and new-module requests (app.learner_requests): module
    # feedback counts and lists problem reports only.
    return ProblemReport.kind == RequestKind.PROBLEM


def _module_scope(viewer: User) -> ColumnElement[bool]:
    if is_admin(viewer):
        return literal(True)
    return Module.provider_id.in_(trainer_provider_ids(viewer) or {-1})


@dataclass(frozen=True)
class ModuleFeedbackRow:
    """Feedback on one module: helpful yes/no and reports by status."""

    module_id: int
    slug: str
    helpful: int
    not_helpful: int
    received: int
    in_progress: int
    handled: int

    @property
    def open_reports(self) -> int:
        """Reports not yet handled."""
        return self.received + self.in_progress


def feedback_by_module(session: Session, viewer: User) -> list[ModuleFeedbackRow]:
    """Feedback counts per module the trainer looks after, with any feedback (two queries)."""
    ratings = {
        module_id: (int(yes or 0), int(no or 0))
        for module_id, yes, no in session.execute(
            select(
                PageRating.module_id,
                func.sum(case((PageRating.is_helpful.is_(True), 1), else_=0)),
                func.sum(case((PageRating.is_helpful.is_(False), 1), else_=0)),
            )
            .join(Module, Module.id == PageRating.module_id)
            .where(_module_scope(viewer))
            .group_by(PageRating.module_id)
        )
    }
    reports: dict[int, dict[str, int]] = defaultdict(dict)
    for module_id, status, n in session.execute(
        select(ProblemReport.module_id, ProblemReport.status, func.count())
        .join(Module, Module.id == ProblemReport.module_id)
        .where(_module_scope(viewer), _is_problem())
        .group_by(ProblemReport.module_id, ProblemReport.status)
    ):
        reports[module_id][status.value] = int(n)
    ids = set(ratings) | set(reports)
    if not ids:
        return []
    slugs = dict(session.execute(select(Module.id, Module.slug).where(Module.id.in_(ids))).all())
    rows = [
        ModuleFeedbackRow(
            module_id=module_id,
            slug=slugs.get(module_id, str(module_id)),
            helpful=ratings.get(module_id, (0, 0))[0],
            not_helpful=ratings.get(module_id, (0, 0))[1],
            received=reports[module_id].get(ReportStatus.RECEIVED.value, 0),
            in_progress=reports[module_id].get(ReportStatus.IN_PROGRESS.value, 0),
            handled=reports[module_id].get(ReportStatus.HANDLED.value, 0),
        )
        for module_id in ids
    ]
    return sorted(rows, key=lambda r: (-r.open_reports, -r.not_helpful, r.slug))


def module_in_trainer_scope(session: Session, viewer: User, module_id: int) -> Module | None:
    """The module if the trainer looks after it (admins: any), else None."""
    return session.scalar(select(Module).where(Module.id == module_id, _module_scope(viewer)))


@dataclass(frozen=True)
class PageFeedbackRow:
    """Ratings of one page of one version and language."""

    page_id: int
    version_number: int
    language: str
    position: int
    title: str
    helpful: int
    not_helpful: int
    reports: int


def feedback_by_page(session: Session, module_id: int) -> list[PageFeedbackRow]:
    """Ratings and report counts per page of a module with any feedback (two queries)."""
    ratings = {
        page_id: (int(yes or 0), int(no or 0))
        for page_id, yes, no in session.execute(
            select(
                PageRating.page_id,
                func.sum(case((PageRating.is_helpful.is_(True), 1), else_=0)),
                func.sum(case((PageRating.is_helpful.is_(False), 1), else_=0)),
            )
            .where(PageRating.module_id == module_id)
            .group_by(PageRating.page_id)
        )
    }
    reports = dict(
        session.execute(
            select(ProblemReport.page_id, func.count())
            .where(ProblemReport.module_id == module_id, _is_problem())
            .group_by(ProblemReport.page_id)
        ).all()
    )
    ids = set(ratings) | set(reports)
    if not ids:
        return []
    pages = session.execute(
        select(
            ModulePage.id,
            ModuleVersion.number,
            ModuleVariant.language,
            ModulePage.position,
            ModulePage.title,
        )
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .join(ModuleVersion, ModuleVersion.id == ModuleVariant.version_id)
        .where(ModulePage.id.in_(ids))
        .order_by(ModuleVersion.number.desc(), ModuleVariant.language, ModulePage.position)
    ).all()
    return [
        PageFeedbackRow(
            page_id=page_id,
            version_number=number,
            language=language,
            position=position + 1,
            title=title,
            helpful=ratings.get(page_id, (0, 0))[0],
            not_helpful=ratings.get(page_id, (0, 0))[1],
            reports=int(reports.get(page_id, 0)),
        )
        for page_id, number, language, position, title in pages
    ]


@dataclass(frozen=True)
class ReportRow:
    """A problem report as a trainer or its author sees it."""

    id: int
    module_id: int
    slug: str
    version_number: int
    language: str
    page_position: int
    page_title: str
    comment: str
    status: ReportStatus
    created_at: datetime
    status_changed_at: datetime | None


def _report_query() -> Select[Any]:
    return (
        select(
            ProblemReport.id,
            ProblemReport.module_id,
            Module.slug,
            ModuleVersion.number,
            ModuleVariant.language,
            ModulePage.position,
            ModulePage.title,
            ProblemReport.comment,
            ProblemReport.status,
            ProblemReport.created_at,
            ProblemReport.status_changed_at,
        )
        .join(Module, Module.id == ProblemReport.module_id)
        .join(ModulePage, ModulePage.id == ProblemReport.page_id)
        .join(ModuleVariant, ModuleVariant.id == ModulePage.variant_id)
        .join(ModuleVersion, ModuleVersion.id == ModuleVariant.version_id)
    )


def _report_row(row: Any) -> ReportRow:
    values = list(row)
    values[5] = values[5] + 1
    return ReportRow(*values)


def module_reports(
    session: Session, module_id: int, *, status: ReportStatus | None = None, limit: int = 500
) -> list[ReportRow]:
    """A module's problem reports, open ones first, newest first (one query)."""
    query = _report_query().where(ProblemReport.module_id == module_id, _is_problem())
    if status is not None:
        query = query.where(ProblemReport.status == status)
    order = case(
        (ProblemReport.status == ReportStatus.RECEIVED, 0),
        (ProblemReport.status == ReportStatus.IN_PROGRESS, 1),
        else_=2,
    )
    return [
        _report_row(row)
        for row in session.execute(
            query.order_by(order, ProblemReport.created_at.desc(), ProblemReport.id.desc()).limit(
                limit
            )
        )
    ]


def report_in_trainer_scope(session: Session, viewer: User, report_id: int) -> ProblemReport | None:
    """The report if the trainer looks after its module (admins: any), else None."""
    return session.scalar(
        select(ProblemReport)
        .join(Module, Module.id == ProblemReport.module_id)
        .where(ProblemReport.id == report_id, _module_scope(viewer), _is_problem())
    )


# --- snapshots for the API --------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRow:
    """One daily snapshot of one unit."""

    unit_id: int
    unit_code: str
    unit_name: str
    day: date
    assigned: int
    ready: int
    overdue: int
    taken_at: datetime


def snapshots_page(
    session: Session,
    viewer: User,
    campaign_id: int,
    *,
    root_path: str | None,
    first_day: date | None,
    last_day: date | None,
    offset: int,
    limit: int,
) -> tuple[list[SnapshotRow], int]:
    """One page of a campaign's snapshots of units in the viewer's scope (two queries)."""
    conditions: list[ColumnElement[bool]] = [
        ReadinessSnapshot.campaign_id == campaign_id,
        unit_scope_clause(viewer, Unit.path),
    ]
    if root_path is not None:
        conditions.append(Unit.path.startswith(root_path, autoescape=True))
    if first_day is not None:
        conditions.append(ReadinessSnapshot.day >= first_day)
    if last_day is not None:
        conditions.append(ReadinessSnapshot.day <= last_day)
    base = select(ReadinessSnapshot.id).join(Unit, Unit.id == ReadinessSnapshot.unit_id)
    total = int(
        session.scalar(select(func.count()).select_from(base.where(*conditions).subquery())) or 0
    )
    rows = session.execute(
        select(
            Unit.id,
            Unit.code,
            Unit.name,
            ReadinessSnapshot.day,
            ReadinessSnapshot.assigned,
            ReadinessSnapshot.ready,
            ReadinessSnapshot.overdue,
            ReadinessSnapshot.taken_at,
        )
        .join(Unit, Unit.id == ReadinessSnapshot.unit_id)
        .where(*conditions)
        .order_by(ReadinessSnapshot.day, Unit.path, ReadinessSnapshot.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [SnapshotRow(*row) for row in rows], total


# --- provider view: how a provider's modules do in the campaigns that use them -----------------


@dataclass(frozen=True)
class ModuleUsageRow:
    """Aggregates of one module across the campaigns that use it (no person is named)."""

    module_id: int
    slug: str
    campaigns: int = 0
    assigned: int = 0
    completed: int = 0
    quiz_learners: int = 0
    quiz_passed: int = 0
    average_score: float | None = None
    helpful: int = 0
    not_helpful: int = 0
    open_reports: int = 0
    reports: int = 0

    @property
    def completion_share(self) -> float | None:
        """Completed / assigned people (None when nobody is assigned)."""
        return self.completed / self.assigned if self.assigned else None

    @property
    def pass_rate(self) -> float | None:
        """Learners who passed / learners who submitted an attempt (None without attempts)."""
        return self.quiz_passed / self.quiz_learners if self.quiz_learners else None


@dataclass(frozen=True)
class CampaignUsageRow:
    """One campaign's use of a module: its people assigned and completed."""

    campaign: CampaignInfo
    assigned: int
    completed: int

    @property
    def completion_share(self) -> float | None:
        """Completed / assigned people (None when nobody is assigned)."""
        return self.completed / self.assigned if self.assigned else None


def _usage_assignments(module_ids: Select[Any] | Sequence[int]) -> Any:
    """Subquery: (module_id, campaign_id, user_id, completed) of counting assignments.

    Counting: not removed, of an active person, in a campaign past its draft; completed when
    the person's current completion of the module exists (any version, as the trainer sees it).
    """
    done = (
        select(Completion.id)
        .where(
            Completion.user_id == Assignment.user_id,
            Completion.module_id == Assignment.module_id,
            Completion.is_current.is_(True),
        )
        .exists()
    )
    return (
        select(
            Assignment.module_id.label("module_id"),
            Assignment.campaign_id.label("campaign_id"),
            Assignment.user_id.label("user_id"),
            case((done, 1), else_=0).label("completed"),
        )
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.module_id.in_(module_ids),
            Assignment.removed_at.is_(None),
            User.is_active.is_(True),
            Campaign.state.in_(REPORTED_STATES),
        )
        .distinct()
        .subquery("usage")
    )


def module_usage(
    session: Session, viewer: User, *, module_id: int | None = None
) -> list[ModuleUsageRow]:
    """Per module the trainer looks after: campaigns, people, completions, quiz and feedback.

    Set-based: one statement each for the modules, the assignments, the quiz attempts, and the
    feedback (`feedback_by_module`), whatever the number of modules. `module_id` keeps one.
    """
    query = select(Module.id, Module.slug).where(_module_scope(viewer))
    if module_id is not None:
        query = query.where(Module.id == module_id)
    else:
        query = query.where(Module.status != ModuleStatus.ARCHIVED)
    modules = session.execute(query.order_by(Module.slug)).all()
    if not modules:
        return []
    ids = [row_id for row_id, _slug in modules]
    usage = _usage_assignments(ids)
    assigned = {
        module_id: (int(campaigns), int(people), int(completed or 0))
        for module_id, campaigns, people, completed in session.execute(
            select(
                usage.c.module_id,
                func.count(usage.c.campaign_id.distinct()),
                func.count(usage.c.user_id.distinct()),
                func.count(case((usage.c.completed == 1, usage.c.user_id)).distinct()),
            ).group_by(usage.c.module_id)
        )
    }
    # Attempts of people who were assigned the module in a campaign (the campaigns' learners).
    assigned_learner = (
        select(Assignment.id)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(
            Assignment.user_id == Attempt.user_id,
            Assignment.module_id == Quiz.module_id,
            Assignment.removed_at.is_(None),
            Campaign.state.in_(REPORTED_STATES),
        )
        .exists()
    )
    quizzes = {
        module_id: (int(learners), int(passed or 0), None if mean is None else float(mean))
        for module_id, learners, passed, mean in session.execute(
            select(
                Quiz.module_id,
                func.count(Attempt.user_id.distinct()),
                func.count(case((Attempt.is_passed.is_(True), Attempt.user_id)).distinct()),
                func.avg(Attempt.score_percent),
            )
            .join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(
                Quiz.module_id.in_(ids),
                Attempt.state == AttemptState.SUBMITTED,
                assigned_learner,
            )
            .group_by(Quiz.module_id)
        )
    }
    feedback = {row.module_id: row for row in feedback_by_module(session, viewer)}
    rows = []
    for row_id, slug in modules:
        campaigns, people, completed = assigned.get(row_id, (0, 0, 0))
        learners, passed, mean = quizzes.get(row_id, (0, 0, None))
        said = feedback.get(row_id)
        rows.append(
            ModuleUsageRow(
                module_id=row_id,
                slug=slug,
                campaigns=campaigns,
                assigned=people,
                completed=completed,
                quiz_learners=learners,
                quiz_passed=passed,
                average_score=mean,
                helpful=said.helpful if said else 0,
                not_helpful=said.not_helpful if said else 0,
                open_reports=said.open_reports if said else 0,
                reports=(said.open_reports + said.handled) if said else 0,
            )
        )
    return rows


def module_campaign_usage(session: Session, module_id: int) -> list[CampaignUsageRow]:
    """The campaigns that use a module, latest due first, with its people (two statements).

    The caller has checked that the viewer looks after the module.
    """
    usage = _usage_assignments([module_id])
    counts = {
        campaign_id: (int(people), int(completed or 0))
        for campaign_id, people, completed in session.execute(
            select(
                usage.c.campaign_id,
                func.count(usage.c.user_id.distinct()),
                func.count(case((usage.c.completed == 1, usage.c.user_id)).distinct()),
            ).group_by(usage.c.campaign_id)
        )
    }
    using = (
        select(CampaignModule.campaign_id)
        .where(
            or_(
                CampaignModule.module_id == module_id,
                CampaignModule.refresher_module_id == module_id,
            )
        )
        .scalar_subquery()
    )
    campaigns = session.scalars(
        select(Campaign)
        .where(
            or_(Campaign.id.in_(using), Campaign.id.in_(list(counts) or [-1])),
            Campaign.state.in_(REPORTED_STATES),
        )
        .order_by(Campaign.due_at.desc(), Campaign.id.desc())
    ).all()
    return [CampaignUsageRow(_campaign_info(c), *counts.get(c.id, (0, 0))) for c in campaigns]
