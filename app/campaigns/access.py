"""Who may see and change which campaign, as predicates (for one object) and SQL (for lists).

- Admins: every campaign.
- Managers: campaigns owned by a unit they manage (view and edit), and campaigns whose
  audience reaches into their units (view only; people outside their units stay hidden).
- Trainers: campaigns owned by their provider (view and edit). Their audience picker offers
  the units of a manager role an admin gave them, if any; otherwise an admin or a manager
  sets the audience. Keeping units out of plain trainers' hands keeps the org tree private.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.campaigns.models import Campaign, CampaignAudienceUnit
from app.people.models import Unit, User
from app.permissions import (
    is_admin,
    managed_unit_paths,
    trainer_provider_ids,
    unit_in_scope,
    unit_scope_clause,
)

VIEW_CAMPAIGN = "campaigns.view"
EDIT_CAMPAIGN = "campaigns.edit"


def may_edit_campaign(user: User, campaign: Campaign) -> bool:
    """Admins, managers of the owning unit and trainers of the owning provider may edit."""
    if is_admin(user):
        return True
    if campaign.owner_unit is not None and unit_in_scope(user, campaign.owner_unit):
        return True
    return campaign.owner_provider_id is not None and (
        campaign.owner_provider_id in trainer_provider_ids(user)
    )


def _audience_reaches(paths: list[str], campaign: Campaign) -> bool:
    for entry in campaign.audience_units:
        target = entry.unit.path
        for path in paths:
            if target.startswith(path) or (entry.include_subunits and path.startswith(target)):
                return True
    return False


def may_view_campaign(user: User, campaign: Campaign) -> bool:
    """Editors may view; so may managers whose units the audience reaches."""
    if may_edit_campaign(user, campaign):
        return True
    return _audience_reaches(managed_unit_paths(user), campaign)


def campaign_scope_clause(user: User | Any) -> ColumnElement[bool]:
    """SQL condition on `Campaign` matching the campaigns the user may view."""
    if is_admin(user):
        return true()
    conditions: list[ColumnElement[bool]] = []
    providers = trainer_provider_ids(user)
    if providers:
        conditions.append(Campaign.owner_provider_id.in_(providers))
    paths = managed_unit_paths(user)
    if paths:
        owner = aliased(Unit)
        conditions.append(
            exists(
                select(1).where(
                    owner.id == Campaign.owner_unit_id, unit_scope_clause(user, owner.path)
                )
            )
        )
        entry = aliased(CampaignAudienceUnit)
        target = aliased(Unit)
        reaches = [
            or_(
                target.path.startswith(path, autoescape=True),
                and_(entry.include_subunits, target.path.in_(_ancestor_paths(path))),
            )
            for path in paths
        ]
        conditions.append(
            exists(
                select(1)
                .select_from(entry)
                .join(target, target.id == entry.unit_id)
                .where(entry.campaign_id == Campaign.id, or_(*reaches))
            )
        )
    return or_(*conditions) if conditions else false()


def _ancestor_paths(path: str) -> list[str]:
    """ "/1/4/17/" → ["/1/", "/1/4/", "/1/4/17/"]: the units whose subtree contains it."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def may_target_unit(user: User, unit: Unit | None) -> bool:
    """Whether the user may put this unit (or a person in it) in an audience."""
    return unit is not None and unit_in_scope(user, unit)


def owner_choices_clause(user: User, path_column: Any) -> ColumnElement[bool]:
    """SQL condition on a unit path: the units the user may make a campaign's owner."""
    return unit_scope_clause(user, path_column)
