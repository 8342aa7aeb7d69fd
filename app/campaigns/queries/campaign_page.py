"""A campaign's own page: its modules, its audience and who a change would touch, its
headline figures; counts come from grouped SQL, within what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, distinct, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.campaigns.audience import audience_select
from app.campaigns.models import Assignment, Campaign, CampaignModule, SentReminder
from app.campaigns.queries.modules import module_infos
from app.content.models import Module, ModuleStatus
from app.db import TZDateTime
from app.people.models import Unit, User
from app.permissions import is_admin, trainer_provider_ids, unit_in_scope, unit_scope_clause
from app.tracking.completion_sql import assignment_done_clause


@dataclass(frozen=True)
class ModuleLine:
    """A module of a campaign, for its page."""

    id: int
    module_id: int
    slug: str
    title: str
    is_required: bool
    refresher_title: str | None
    is_published: bool
    assigned: int


def campaign_modules(session: Session, campaign: Campaign, language: str) -> list[ModuleLine]:
    """The campaign's current modules with their titles and open assignment counts."""
    modules = campaign.active_modules
    infos = module_infos(
        session,
        [m.module_id for m in modules]
        + [m.refresher_module_id for m in modules if m.refresher_module_id],
    )
    published = set(
        session.scalars(
            select(Module.id).where(
                Module.id.in_([m.module_id for m in modules]),
                Module.status == ModuleStatus.PUBLISHED,
                Module.current_version_id.is_not(None),
            )
        )
    )
    counts = dict(
        session.execute(
            select(Assignment.campaign_module_id, func.count())
            .where(Assignment.campaign_id == campaign.id, Assignment.removed_at.is_(None))
            .group_by(Assignment.campaign_module_id)
        ).all()
    )
    lines = []
    for m in modules:
        info = infos.get(m.module_id)
        refresher = infos.get(m.refresher_module_id) if m.refresher_module_id else None
        lines.append(
            ModuleLine(
                id=m.id,
                module_id=m.module_id,
                slug=info.slug if info else "",
                title=info.title_in(language) if info else "?",
                is_required=m.is_required,
                refresher_title=refresher.title_in(language) if refresher else None,
                is_published=m.module_id in published,
                assigned=counts.get(m.id, 0),
            )
        )
    return lines


def _people_scope(viewer: User, campaign: Campaign) -> ColumnElement[bool] | None:
    """None when the viewer may see the campaign's whole reach; else a unit-path condition."""
    if is_admin(viewer):
        return None
    if (
        campaign.owner_provider_id is not None
        and campaign.owner_provider_id in trainer_provider_ids(viewer)
    ):
        return None
    return unit_scope_clause(viewer, Unit.path)


def audience_person_visible(viewer: User, campaign: Campaign, person: User) -> bool:
    """Whether a person named in the audience may be shown to the viewer (`_people_scope`)."""
    return _people_scope(viewer, campaign) is None or unit_in_scope(viewer, person.unit)


@dataclass(frozen=True)
class UnitCount:
    """How many people of a campaign's audience (or of a group) are in one unit."""

    unit_id: int | None
    name: str
    path: str
    count: int


@dataclass
class AudiencePreview:
    """Who is in the audience: counts per unit, within what the viewer may see."""

    units: list[UnitCount] = field(default_factory=list)
    total: int = 0
    outside_scope: bool = False


def audience_preview(session: Session, viewer: User, campaign: Campaign) -> AudiencePreview:
    """Counts per unit of the audience as it stands now (one grouped query)."""
    members = audience_select(campaign.id, campaign.audience_roles).subquery()
    query = (
        select(Unit.id, Unit.name, Unit.path, func.count(members.c.user_id))
        .select_from(members)
        .outerjoin(Unit, Unit.id == members.c.unit_id)
        .group_by(Unit.id, Unit.name, Unit.path)
        .order_by(Unit.path)
    )
    scope = _people_scope(viewer, campaign)
    if scope is not None:
        query = query.where(scope)
    rows = [
        UnitCount(unit_id, name or "—", path or "", count)
        for unit_id, name, path, count in session.execute(query)
    ]
    return AudiencePreview(
        units=rows, total=sum(r.count for r in rows), outside_scope=scope is not None
    )


def removal_impact(
    session: Session, viewer: User, campaign: Campaign, cm: CampaignModule
) -> AudiencePreview:
    """Who loses an assignment when a module is removed: counts per unit (one query)."""
    query = (
        select(Unit.id, Unit.name, Unit.path, func.count(Assignment.id))
        .select_from(Assignment)
        .join(User, User.id == Assignment.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(Assignment.campaign_module_id == cm.id, Assignment.removed_at.is_(None))
        .group_by(Unit.id, Unit.name, Unit.path)
        .order_by(Unit.path)
    )
    scope = _people_scope(viewer, campaign)
    if scope is not None:
        query = query.where(scope)
    rows = [
        UnitCount(unit_id, name or "—", path or "", count)
        for unit_id, name, path, count in session.execute(query)
    ]
    return AudiencePreview(
        units=rows, total=sum(r.count for r in rows), outside_scope=scope is not None
    )


@dataclass(frozen=True)
class CampaignFigures:
    """Headline numbers of a campaign's page."""

    assigned_people: int
    done_people: int
    reminders_sent: int
    left: int


def campaign_figures(
    session: Session, campaign: Campaign, viewer: User, now: datetime
) -> CampaignFigures:
    """Assigned people, people done with every required module, reminders sent, leavers."""
    scope = _people_scope(viewer, campaign)
    base = (
        select(Assignment.user_id)
        .join(User, User.id == Assignment.user_id)
        .outerjoin(Unit, Unit.id == User.unit_id)
        .where(Assignment.campaign_id == campaign.id)
    )
    if scope is not None:
        base = base.where(scope)
    open_rows = base.where(Assignment.removed_at.is_(None))
    assigned = session.scalar(select(func.count(distinct(open_rows.subquery().c.user_id)))) or 0
    cm = aliased(CampaignModule)
    behind = (
        open_rows.join(cm, cm.id == Assignment.campaign_module_id)
        .where(
            Assignment.is_required.is_(True),
            ~assignment_done_clause(
                Assignment,
                cm,
                literal(campaign.assign_at, TZDateTime()),
                now,
            ),
        )
        .subquery()
    )
    behind_count = session.scalar(select(func.count(distinct(behind.c.user_id)))) or 0
    left_rows = base.where(Assignment.removal_reason == "left_audience").subquery()
    left = session.scalar(select(func.count(distinct(left_rows.c.user_id)))) or 0
    reminders = (
        session.scalar(
            select(func.count(SentReminder.id)).where(
                SentReminder.campaign_id == campaign.id, ~SentReminder.step.startswith("digest:")
            )
        )
        or 0
    )
    return CampaignFigures(assigned, max(assigned - behind_count, 0), reminders, left)
