"""Campaigns in lists: the index, the calendar, the API, and the units and providers a viewer
may pick, already limited to what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session, selectinload

from app.campaigns.access import campaign_scope_clause
from app.campaigns.models import Assignment, Campaign, CampaignModule, CampaignState
from app.people.models import Provider, Unit, User
from app.permissions import is_admin, trainer_provider_ids, unit_scope_clause


@dataclass(frozen=True)
class CampaignRow:
    """A campaign in a list."""

    id: int
    name: str
    theme: str
    state: str
    owner: str
    assign_at: datetime
    due_at: datetime
    starts_at: datetime
    ends_at: datetime
    people: int


def _owner_label(unit_name: str | None, provider_name: str | None) -> str:
    return unit_name or provider_name or ""


def campaign_rows(
    session: Session, viewer: User, language: str, *, state: str | None = None
) -> list[CampaignRow]:
    """The campaigns the viewer may see, newest due date first, with assigned head counts."""
    people = (
        select(Assignment.campaign_id, func.count(distinct(Assignment.user_id)).label("n"))
        .where(Assignment.removed_at.is_(None))
        .group_by(Assignment.campaign_id)
        .subquery()
    )
    query = (
        select(Campaign, Unit.name, Provider.name, func.coalesce(people.c.n, 0))
        .outerjoin(Unit, Unit.id == Campaign.owner_unit_id)
        .outerjoin(Provider, Provider.id == Campaign.owner_provider_id)
        .outerjoin(people, people.c.campaign_id == Campaign.id)
        .where(campaign_scope_clause(viewer))
        .order_by(Campaign.due_at.desc(), Campaign.id.desc())
    )
    if state in CampaignState._value2member_map_:
        query = query.where(Campaign.state == CampaignState(state))
    return [
        CampaignRow(
            id=c.id,
            name=c.name_in(language),
            theme=c.theme_in(language),
            state=c.state.value,
            owner=_owner_label(unit_name, provider_name),
            assign_at=c.assign_at,
            due_at=c.due_at,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            people=n,
        )
        for c, unit_name, provider_name, n in session.execute(query)
    ]


def load_campaign(session: Session, viewer: User, campaign_id: int) -> Campaign | None:
    """The campaign if it exists and the viewer may see it (else None, for a 404)."""
    return session.scalar(
        select(Campaign).where(Campaign.id == campaign_id, campaign_scope_clause(viewer))
    )


# --- units the viewer may target --------------------------------------------------------------


@dataclass(frozen=True)
class UnitChoice:
    """A unit offered in a picker."""

    id: int
    name: str
    kind: str
    depth: int


def unit_choices(session: Session, viewer: User) -> list[UnitChoice]:
    """Units in the viewer's management scope (all for admins), in tree order."""
    return [
        UnitChoice(uid, name, kind.value, depth)
        for uid, name, kind, depth in session.execute(
            select(Unit.id, Unit.name, Unit.kind, Unit.depth)
            .where(unit_scope_clause(viewer, Unit.path), Unit.closed_at.is_(None))
            .order_by(Unit.path)
        )
    ]


def provider_choices(session: Session, viewer: User) -> list[tuple[int, str]]:
    """Providers the viewer may make a campaign's owner (their own; all for admins)."""
    query = select(Provider.id, Provider.name).order_by(Provider.name)
    if not is_admin(viewer):
        ids = trainer_provider_ids(viewer)
        if not ids:
            return []
        query = query.where(Provider.id.in_(ids))
    return [(pid, name) for pid, name in session.execute(query)]


# --- calendar of campaigns -----------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEvent:
    """A date in the campaigns calendar."""

    at: datetime
    what: str  # "assign", "due", "start", "end"
    campaign_id: int
    campaign: str
    state: str


def calendar_events(
    session: Session, viewer: User, language: str, start: datetime, end: datetime
) -> list[CalendarEvent]:
    """Key dates of the campaigns the viewer may see, between `start` and `end`."""
    campaigns = session.scalars(
        select(Campaign).where(
            campaign_scope_clause(viewer),
            Campaign.assign_at < end,
            Campaign.ends_at >= start,
        )
    ).all()
    events = []
    for c in campaigns:
        for what, at in (
            ("assign", c.assign_at),
            ("due", c.due_at),
            ("start", c.starts_at),
            ("end", c.ends_at),
        ):
            if start <= at < end:
                events.append(CalendarEvent(at, what, c.id, c.name_in(language), c.state.value))
    return sorted(events, key=lambda e: (e.at, e.campaign, e.what))


# --- API -------------------------------------------------------------------------------------


def campaigns_for_api(
    session: Session, viewer: User, *, offset: int, limit: int
) -> tuple[list[tuple[Campaign, list[CampaignModule]]], int]:
    """One page of the campaigns the viewer may see (by id) and the total (two queries)."""
    scope = campaign_scope_clause(viewer)
    total = session.scalar(select(func.count(Campaign.id)).where(scope)) or 0
    campaigns = session.scalars(
        select(Campaign)
        .where(scope)
        .options(selectinload(Campaign.modules))
        .order_by(Campaign.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(c, c.active_modules) for c in campaigns], total
