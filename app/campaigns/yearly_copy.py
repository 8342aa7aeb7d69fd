"""Yearly recurrence: a campaign copied to next year in one step, as a linked draft."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.campaigns.models import (
    Campaign,
    CampaignAudiencePerson,
    CampaignAudienceUnit,
    CampaignModule,
    CampaignState,
)
from app.campaigns.operations import audit, refuse
from app.campaigns.schedule_rules import add_years
from app.people.models import User
from app.timekeeping.days import local_date

_YEAR_RE = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


def _next_year_text(text: str, year: int) -> str:
    """Replace this year by the next one in a name ("Tax declaration 2027" → "... 2028")."""
    return _YEAR_RE.sub(
        lambda m: str(int(m.group(1)) + 1) if int(m.group(1)) == year else m.group(1), text
    )


def _copied_campaign(
    campaign: Campaign, year: int, *, actor: User | None, now: datetime, tz: ZoneInfo
) -> Campaign:
    """The draft of next year's campaign: dates + 1 year, the same texts, rules and roles."""
    return Campaign(
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


def _copy_modules_and_audience(
    session: Session, campaign: Campaign, copy: Campaign, now: datetime
) -> None:
    """The same modules (with their refreshers), audience units and people by hand."""
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


def copy_to_next_year(
    session: Session, campaign: Campaign, *, actor: User | None, now: datetime, tz: ZoneInfo
) -> Campaign:
    """Copy a campaign to next year in one step: dates + 1 year (on the calendar of `tz`), same
    audience and modules (with their refreshers), as a draft linked to this one. One copy per
    campaign."""
    existing = session.scalar(select(Campaign).where(Campaign.previous_id == campaign.id))
    year = local_date(campaign.due_at, tz).year
    if existing is not None:
        raise refuse(
            "copy",
            _l(
                "This campaign was already copied to %(year)s (“%(name)s”).",
                year=year + 1,
                name=existing.name_in(None),
            ),
        )
    copy = _copied_campaign(campaign, year, actor=actor, now=now, tz=tz)
    try:
        # The unique previous_id is the real guard: two copies at once cannot both land.
        with session.begin_nested():
            session.add(copy)
            session.flush()
    except IntegrityError:
        raise refuse(
            "copy", _l("This campaign was already copied to %(year)s.", year=year + 1)
        ) from None
    _copy_modules_and_audience(session, campaign, copy, now)
    session.flush()
    audit(session, "campaign.copied", copy, actor, now)
    return copy
