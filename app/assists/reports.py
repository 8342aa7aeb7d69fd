"""The managers' view of assists: each branch's assists per week beside its readiness.

Readiness comes from `app.readiness.queries.report.readiness_report` (its one home), for
the campaign the manager picks; assists from `queries.assist_counts`. Both are scoped to the
viewer's units, so a branch outside them never appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.readiness.queries.report import UnitReadiness, readiness_report
from app.readiness.queries.scope import CampaignInfo, UnitNode, units_in_scope

from .models import AssistOutcome
from .queries import AssistCount, UnitAssists, assist_counts, assists_by_unit


@dataclass(frozen=True)
class BranchRow:
    """A branch (or another unit whose staff logged assists): readiness and assists."""

    unit: UnitNode
    readiness: UnitReadiness | None
    assists: UnitAssists

    @property
    def share(self) -> float | None:
        """The campaign's share of ready people in the unit (None: nobody assigned)."""
        return self.readiness.share if self.readiness is not None else None


@dataclass(frozen=True)
class TopicWeeks:
    """One topic's assists per week in the viewer's units."""

    topic: str
    by_week: dict[str, int]

    @property
    def total(self) -> int:
        """The topic's assists in all the weeks shown."""
        return sum(self.by_week.values())


@dataclass(frozen=True)
class BranchReport:
    """Every branch in the viewer's scope over some weeks, with the grouped counts behind it."""

    campaign: CampaignInfo | None
    weeks: list[str]
    rows: list[BranchRow]
    counts: list[AssistCount]

    @property
    def total_by_week(self) -> dict[str, int]:
        """All branches' assists per week."""
        totals = dict.fromkeys(self.weeks, 0)
        for row in self.counts:
            totals[row.week] = totals.get(row.week, 0) + row.count
        return totals

    @property
    def topics(self) -> list[TopicWeeks]:
        """Every topic asked in the viewer's units, per week, the most frequent first."""
        by_topic: dict[str, TopicWeeks] = {}
        for row in self.counts:
            topic = by_topic.setdefault(row.topic, TopicWeeks(row.topic, {}))
            topic.by_week[row.week] = topic.by_week.get(row.week, 0) + row.count
        return sorted(by_topic.values(), key=lambda t: (-t.total, t.topic.casefold()))

    @property
    def total_by_outcome(self) -> dict[AssistOutcome, int]:
        """All branches' assists per outcome."""
        totals = dict.fromkeys(AssistOutcome, 0)
        for row in self.counts:
            totals[row.outcome] += row.count
        return totals


def branch_report(
    session: Session,
    viewer: Any,
    campaign: CampaignInfo | None,
    weeks: Sequence[str],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> BranchReport:
    """Assists per branch and week in the viewer's units, beside the campaign's readiness."""
    counts = assist_counts(session, viewer, weeks)
    assists = assists_by_unit(counts)
    units = units_in_scope(session, viewer, None)
    readiness: dict[int, UnitReadiness] = {}
    if campaign is not None:
        readiness = readiness_report(session, viewer, campaign, root=None, now=now, tz=tz).units
    rows = [
        BranchRow(unit, readiness.get(unit.id), assists.get(unit.id, UnitAssists(unit.id)))
        for unit in units
        if unit.is_branch or unit.id in assists
    ]
    rows.sort(key=lambda row: (row.unit.name.casefold(), row.unit.id))
    return BranchReport(campaign, list(weeks), rows, counts)
