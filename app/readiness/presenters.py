"""Page models of the readiness pages: query rows turned into tables and chart figures.

Each builder runs a fixed number of queries (see `app.readiness.queries`) and returns plain
data for one template and for the exports of the same tables, so that a CSV shows exactly
the numbers of the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.content.module_titles import ModuleTitle, module_titles
from app.i18n.languages import text_in
from app.people.admin_forms import kind_choices
from app.people.models import User
from app.readiness import charts
from app.readiness.forms import UnitFilters
from app.readiness.queries.heatmap import (
    QuizScores,
    campaign_required_modules,
    module_cells_by_person,
    module_cells_by_unit,
    quiz_score_bins,
    roll_up_cells,
)
from app.readiness.queries.overdue import OverduePerson
from app.readiness.queries.people import PersonReadiness, people_in_unit
from app.readiness.queries.report import ReadinessReport, UnitReadiness, readiness_report
from app.readiness.queries.scope import CampaignInfo, UnitNode
from app.readiness.rules import STATUS_LABELS, STATUS_ORDER, Status
from app.web import charts as web_charts

MAX_CHART_ROWS = 40
MAX_TREND_SERIES = 8
OVERDUE_ON_REPORT = 10
# Plotly date formats (d3-time-format): numeric in de/fr/it, so no English month names.
CHART_DATE_FORMATS = {"en": ("%d %b", "%d %b %Y")}
DEFAULT_CHART_DATE_FORMAT = ("%d.%m.", "%d.%m.%Y")


def status_label(status: Status | str) -> str:
    """The status in the reader's language."""
    return _(STATUS_LABELS[Status(status)])


def kind_label(kind: str) -> str:
    """A unit level (network, region, branch) in the reader's language."""
    return str(dict(kind_choices()).get(kind, kind))


def worst_first(units: Sequence[UnitReadiness]) -> list[UnitReadiness]:
    """Units from the most at risk to the best placed (status, then forecast, then share)."""

    def key(u: UnitReadiness) -> tuple[Any, ...]:
        forecast = u.projected_share if u.projected_share is not None else u.share
        return (STATUS_ORDER[u.status], forecast or 0.0, u.share or 0.0, u.unit.name.lower())

    return sorted(units, key=key)


@dataclass
class HeatTable:
    """Rows (units or people) × required modules: (assigned, done) per cell."""

    row_kind: str  # "unit" or "person"
    rows: list[tuple[int, str]]
    modules: list[ModuleTitle]
    cells: dict[tuple[int, int], tuple[int, int]]

    def share(self, row_id: int, module_id: int) -> float | None:
        """The share done in one cell (None when nobody is assigned there)."""
        assigned, done = self.cells.get((row_id, module_id), (0, 0))
        return done / assigned if assigned else None


@dataclass
class TrendTable:
    """Readiness per day of the units (from the daily snapshots); the chart may show fewer.

    `units` are all of them (the table and the export), `charted` those in the chart: every
    unit, or the current unit and the `MAX_TREND_SERIES - 1` units below it most at risk.
    """

    units: list[tuple[int, str]]
    days: list[date]
    values: dict[tuple[int, date], tuple[int, int]]  # (assigned, ready)
    charted: list[tuple[int, str]] = field(default_factory=list)
    below_total: int = 0
    below_charted: int = 0

    @property
    def is_cut(self) -> bool:
        """Tell whether the chart leaves out some units below (the worst are shown)."""
        return self.below_charted < self.below_total

    def share(self, unit_id: int, day: date) -> float | None:
        """The share ready that day (None when there is no snapshot)."""
        assigned, ready = self.values.get((unit_id, day), (0, 0))
        return ready / assigned if assigned else None

    def rows(self, format_percent: Callable[[float], str]) -> list[tuple[date, list[str]]]:
        """The table's cells as text, a row per day ("–" without a snapshot): formatted here
        in one pass rather than by a template macro per cell (days × units of them)."""
        return [
            (
                day,
                [
                    "–" if (share := self.share(unit_id, day)) is None else format_percent(share)
                    for unit_id, _name in self.units
                ],
            )
            for day in self.days
        ]


@dataclass
class ReportPage:
    """Everything the campaign readiness page shows for one unit (or the viewer's scope)."""

    campaign: CampaignInfo
    unit: UnitNode | None
    current: UnitReadiness
    children: list[UnitReadiness]
    children_count: int
    people: list[PersonReadiness]
    overdue: list[OverduePerson]
    overdue_total: int
    modules: dict[int, ModuleTitle]
    heat: HeatTable
    trend: TrendTable
    scores: list[QuizScores]
    today: date
    due_day: date
    tz: ZoneInfo | None = None
    branches: list[UnitReadiness] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)

    @property
    def days_left(self) -> int:
        """Days until the due date (0 once it has passed)."""
        return max((self.due_day - self.today).days, 0)


def _sort_key(sort: str) -> Callable[[UnitReadiness], Any]:
    keys: dict[str, Callable[[UnitReadiness], Any]] = {
        "name": lambda u: u.unit.name.lower(),
        "assigned": lambda u: (u.assigned, u.unit.name.lower()),
        "ready": lambda u: (u.ready, u.unit.name.lower()),
        "share": lambda u: (-1 if u.share is None else u.share, u.unit.name.lower()),
        "overdue": lambda u: (u.overdue, u.unit.name.lower()),
        "projected": lambda u: (
            -1 if u.projected_share is None else u.projected_share,
            u.unit.name.lower(),
        ),
        "status": lambda u: (STATUS_ORDER[u.status], u.share or 0, u.unit.name.lower()),
    }
    return keys[sort]


def filter_units(units: Sequence[UnitReadiness], filters: UnitFilters) -> list[UnitReadiness]:
    """Apply the table's search, status filter and sort order."""
    needle = filters.search.casefold()
    chosen = [
        u
        for u in units
        if (not needle or needle in u.unit.name.casefold() or needle in u.unit.code.casefold())
        and (filters.status is None or u.status == filters.status)
    ]
    return sorted(chosen, key=_sort_key(filters.sort), reverse=filters.descending)


def _heat_table(
    session: Session,
    viewer: User,
    campaign: CampaignInfo,
    report: ReadinessReport,
    unit: UnitNode | None,
    children: list[UnitReadiness],
    people: list[PersonReadiness],
    modules: list[ModuleTitle],
    now: datetime,
) -> HeatTable:
    if children:
        unit_cells = report.cells
        if unit_cells is None:
            root_path = unit.path if unit is not None else None
            unit_cells = module_cells_by_unit(
                session, viewer, campaign.id, now, root_path=root_path
            )
        rows = [(c.unit.id, c.unit.name) for c in children]
        cells = roll_up_cells(unit_cells, report, [r[0] for r in rows])
        return HeatTable("unit", rows, modules, cells)
    # A unit without units below it shows its people: only then are their cells read.
    person_cells = (
        module_cells_by_person(session, viewer, campaign.id, now, unit=unit)
        if unit is not None
        else []
    )
    rows = [(p.user_id, p.name) for p in people]
    cells = {(c.key, c.module_id): (c.assigned, c.done) for c in person_cells}
    return HeatTable("person", rows, modules, cells)


def _trend_table(
    report: ReadinessReport,
    current: UnitReadiness,
    children: list[UnitReadiness],
    *,
    show_all: bool = False,
) -> TrendTable:
    own = [] if current.unit.id == 0 else [(current.unit.id, current.unit.name)]
    below = [(c.unit.id, c.unit.name) for c in worst_first(children)]
    room = len(below) if show_all else max(MAX_TREND_SERIES - len(own), 1)
    units = own + below
    history = {u[0]: report.history[u[0]] for u in units if u[0] in report.history}
    values = {
        (unit_id, point.day): (point.assigned, point.ready)
        for unit_id, points in history.items()
        for point in points
    }
    days = sorted({day for _unit, day in values})
    charted = own + below[:room]
    return TrendTable(units, days, values, charted, len(below), min(room, len(below)))


def _figures(page: ReportPage, language: str) -> dict[str, str]:
    figures: dict[str, str] = {}
    trend = page.trend
    if trend.days:
        series = [
            charts.TrendSeries(name, trend.days, [trend.share(unit_id, d) for d in trend.days])
            for unit_id, name in trend.charted
        ]
        projection = None
        current = page.current
        if (
            current.projection is not None
            and current.share is not None
            and current.projected_share is not None
            and page.days_left > 0
        ):
            projection = (page.today, current.share, page.due_day, current.projected_share)
            if current.projection.low_share is not None:
                projection += (current.projection.low_share, current.projection.high_share)
        tick_format, hover_format = CHART_DATE_FORMATS.get(language, DEFAULT_CHART_DATE_FORMAT)
        figures["trend"] = web_charts.figure_json(
            charts.readiness_trend(
                series,
                threshold_percent=page.campaign.rule.effective_percent,
                due_day=page.due_day,
                projection=projection,
                labels={
                    "x": _("Day"),
                    "y": _("Ready people (%)"),
                    "threshold": _("Threshold"),
                    "due": _("Due date"),
                    "forecast": _("Forecast"),
                    "range": _("Forecast range (8 times out of 10)"),
                },
                date_format=(tick_format, hover_format),
            )
        )
    if page.children:
        rows = sorted(page.children, key=lambda u: (-u.overdue, u.unit.name.lower()))
        rows = rows[:MAX_CHART_ROWS]
        figures["overdue"] = web_charts.figure_json(
            charts.overdue_counts(
                [u.unit.name for u in rows],
                [u.overdue for u in rows],
                labels={"x": _("Overdue people"), "y": _("Unit")},
            )
        )
    if page.scores:
        figures["scores"] = web_charts.figure_json(
            web_charts.score_distribution(
                [(text_in(s.title, language, default=s.slug), s.bins) for s in page.scores],
                labels={"x": _("Best score (points of 100)"), "y": _("People")},
            )
        )
    return figures


def report_page(
    session: Session,
    viewer: User,
    campaign: CampaignInfo,
    *,
    unit: UnitNode | None,
    filters: UnitFilters,
    now: datetime,
    tz: ZoneInfo,
    language: str,
    reminder_key: Callable[[int], str],
    trend_all: bool = False,
) -> ReportPage:
    """Build the readiness page of a campaign for a unit (or the viewer's whole scope).

    `trend_all` puts every unit below in the trend chart (else the most at risk).
    """
    # The counts, the heat map's cells and the first overdue people in one statement.
    report = readiness_report(
        session,
        viewer,
        campaign,
        root=unit,
        now=now,
        tz=tz,
        with_cells=True,
        overdue_limit=OVERDUE_ON_REPORT,
    )
    current, all_children, people = _where(session, viewer, report, unit, now)
    children = filter_units(all_children, filters)
    root_path = unit.path if unit is not None else None
    overdue, overdue_total = report.overdue_people(session, reminder_key)
    required = campaign_required_modules(session, campaign.id)
    wanted = set(required) | {m for p in overdue for m in p.missing_module_ids}
    titles = module_titles(session, wanted, language)
    required_titles = [titles[m] for m in required if m in titles]
    heat = _heat_table(
        session, viewer, campaign, report, unit, all_children, people, required_titles, now
    )
    page = ReportPage(
        campaign=campaign,
        unit=unit,
        current=current,
        children=children,
        children_count=len(all_children),
        people=people,
        overdue=overdue,
        overdue_total=overdue_total,
        modules=titles,
        heat=heat,
        trend=_trend_table(report, current, all_children, show_all=trend_all),
        scores=quiz_score_bins(session, viewer, campaign.id, now, root_path=root_path),
        today=report.today,
        due_day=report.due_day,
        tz=tz,
        branches=report.branches_below(unit.id if unit is not None else None),
    )
    page.figures = _figures(page, language)
    return page


def _where(
    session: Session,
    viewer: User,
    report: ReadinessReport,
    unit: UnitNode | None,
    now: datetime,
) -> tuple[UnitReadiness, list[UnitReadiness], list[PersonReadiness]]:
    """The unit the page is about (the scope's total for None), the units right below it and
    the people who belong to it directly."""
    if unit is None:
        return report.total(report.campaign.rule), report.children_of(None), []
    people = people_in_unit(session, viewer, report.campaign.id, unit, now)
    return report.units[unit.id], report.children_of(unit.id), people
