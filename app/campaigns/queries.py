"""Reads about campaigns, returned as plain rows and already limited to what the viewer may see.

Counts come from grouped SQL (a fixed number of queries per page, whatever the audience size).
`assignments_for_user` is the source "my learning" (tracking) can list assignments from.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, distinct, func, literal, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.campaigns.access import campaign_scope_clause
from app.campaigns.audience import audience_select
from app.campaigns.models import (
    Assignment,
    CalendarToken,
    Campaign,
    CampaignModule,
    CampaignState,
    Channel,
    FeedKind,
    Notice,
    NotificationPreference,
    SentReminder,
    text_in,
)
from app.content.models import Module, ModuleStatus, ModuleVariant, ModuleVersion
from app.db import TZDateTime
from app.people.models import Provider, Unit, User
from app.permissions import is_admin, trainer_provider_ids, unit_in_scope, unit_scope_clause
from app.tracking.completion_sql import assignment_done_clause, tracking_available

try:  # the tracking feature's row type, so "my learning" can merge our rows with others
    from app.tracking.queries import AssignmentRow
except ImportError:  # pragma: no cover - tracking not installed

    @dataclass(frozen=True)
    class AssignmentRow:  # type: ignore[no-redef]
        """A module a learner must complete, by when, and why."""

        module_id: int
        due_at: datetime | None
        source: str


# --- modules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModuleInfo:
    """A module's slug and its titles by language (of the current published version)."""

    id: int
    slug: str
    source_language: str
    titles: dict[str, str]
    refresher_of_id: int | None = None

    def title_in(self, language: str | None) -> str:
        """Return the title in `language`, else the source language's, else any."""
        if language and language in self.titles:
            return self.titles[language]
        return self.titles.get(self.source_language) or text_in(self.titles, None) or self.slug


def module_infos(session: Session, module_ids: Iterable[int]) -> dict[int, ModuleInfo]:
    """Slugs and titles of modules (one query)."""
    ids = sorted(set(module_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            Module.id,
            Module.slug,
            Module.source_language,
            Module.refresher_of_id,
            ModuleVariant.language,
            ModuleVariant.title,
        )
        .outerjoin(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .outerjoin(ModuleVariant, ModuleVariant.version_id == ModuleVersion.id)
        .where(Module.id.in_(ids))
    ).all()
    titles: dict[int, dict[str, str]] = defaultdict(dict)
    base: dict[int, tuple[str, str, int | None]] = {}
    for module_id, slug, source, refresher_of, language, title in rows:
        base[module_id] = (slug, source, refresher_of)
        if language and title:
            titles[module_id][language] = title
    return {
        module_id: ModuleInfo(module_id, slug, source, dict(titles[module_id]), refresher_of)
        for module_id, (slug, source, refresher_of) in base.items()
    }


def published_modules(session: Session, language: str) -> list[ModuleInfo]:
    """Published modules for the module picker, by title in `language`."""
    ids = session.scalars(
        select(Module.id).where(
            Module.status == ModuleStatus.PUBLISHED, Module.current_version_id.is_not(None)
        )
    ).all()
    infos = module_infos(session, ids)
    return sorted(infos.values(), key=lambda m: m.title_in(language).lower())


# --- lists and details -----------------------------------------------------------------------


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
                enabled=tracking_available(session),
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


# --- learners --------------------------------------------------------------------------------


def assignments_for_user(session: Session, user_id: int, now: datetime) -> list[AssignmentRow]:
    """The open campaign assignments of a person (active campaigns), for "my learning".

    One query; the source is the campaign's name in the person's language.
    """
    rows = session.execute(
        select(Assignment.module_id, Assignment.due_at, Campaign.name, User.preferred_language)
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.removed_at.is_(None),
            Campaign.state == CampaignState.ACTIVE,
        )
        .order_by(Assignment.due_at, Assignment.id)
    ).all()
    return [
        AssignmentRow(module_id=module_id, due_at=due_at, source=text_in(name, language))
        for module_id, due_at, name, language in rows
    ]


@dataclass(frozen=True)
class MyModule:
    """A module assigned to me in a campaign, with whether it is done."""

    module_id: int
    slug: str
    title: str
    is_required: bool
    is_refresher: bool
    due_at: datetime | None
    is_done: bool


@dataclass(frozen=True)
class MyCampaign:
    """A campaign I take part in, with my modules."""

    id: int
    name: str
    theme: str
    description_html: str
    due_at: datetime | None
    starts_at: datetime
    modules: list[MyModule]

    @property
    def is_done(self) -> bool:
        """Whether every required module is done."""
        return all(m.is_done for m in self.modules if m.is_required)


def my_campaigns(session: Session, user: User, language: str, now: datetime) -> list[MyCampaign]:
    """The active campaigns a person is assigned to, with their modules (two queries)."""
    cm = aliased(CampaignModule)
    done = assignment_done_clause(
        Assignment, cm, Campaign.assign_at, now, enabled=tracking_available(session)
    )
    rows = session.execute(
        select(
            Campaign,
            Assignment.module_id,
            Assignment.is_required,
            Assignment.is_refresher,
            Assignment.due_at,
            done,
        )
        .join(Assignment, Assignment.campaign_id == Campaign.id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(
            Assignment.user_id == user.id,
            Assignment.removed_at.is_(None),
            Campaign.state == CampaignState.ACTIVE,
        )
        .order_by(Campaign.due_at, Campaign.id, cm.position)
    ).all()
    infos = module_infos(session, {r[1] for r in rows})
    grouped: dict[int, tuple[Campaign, list[MyModule]]] = {}
    for campaign, module_id, is_required, is_refresher, due_at, is_done in rows:
        info = infos.get(module_id)
        entry = grouped.setdefault(campaign.id, (campaign, []))
        entry[1].append(
            MyModule(
                module_id,
                info.slug if info else "",
                info.title_in(language) if info else "?",
                bool(is_required),
                bool(is_refresher),
                due_at,
                bool(is_done),
            )
        )
    result = []
    for campaign, modules in grouped.values():
        dues = [m.due_at for m in modules if m.due_at]
        result.append(
            MyCampaign(
                campaign.id,
                campaign.name_in(language),
                campaign.theme_in(language),
                campaign.description_html_in(language),
                min(dues) if dues else None,
                campaign.starts_at,
                modules,
            )
        )
    return result


# --- notices and feeds -----------------------------------------------------------------------


def unread_notice_count(session: Session, user_id: int) -> int:
    """How many notices the person has not read (one indexed count)."""
    return (
        session.scalar(
            select(func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None))
        )
        or 0
    )


def notices_page(
    session: Session, user_id: int, *, page: int = 1, per_page: int = 30
) -> tuple[list[Notice], int]:
    """One page of a person's notices, newest first, and the total."""
    page = max(1, min(page, 10_000))
    total = session.scalar(select(func.count(Notice.id)).where(Notice.user_id == user_id)) or 0
    rows = session.scalars(
        select(Notice)
        .where(Notice.user_id == user_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), total


def notice_of(session: Session, user_id: int, notice_id: int) -> Notice | None:
    """A notice of this person (another person's notice is None, for a 404)."""
    return session.scalar(select(Notice).where(Notice.id == notice_id, Notice.user_id == user_id))


def notification_channel(session: Session, user_id: int) -> Channel:
    """How the person wants to hear from us (e-mail unless they chose in-app only)."""
    channel = session.scalar(
        select(NotificationPreference.channel).where(NotificationPreference.user_id == user_id)
    )
    return channel or Channel.EMAIL


def active_feed_tokens(
    session: Session, *, user_id: int | None = None, campaign_id: int | None = None
) -> list[CalendarToken]:
    """Unrevoked feed tokens of a person (personal) or of a campaign."""
    query = select(CalendarToken).where(CalendarToken.revoked_at.is_(None))
    if campaign_id is not None:
        query = query.where(
            CalendarToken.kind == FeedKind.CAMPAIGN, CalendarToken.campaign_id == campaign_id
        )
    else:
        query = query.where(
            CalendarToken.kind == FeedKind.PERSONAL, CalendarToken.user_id == user_id
        )
    return list(session.scalars(query.order_by(CalendarToken.created_at.desc())))


def token_by_hash(session: Session, token_hash: str, kind: FeedKind) -> CalendarToken | None:
    """The unrevoked token with this hash and kind, if any."""
    return session.scalar(
        select(CalendarToken).where(
            CalendarToken.token_hash == token_hash,
            CalendarToken.kind == kind,
            CalendarToken.revoked_at.is_(None),
        )
    )


@dataclass(frozen=True)
class FeedItem:
    """A due date in a personal calendar feed."""

    campaign_id: int
    module_id: int
    user_id: int
    campaign: str
    module: str
    slug: str
    due_at: datetime


def personal_feed_items(session: Session, user_id: int, now: datetime) -> list[FeedItem]:
    """My open, dated assignments in active campaigns that are not done yet (two queries):
    a completed module is no deadline any more."""
    cm = aliased(CampaignModule)
    done = assignment_done_clause(
        Assignment, cm, Campaign.assign_at, now, enabled=tracking_available(session)
    )
    rows = session.execute(
        select(
            Assignment.campaign_id,
            Assignment.module_id,
            Assignment.due_at,
            Campaign.name,
            User.preferred_language,
        )
        .join(Campaign, Campaign.id == Assignment.campaign_id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .join(User, User.id == Assignment.user_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.removed_at.is_(None),
            Assignment.due_at.is_not(None),
            Campaign.state == CampaignState.ACTIVE,
            ~done,
        )
        .order_by(Assignment.due_at, Assignment.id)
    ).all()
    infos = module_infos(session, {r[1] for r in rows})
    items = []
    for campaign_id, module_id, due_at, name, language in rows:
        info = infos.get(module_id)
        items.append(
            FeedItem(
                campaign_id,
                module_id,
                user_id,
                text_in(name, language),
                info.title_in(language) if info else "",
                info.slug if info else "",
                due_at,
            )
        )
    return items


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


REGISTRATION_NAMESPACE = uuid.UUID("5f0c2a1e-8d3b-4b7e-9c61-2a4f7e3d9b10")


def campaign_registration(campaign_id: int, user_id: int) -> str:
    """The xAPI registration of one person in one campaign: stable, derived, never stored."""
    return str(uuid.uuid5(REGISTRATION_NAMESPACE, f"campaign:{campaign_id}:user:{user_id}"))


def xapi_registration(session: Session, user_id: int, module_id: int, now: datetime) -> str | None:
    """The registration of the campaign that assigns this module to this person, if any.

    With several campaigns assigning the same module, the one due first is the context.
    """
    campaign_id = session.scalar(
        select(Assignment.campaign_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.module_id == module_id,
            Assignment.removed_at.is_(None),
            Assignment.assigned_at <= now,
        )
        .order_by(Assignment.due_at.is_(None), Assignment.due_at, Assignment.campaign_id)
        .limit(1)
    )
    return campaign_registration(campaign_id, user_id) if campaign_id else None
