"""People in a readiness report: who belongs to a unit, and one person's modules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, case, func, select
from sqlalchemy.orm import Session, aliased

from app.campaigns.models import Assignment, Campaign, CampaignModule
from app.content.models import ModuleVersion
from app.people.models import Unit, User
from app.permissions import unit_scope_clause
from app.readiness.queries.counting import Where, as_utc, assignment_rows_shaped
from app.readiness.queries.scope import UNIT_COLUMNS, UnitNode
from app.tracking.completion import CompletionStatus, completion_status, may_do_assignment
from app.tracking.models import Completion, ModuleProgress


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
    where = Where.of(campaign_id, viewer, now, unit.path)
    rows = session.execute(
        _people_statement(where.shape), {**where.params, "unit_id": unit.id}
    ).all()
    return [
        PersonReadiness(
            user_id=user_id,
            name=f"{first} {last}".strip(),
            unit_id=unit_id,
            unit_name=unit_name,
            required=int(required),
            done=int(done or 0),
            late=int(late or 0),
            next_due_at=as_utc(next_due),
        )
        for user_id, first, last, unit_id, unit_name, required, done, late, next_due in rows
    ]


@lru_cache(maxsize=64)
def _people_statement(shape: tuple[int | None, bool]) -> Any:
    rows = assignment_rows_shaped(shape).subquery("a")
    return (
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
        .where(rows.c.unit_id == bindparam("unit_id", type_=Integer))
        .group_by(rows.c.user_id, User.first_name, User.last_name, Unit.id, Unit.name)
        .order_by(User.last_name, User.first_name, rows.c.user_id)
    )


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
        select(User.id, User.first_name, User.last_name, User.email, User.is_active, *UNIT_COLUMNS)
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


BEFORE_CAMPAIGN = "before_campaign"


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
    # valid, expiring_soon, expired, out_of_date, in_progress, not_started or before_campaign
    # (a refresher completed before this campaign, which asks for it again)
    status: str
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
    """The person's assignments in the campaign with their completion status (three queries)."""
    rows = session.execute(
        select(
            CampaignModule.module_id,
            Assignment.module_id,
            Assignment.is_required,
            Assignment.is_refresher,
            Assignment.due_at,
            Assignment.removed_at,
            Campaign.assign_at,
        )
        .join(CampaignModule, CampaignModule.id == Assignment.campaign_module_id)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .where(Assignment.campaign_id == campaign_id, Assignment.user_id == user_id)
        .order_by(CampaignModule.position, CampaignModule.id)
    ).all()
    module_ids = {r[0] for r in rows} | {r[1] for r in rows}
    if not module_ids:
        return []
    completions = _current_completions(session, user_id, module_ids)
    activity = dict(
        session.execute(
            select(ModuleProgress.module_id, ModuleProgress.last_activity_at).where(
                ModuleProgress.user_id == user_id, ModuleProgress.module_id.in_(module_ids)
            )
        ).all()
    )
    result = []
    for module_id, assigned_id, required, refresher, due_at, removed_at, assign_at in rows:
        candidates = [assigned_id] + ([module_id] if refresher else [])
        found = {c: completions[c] for c in candidates if c in completions}
        usable = {
            candidate: facts
            for candidate, facts in found.items()
            if may_do_assignment(
                is_refresher=bool(refresher), completed_at=facts[0], campaign_assign_at=assign_at
            )
        }
        status, completed_at, expires_at = _best_completion(candidates, usable, now)
        last = activity.get(assigned_id)
        if status == "not_started" and len(usable) < len(found):
            # Completed before this campaign, which asks for the refresher again: say so.
            _status, completed_at, expires_at = _best_completion(candidates, found, now)
            status = BEFORE_CAMPAIGN
            last = last if last is not None and last >= assign_at else None
        if status in ("not_started", BEFORE_CAMPAIGN) and last is not None:
            status = "in_progress"
        result.append(
            PersonModule(
                module_id=module_id,
                assigned_module_id=assigned_id,
                is_required=bool(required),
                is_refresher=bool(refresher),
                due_at=due_at,
                removed_at=removed_at,
                completed_at=completed_at,
                expires_at=expires_at,
                status=status,
                last_activity_at=last,
            )
        )
    return result


def _current_completions(
    session: Session, user_id: int, module_ids: set[int]
) -> dict[int, tuple[Any, ...]]:
    """{module_id: (completed_at, expires_at, version number, latest major number)} of the
    person's current completions (one query)."""
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
    return {module_id: tuple(rest) for module_id, *rest in progress}


def _best_completion(
    candidates: Sequence[int], completions: dict[int, tuple[Any, ...]], now: datetime
) -> tuple[str, datetime | None, datetime | None]:
    """(status, completed_at, expires_at) of the first candidate module whose completion
    counts (by `app.tracking.completion`), else of the first one completed at all."""
    best: tuple[str, datetime | None, datetime | None] = ("not_started", None, None)
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
    return best
