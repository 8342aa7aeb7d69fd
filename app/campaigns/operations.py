"""Writes on a campaign itself: create, edit, schedule, close, delete. They flush; the view or
command commits once. Modules, audience, the yearly copy, feed tokens and notices have their own
`*_operations` modules beside this one, with the same problems (`CampaignError`).

Editing rules per state: a draft or scheduled campaign may change freely (nothing went out
yet); an active one keeps its owner and assignment date, and removing a required module from
it removes that module's assignments (history kept); a closed campaign is read-only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.campaigns.audience import audience_select
from app.campaigns.models import (
    Assignment,
    Campaign,
    CampaignState,
)
from app.content.models import Module, ModuleStatus
from app.content.rendering import render_markdown
from app.people.models import Role, User
from app.platform.audit import record_event

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


def refuse(field_name: str, message: object) -> CampaignError:
    """The error of one problem with one field."""
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
        raise refuse("state", _l("A closed campaign can no longer be changed."))
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
        audit(
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
        raise refuse("state", _l("Only a draft can be scheduled."))
    problems = schedule_problems(session, campaign, now)
    if problems:
        raise CampaignError(problems)
    campaign.state = CampaignState.SCHEDULED
    campaign.scheduled_at = now
    campaign.updated_at = now
    audit(session, "campaign.scheduled", campaign, actor, now, before={"state": "draft"})


def unschedule_campaign(
    session: Session, campaign: Campaign, *, actor: User, now: datetime
) -> None:
    """Move a scheduled campaign back to draft (nothing has gone out yet)."""
    if campaign.state != CampaignState.SCHEDULED:
        raise refuse("state", _l("Only a scheduled campaign can go back to draft."))
    campaign.state = CampaignState.DRAFT
    campaign.scheduled_at = None
    campaign.updated_at = now
    audit(session, "campaign.unscheduled", campaign, actor, now, before={"state": "scheduled"})


def close_campaign(
    session: Session, campaign: Campaign, *, actor: User | None, now: datetime
) -> None:
    """Close a scheduled or active campaign: no more assignments or reminders; history stays."""
    if campaign.state not in (CampaignState.SCHEDULED, CampaignState.ACTIVE):
        raise refuse("state", _l("Only a scheduled or active campaign can be closed."))
    previous = campaign.state.value
    campaign.state = CampaignState.CLOSED
    campaign.closed_at = now
    campaign.updated_at = now
    audit(session, "campaign.closed", campaign, actor, now, before={"state": previous})


def delete_draft(session: Session, campaign: Campaign, *, actor: User, now: datetime) -> None:
    """Delete a draft (nothing was ever sent for it)."""
    if campaign.state != CampaignState.DRAFT:
        raise refuse("state", _l("Only a draft can be deleted; close the campaign instead."))
    audit(session, "campaign.deleted", campaign, actor, now, before={"state": "draft"}, after={})
    session.delete(campaign)
    session.flush()


def audit(
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


def ensure_editable(campaign: Campaign) -> None:
    """Refuse any change to a closed campaign."""
    if campaign.state == CampaignState.CLOSED:
        raise refuse("state", _l("A closed campaign can no longer be changed."))
