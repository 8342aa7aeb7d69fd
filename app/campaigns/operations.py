"""Writes on campaigns: create, edit, schedule, close, modules, audience, yearly copy, feed
tokens, notification choices and notices. They flush; the view or command commits once.

Editing rules per state: a draft or scheduled campaign may change freely (nothing went out
yet); an active one keeps its owner and assignment date, and removing a required module from
it removes that module's assignments (history kept); a closed campaign is read-only.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.campaigns.audience import audience_select
from app.campaigns.links import feed_secret_hash, new_feed_secret
from app.campaigns.models import (
    Assignment,
    CalendarToken,
    Campaign,
    CampaignAudiencePerson,
    CampaignAudienceUnit,
    CampaignModule,
    CampaignState,
    Channel,
    FeedKind,
    Notice,
    NotificationPreference,
    RemovalReason,
)
from app.campaigns.schedule_rules import add_years
from app.content.models import Module, ModuleStatus
from app.content.rendering import render_markdown
from app.people.models import Role, Unit, User
from app.platform.audit import record_event
from app.timekeeping.days import local_date, zone

UNKNOWN_LANGUAGE = "und"  # a description written before descriptions had a language
DEFAULT_AUDIENCE_ROLES = (Role.LEARNER.value,)


@dataclass(frozen=True)
class Problem:
    """A rule a change breaks: the form field it concerns and a message for people (lazily
    translated, so that it speaks the language of whoever finally reads it)."""

    field: str
    message: Any


class CampaignError(ValueError):
    """A change was refused; `problems` say why, field by field."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("refused: " + ", ".join(p.field for p in problems))
        self.problems = problems


def _refuse(field_name: str, message: object) -> CampaignError:
    return CampaignError([Problem(field_name, message)])


@dataclass
class CampaignFields:
    """Everything the campaign form sets."""

    name: dict[str, str]
    theme: dict[str, str]
    # {language: Markdown}; a plain string is a description of unknown language ("und").
    description: dict[str, str] | str
    owner_unit_id: int | None
    owner_provider_id: int | None
    assign_at: datetime
    due_at: datetime
    starts_at: datetime
    ends_at: datetime
    readiness_percent: int | None = 80
    readiness_min_per_branch: int | None = None
    reminder_days: list[int] = field(default_factory=lambda: [21, 7, 2])
    remind_weekly_overdue: bool = True
    send_digests: bool = True
    late_joiner_days: int = 14
    is_yearly: bool = False


def field_problems(fields: CampaignFields) -> list[Problem]:
    """Check the fields on their own (dates in order, a name, a readiness rule)."""
    problems = []
    if not any(v.strip() for v in fields.name.values()):
        problems.append(Problem("name", _l("Give the campaign a name in at least one language.")))
    if fields.due_at <= fields.assign_at:
        problems.append(
            Problem("due_on", _l("The due date must be after the date assignments go out."))
        )
    if fields.ends_at < fields.starts_at:
        problems.append(Problem("ends_on", _l("The campaign cannot end before it starts.")))
    if fields.readiness_percent is None and fields.readiness_min_per_branch is None:
        problems.append(
            Problem(
                "readiness_percent",
                _l("Give a share of ready people, a minimum per branch, or both."),
            )
        )
    if (fields.owner_unit_id is None) == (fields.owner_provider_id is None):
        problems.append(Problem("owner", _l("Choose who owns the campaign.")))
    return problems


def descriptions_of(description: dict[str, str] | str) -> dict[str, str]:
    """The descriptions to store, by language, without empty ones."""
    if isinstance(description, str):
        description = {UNKNOWN_LANGUAGE: description}
    return {k: v.strip() for k, v in description.items() if v and v.strip()}


def _apply(campaign: Campaign, fields: CampaignFields) -> None:
    campaign.name = {k: v.strip() for k, v in fields.name.items() if v and v.strip()}
    campaign.theme = {k: v.strip() for k, v in fields.theme.items() if v and v.strip()}
    descriptions = descriptions_of(fields.description)
    if descriptions != campaign.descriptions or set(descriptions) != set(
        campaign.descriptions_html or {}
    ):
        campaign.descriptions = descriptions
        # Rendered and sanitised once, here; templates show the stored HTML.
        campaign.descriptions_html = {k: render_markdown(v) for k, v in descriptions.items()}
    campaign.assign_at = fields.assign_at
    campaign.due_at = fields.due_at
    campaign.starts_at = fields.starts_at
    campaign.ends_at = fields.ends_at
    campaign.readiness_percent = fields.readiness_percent
    campaign.readiness_min_per_branch = fields.readiness_min_per_branch
    campaign.reminder_days = list(fields.reminder_days)
    campaign.remind_weekly_overdue = fields.remind_weekly_overdue
    campaign.send_digests = fields.send_digests
    campaign.late_joiner_days = fields.late_joiner_days
    campaign.is_yearly = fields.is_yearly


def create_campaign(
    session: Session, fields: CampaignFields, *, actor: User | None, now: datetime
) -> Campaign:
    """Add a draft campaign."""
    problems = field_problems(fields)
    if problems:
        raise CampaignError(problems)
    campaign = Campaign(
        owner_unit_id=fields.owner_unit_id,
        owner_provider_id=fields.owner_provider_id,
        state=CampaignState.DRAFT,
        registration=str(uuid.uuid4()),
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
        # Learners by default: widening the units must not pull in their managers and
        # trainers unless someone asks for them (Audience page, roles).
        audience_roles=list(DEFAULT_AUDIENCE_ROLES),
    )
    _apply(campaign, fields)
    session.add(campaign)
    session.flush()
    record_event(
        session,
        "campaign.created",
        actor_id=actor.id if actor else None,
        object_type="campaign",
        object_id=campaign.id,
        now=now,
        before={},
        after=_snapshot(campaign),
    )
    return campaign


_AUDITED_FIELDS = (
    "name",
    "theme",
    "descriptions",
    "owner_unit_id",
    "owner_provider_id",
    "assign_at",
    "due_at",
    "starts_at",
    "ends_at",
    "readiness_percent",
    "readiness_min_per_branch",
    "reminder_days",
    "remind_weekly_overdue",
    "send_digests",
    "late_joiner_days",
    "is_yearly",
)


def _snapshot(campaign: Campaign) -> dict[str, Any]:
    """The campaign's editable fields as JSON-ready values, for the audit's before/after."""
    values = {name: getattr(campaign, name) for name in _AUDITED_FIELDS}
    return {
        k: v.isoformat() if isinstance(v, datetime) else (list(v) if isinstance(v, list) else v)
        for k, v in values.items()
    }


def update_campaign(
    session: Session,
    campaign: Campaign,
    fields: CampaignFields,
    *,
    now: datetime,
    actor: User | None = None,
) -> None:
    """Change a campaign's fields within the rules of its state."""
    if campaign.state == CampaignState.CLOSED:
        raise _refuse("state", _l("A closed campaign can no longer be changed."))
    problems = field_problems(fields)
    if campaign.state == CampaignState.ACTIVE:
        if (fields.owner_unit_id, fields.owner_provider_id) != (
            campaign.owner_unit_id,
            campaign.owner_provider_id,
        ):
            problems.append(Problem("owner", _l("The owner of an active campaign cannot change.")))
        if fields.assign_at != campaign.assign_at:
            problems.append(
                Problem(
                    "assign_on",
                    _l("The assignments have gone out; this date can no longer change."),
                )
            )
    if problems:
        raise CampaignError(problems)
    old_due = campaign.due_at
    before = _snapshot(campaign)
    _apply(campaign, fields)
    campaign.updated_at = now
    if campaign.state == CampaignState.ACTIVE and fields.due_at != old_due:
        _move_due_date(session, campaign, old_due, fields.due_at)
    session.flush()
    after = _snapshot(campaign)
    changed = [k for k in _AUDITED_FIELDS if before[k] != after[k]]
    if changed:
        _audit(
            session,
            "campaign.updated",
            campaign,
            actor,
            now,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )


def _move_due_date(session: Session, campaign: Campaign, old: datetime, new: datetime) -> None:
    """Give everyone on the campaign's due date the new one; late joiners keep a later own
    date. Reminder steps carry the due date, so the new date gets its own reminders."""
    session.execute(
        update(Assignment)
        .where(
            Assignment.campaign_id == campaign.id,
            Assignment.is_required.is_(True),
            Assignment.removed_at.is_(None),
            (Assignment.due_at == old) | (Assignment.due_at < new),
        )
        .values(due_at=new)
    )


def schedule_problems(session: Session, campaign: Campaign, now: datetime) -> list[Problem]:
    """Everything that keeps a campaign from being scheduled, field by field."""
    problems = field_problems(
        CampaignFields(
            name=campaign.name,
            theme=campaign.theme,
            description=dict(campaign.descriptions),
            owner_unit_id=campaign.owner_unit_id,
            owner_provider_id=campaign.owner_provider_id,
            assign_at=campaign.assign_at,
            due_at=campaign.due_at,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            readiness_percent=campaign.readiness_percent,
            readiness_min_per_branch=campaign.readiness_min_per_branch,
        )
    )
    if campaign.ends_at <= now:
        problems.append(Problem("ends_on", _l("The campaign has already ended.")))
    modules = campaign.active_modules
    if not any(m.is_required for m in modules):
        problems.append(
            Problem("modules", _l("Add at least one required module before scheduling."))
        )
    unpublished = session.scalar(
        select(func.count(Module.id)).where(
            Module.id.in_([m.module_id for m in modules]),
            (Module.status != ModuleStatus.PUBLISHED) | Module.current_version_id.is_(None),
        )
    )
    if unpublished:
        problems.append(Problem("modules", _l("Every module must be published before scheduling.")))
    if not campaign.audience_units and not any(not p.is_excluded for p in campaign.audience_people):
        problems.append(
            Problem("audience", _l("The audience is empty: add at least one unit or person."))
        )
    else:
        members = audience_select(campaign.id, campaign.audience_roles).subquery()
        if not session.scalar(select(func.count()).select_from(members)):
            problems.append(
                Problem(
                    "audience",
                    _l(
                        "Nobody is in the audience: the units have no active people with"
                        " the chosen roles."
                    ),
                )
            )
    return problems


def schedule_campaign(session: Session, campaign: Campaign, *, actor: User, now: datetime) -> None:
    """Move a draft to scheduled: the scheduler sends assignments from the assignment date."""
    if campaign.state != CampaignState.DRAFT:
        raise _refuse("state", _l("Only a draft can be scheduled."))
    problems = schedule_problems(session, campaign, now)
    if problems:
        raise CampaignError(problems)
    campaign.state = CampaignState.SCHEDULED
    campaign.scheduled_at = now
    campaign.updated_at = now
    _audit(session, "campaign.scheduled", campaign, actor, now, before={"state": "draft"})


def unschedule_campaign(
    session: Session, campaign: Campaign, *, actor: User, now: datetime
) -> None:
    """Move a scheduled campaign back to draft (nothing has gone out yet)."""
    if campaign.state != CampaignState.SCHEDULED:
        raise _refuse("state", _l("Only a scheduled campaign can go back to draft."))
    campaign.state = CampaignState.DRAFT
    campaign.scheduled_at = None
    campaign.updated_at = now
    _audit(session, "campaign.unscheduled", campaign, actor, now, before={"state": "scheduled"})


def close_campaign(
    session: Session, campaign: Campaign, *, actor: User | None, now: datetime
) -> None:
    """Close a scheduled or active campaign: no more assignments or reminders; history stays."""
    if campaign.state not in (CampaignState.SCHEDULED, CampaignState.ACTIVE):
        raise _refuse("state", _l("Only a scheduled or active campaign can be closed."))
    previous = campaign.state.value
    campaign.state = CampaignState.CLOSED
    campaign.closed_at = now
    campaign.updated_at = now
    _audit(session, "campaign.closed", campaign, actor, now, before={"state": previous})


def delete_draft(session: Session, campaign: Campaign, *, actor: User, now: datetime) -> None:
    """Delete a draft (nothing was ever sent for it)."""
    if campaign.state != CampaignState.DRAFT:
        raise _refuse("state", _l("Only a draft can be deleted; close the campaign instead."))
    _audit(session, "campaign.deleted", campaign, actor, now, before={"state": "draft"}, after={})
    session.delete(campaign)
    session.flush()


def _audit(
    session: Session,
    action: str,
    campaign: Campaign,
    actor: User | None,
    now: datetime,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record a campaign change; a state change's `after` defaults to the state now."""
    if before is not None and after is None:
        after = {"state": campaign.state.value}
    record_event(
        session,
        action,
        actor_id=actor.id if actor else None,
        object_type="campaign",
        object_id=campaign.id,
        now=now,
        **({"before": before, "after": after} if before is not None else {}),
    )


# --- modules ---------------------------------------------------------------------------------


def _editable(campaign: Campaign) -> None:
    if campaign.state == CampaignState.CLOSED:
        raise _refuse("state", _l("A closed campaign can no longer be changed."))


def declared_refresher_id(session: Session, module_id: int) -> int | None:
    """The published module that declares itself the refresher of `module_id`, if any."""
    return session.scalar(
        select(Module.id)
        .where(Module.refresher_of_id == module_id, Module.status == ModuleStatus.PUBLISHED)
        .order_by(Module.id)
        .limit(1)
    )


def add_module(
    session: Session,
    campaign: Campaign,
    module: Module,
    *,
    is_required: bool,
    refresher: Module | None,
    now: datetime,
) -> CampaignModule:
    """Add a module (people already assigned get it at the scheduler's next run)."""
    _editable(campaign)
    if module.status != ModuleStatus.PUBLISHED or module.current_version_id is None:
        raise _refuse("module", _l("Only published modules can be part of a campaign."))
    if refresher is not None and refresher.id == module.id:
        raise _refuse("refresher", _l("A module cannot be its own refresher."))
    used = {m.module_id for m in campaign.active_modules} | {
        m.refresher_module_id for m in campaign.active_modules if m.refresher_module_id
    }
    if refresher is not None and refresher.id in used:
        raise _refuse("refresher", _l("This refresher is already part of the campaign."))
    existing = next((m for m in campaign.modules if m.module_id == module.id), None)
    if existing is not None and existing.removed_at is None:
        raise _refuse("module", _l("This module is already part of the campaign."))
    if module.id in used:
        raise _refuse("module", _l("This module is already part of the campaign as a refresher."))
    position = max((m.position for m in campaign.modules), default=-1) + 1
    if existing is not None:
        existing.removed_at = None
        existing.is_required = is_required
        existing.refresher_module_id = refresher.id if refresher else None
        existing.position = position
        existing.added_at = now
        cm = existing
    else:
        cm = CampaignModule(
            campaign=campaign,
            module_id=module.id,
            is_required=is_required,
            refresher_module_id=refresher.id if refresher else None,
            position=position,
            added_at=now,
        )
        session.add(cm)
    campaign.updated_at = now
    session.flush()
    return cm


def remove_module(
    session: Session, campaign: Campaign, cm: CampaignModule, *, now: datetime
) -> int:
    """Take a module out; in an active campaign its assignments end (kept as history).

    Returns how many open assignments ended.
    """
    _editable(campaign)
    if cm.campaign_id != campaign.id or cm.removed_at is not None:
        raise _refuse("module", _l("This module is not part of the campaign."))
    campaign.updated_at = now
    if campaign.state in (CampaignState.DRAFT, CampaignState.SCHEDULED):
        session.delete(cm)
        session.flush()
        return 0
    cm.removed_at = now
    result = session.execute(
        update(Assignment)
        .where(Assignment.campaign_module_id == cm.id, Assignment.removed_at.is_(None))
        .values(removed_at=now, removal_reason=RemovalReason.MODULE_REMOVED)
    )
    session.flush()
    return result.rowcount or 0


# --- audience --------------------------------------------------------------------------------


def add_audience_unit(
    session: Session, campaign: Campaign, unit: Unit, *, include_subunits: bool, now: datetime
) -> None:
    """Put a unit (with or without the units below it) in the audience, or change that choice."""
    _editable(campaign)
    existing = next((a for a in campaign.audience_units if a.unit_id == unit.id), None)
    if existing is not None:
        existing.include_subunits = include_subunits
    else:
        session.add(
            CampaignAudienceUnit(
                campaign=campaign, unit_id=unit.id, include_subunits=include_subunits, added_at=now
            )
        )
    campaign.updated_at = now
    session.flush()


def remove_audience_unit(
    session: Session, campaign: Campaign, audience_unit: CampaignAudienceUnit, *, now: datetime
) -> None:
    """Take a unit out of the audience (its people drop out at the scheduler's next run)."""
    _editable(campaign)
    session.delete(audience_unit)
    campaign.updated_at = now
    session.flush()


def set_audience_roles(
    session: Session, campaign: Campaign, roles: list[str], *, now: datetime
) -> None:
    """Narrow the unit audience to people holding one of these roles (none: everyone)."""
    _editable(campaign)
    valid = [r.value for r in Role if r.value in set(roles)]
    campaign.audience_roles = valid
    campaign.updated_at = now
    session.flush()


def set_audience_person(
    session: Session, campaign: Campaign, person: User, *, is_excluded: bool, now: datetime
) -> None:
    """Add a person by hand, or exclude them, whatever their unit says."""
    _editable(campaign)
    existing = next((p for p in campaign.audience_people if p.user_id == person.id), None)
    if existing is not None:
        existing.is_excluded = is_excluded
    else:
        session.add(
            CampaignAudiencePerson(
                campaign=campaign, user_id=person.id, is_excluded=is_excluded, added_at=now
            )
        )
    campaign.updated_at = now
    session.flush()


def remove_audience_person(
    session: Session, campaign: Campaign, entry: CampaignAudiencePerson, *, now: datetime
) -> None:
    """Forget a by-hand choice about a person (their unit decides again)."""
    _editable(campaign)
    session.delete(entry)
    campaign.updated_at = now
    session.flush()


# --- yearly recurrence -----------------------------------------------------------------------

_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def _next_year_text(text: str, year: int) -> str:
    """Replace this year by the next one in a name ("Tax declaration 2027" → "... 2028")."""
    return _YEAR_RE.sub(
        lambda m: str(int(m.group(1)) + 1) if int(m.group(1)) == year else m.group(1), text
    )


def copy_to_next_year(
    session: Session, campaign: Campaign, *, actor: User | None, now: datetime, timezone: str | None
) -> Campaign:
    """Copy a campaign to next year in one step: dates + 1 year, same audience and modules
    (with their refreshers), as a draft linked to this one. One copy per campaign."""
    tz = zone(timezone)
    existing = session.scalar(select(Campaign).where(Campaign.previous_id == campaign.id))
    year = local_date(campaign.due_at, tz).year
    if existing is not None:
        raise _refuse(
            "copy",
            _l(
                "This campaign was already copied to %(year)s (“%(name)s”).",
                year=year + 1,
                name=existing.name_in(None),
            ),
        )
    copy = Campaign(
        name={k: _next_year_text(v, year) for k, v in campaign.name.items()},
        theme=dict(campaign.theme),
        descriptions=dict(campaign.descriptions),
        descriptions_html=dict(campaign.descriptions_html),
        owner_unit_id=campaign.owner_unit_id,
        owner_provider_id=campaign.owner_provider_id,
        state=CampaignState.DRAFT,
        assign_at=add_years(campaign.assign_at, 1, tz),
        due_at=add_years(campaign.due_at, 1, tz),
        starts_at=add_years(campaign.starts_at, 1, tz),
        ends_at=add_years(campaign.ends_at, 1, tz),
        readiness_percent=campaign.readiness_percent,
        readiness_min_per_branch=campaign.readiness_min_per_branch,
        reminder_days=list(campaign.reminder_days),
        remind_weekly_overdue=campaign.remind_weekly_overdue,
        send_digests=campaign.send_digests,
        late_joiner_days=campaign.late_joiner_days,
        audience_roles=list(campaign.audience_roles),
        is_yearly=True,
        previous_id=campaign.id,
        registration=str(uuid.uuid4()),
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
    )
    try:
        # The unique previous_id is the real guard: two copies at once cannot both land.
        with session.begin_nested():
            session.add(copy)
            session.flush()
    except IntegrityError:
        raise _refuse(
            "copy", _l("This campaign was already copied to %(year)s.", year=year + 1)
        ) from None
    for module in campaign.active_modules:
        session.add(
            CampaignModule(
                campaign=copy,
                module_id=module.module_id,
                is_required=module.is_required,
                refresher_module_id=module.refresher_module_id,
                position=module.position,
                added_at=now,
            )
        )
    for unit in campaign.audience_units:
        session.add(
            CampaignAudienceUnit(
                campaign=copy,
                unit_id=unit.unit_id,
                include_subunits=unit.include_subunits,
                added_at=now,
            )
        )
    for person in campaign.audience_people:
        session.add(
            CampaignAudiencePerson(
                campaign=copy, user_id=person.user_id, is_excluded=person.is_excluded, added_at=now
            )
        )
    session.flush()
    _audit(session, "campaign.copied", copy, actor, now)
    return copy


# --- calendar feeds, notification choice, notices -----------------------------------------


def create_feed_token(
    session: Session,
    user: User,
    *,
    kind: FeedKind,
    campaign: Campaign | None = None,
    now: datetime,
) -> tuple[CalendarToken, str]:
    """Make a feed token and return it with its secret (shown once; only the hash is kept).

    A person has one personal feed, and a campaign one feed: making a new one revokes the old.
    """
    old = select(CalendarToken).where(
        CalendarToken.kind == kind, CalendarToken.revoked_at.is_(None)
    )
    if kind == FeedKind.PERSONAL:
        old = old.where(CalendarToken.user_id == user.id)
    else:
        old = old.where(CalendarToken.campaign_id == campaign.id)  # type: ignore[union-attr]
    for token in session.scalars(old):
        token.revoked_at = now
    secret = new_feed_secret()
    token = CalendarToken(
        kind=kind,
        user_id=user.id,
        campaign_id=campaign.id if campaign else None,
        token_prefix=secret[:8],
        token_hash=feed_secret_hash(secret),
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, secret


def revoke_feed_token(session: Session, token: CalendarToken, *, now: datetime) -> None:
    """Revoke a feed token: the calendar URL answers 404 from now on."""
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()


def set_channel(
    session: Session, user_id: int, channel: Channel, *, now: datetime, via_link: bool = False
) -> None:
    """Record how a person wants to hear from the platform (upsert on the user)."""
    preference = session.scalar(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    )
    if preference is None:
        preference = NotificationPreference(user_id=user_id)
        session.add(preference)
    preference.channel = channel
    preference.updated_at = now
    preference.unsubscribed_at = now if via_link and channel == Channel.IN_APP else None
    session.flush()


def mark_notice_read(session: Session, notice: Notice, *, now: datetime) -> None:
    """Mark one notice as read."""
    if notice.read_at is None:
        notice.read_at = now
    session.flush()


def mark_all_notices_read(session: Session, user_id: int, *, now: datetime) -> int:
    """Mark all of a person's notices as read; returns how many were unread."""
    result = session.execute(
        update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount or 0
