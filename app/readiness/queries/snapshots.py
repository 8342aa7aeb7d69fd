"""Daily readiness snapshots read back: a unit's history, earlier campaigns' curves (the forecast's
reference class) and the API's pages of snapshots."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.campaigns.models import Campaign
from app.people.models import Unit, User
from app.permissions import unit_scope_clause
from app.readiness.forecast import DayCount
from app.readiness.forecast_reference import ReferenceCurve, reference_curve
from app.readiness.models import ReadinessSnapshot
from app.timekeeping.days import local_date


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
            start_day=local_date(points[0].assign_at, tz),
            due_day=local_date(points[0].due_at, tz),
            unit_id=unit_id,
        )
        if curve is not None:
            curves.append(curve)
    return curves


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
