"""A campaign's audience: units (with or without their subunits), roles, and people added or
excluded by hand. They flush; the caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.campaigns.models import (
    Campaign,
    CampaignAudiencePerson,
    CampaignAudienceUnit,
)
from app.campaigns.operations import ensure_editable
from app.people.models import Role, Unit, User


def add_audience_unit(
    session: Session, campaign: Campaign, unit: Unit, *, include_subunits: bool, now: datetime
) -> None:
    """Put a unit (with or without the units below it) in the audience, or change that choice."""
    ensure_editable(campaign)
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
    ensure_editable(campaign)
    session.delete(audience_unit)
    campaign.updated_at = now
    session.flush()


def set_audience_roles(
    session: Session, campaign: Campaign, roles: list[str], *, now: datetime
) -> None:
    """Narrow the unit audience to people holding one of these roles (none: everyone)."""
    ensure_editable(campaign)
    valid = [r.value for r in Role if r.value in set(roles)]
    campaign.audience_roles = valid
    campaign.updated_at = now
    session.flush()


def set_audience_person(
    session: Session, campaign: Campaign, person: User, *, is_excluded: bool, now: datetime
) -> None:
    """Add a person by hand, or exclude them, whatever their unit says."""
    ensure_editable(campaign)
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
    ensure_editable(campaign)
    session.delete(entry)
    campaign.updated_at = now
    session.flush()
