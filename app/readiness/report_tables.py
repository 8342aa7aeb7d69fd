"""The tables of a readiness page as exports: the same rows and numbers as the page shows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from app.content.module_titles import ModuleTitle
from app.i18n.languages import text_in
from app.readiness.presenters import ReportPage, kind_label, status_label
from app.readiness.queries.overdue import OverduePerson
from app.timekeeping.days import local_date
from app.web import charts as web_charts
from app.web.table_export import Table, percent


def _local_day(moment: datetime | None, tz: ZoneInfo | None) -> date | datetime | None:
    """A due moment as the local day it falls on (what the pages show)."""
    if moment is None or tz is None:
        return moment
    return local_date(moment, tz)


def units_table(page: ReportPage, name: str) -> Table:
    """The units table of a report page."""
    return Table(
        name,
        [
            _("Code"),
            _("Unit"),
            _("Kind"),
            _("Assigned"),
            _("Ready"),
            _("Ready (%)"),
            _("Overdue"),
            _("Forecast on the due date (%)"),
            _("Status"),
            _("Forecast range from (%)"),
            _("Forecast range to (%)"),
        ],
        [
            [
                u.unit.code,
                u.unit.name,
                kind_label(u.unit.kind),
                u.assigned,
                u.ready,
                percent(u.share),
                u.overdue,
                percent(u.projected_share),
                status_label(u.status),
                percent(u.projection.low_share if u.projected_share is not None else None),
                percent(u.projection.high_share if u.projected_share is not None else None),
            ]
            for u in page.children
        ],
    )


def people_table(page: ReportPage, name: str) -> Table:
    """The people table of a unit."""
    return Table(
        name,
        [_("Person"), _("Unit"), _("Required modules"), _("Done"), _("Overdue"), _("Next due")],
        [
            [p.name, p.unit_name, p.required, p.done, p.late, _local_day(p.next_due_at, page.tz)]
            for p in page.people
        ],
    )


def heat_table(page: ReportPage, name: str) -> Table:
    """The unit (or person) × module table."""
    heat = page.heat
    first = _("Unit") if heat.row_kind == "unit" else _("Person")
    rows = []
    for row_id, label in heat.rows:
        for module in heat.modules:
            assigned, done = heat.cells.get((row_id, module.id), (0, 0))
            rows.append(
                [label, module.title, assigned, done, percent(heat.share(row_id, module.id))]
            )
    return Table(name, [first, _("Module"), _("Assigned"), _("Done"), _("Done (%)")], rows)


def trend_table(page: ReportPage, name: str) -> Table:
    """Readiness per day from the snapshots."""
    trend = page.trend
    rows = []
    for unit_id, label in trend.units:
        for day in trend.days:
            if (unit_id, day) in trend.values:
                assigned, ready = trend.values[(unit_id, day)]
                rows.append([label, day, assigned, ready, percent(trend.share(unit_id, day))])
    return Table(name, [_("Unit"), _("Day"), _("Assigned"), _("Ready"), _("Ready (%)")], rows)


def scores_table(page: ReportPage, name: str, language: str) -> Table:
    """Quiz score distribution."""
    labels = web_charts.bin_labels()
    rows = [
        [text_in(s.title, language, default=s.slug), labels[index], count]
        for s in page.scores
        for index, count in enumerate(s.bins)
    ]
    return Table(name, [_("Quiz"), _("Best score"), _("People")], rows)


def overdue_table(
    people: Iterable[OverduePerson],
    modules: dict[int, ModuleTitle],
    name: str,
    tz: ZoneInfo | None = None,
) -> Table:
    """Overdue people with their branch and what is missing (rows made as they are read, so
    that a stream of people is exported without holding it)."""
    return Table(
        name,
        [_("Person"), _("E-mail"), _("Unit"), _("Missing modules"), _("Due since")],
        (
            [
                p.name,
                p.email,
                p.unit_name,
                "; ".join(
                    modules[m].title if m in modules else str(m) for m in p.missing_module_ids
                ),
                _local_day(p.earliest_due_at, tz),
            ]
            for p in people
        ),
    )
