"""Who is in a campaign's audience, as one set-based SELECT (never a loop over people).

A person is in the audience when they are active and either (a) belong to an audience unit
(or to a unit below one that includes its sub-units) and hold one of the audience roles, if
any are set, or (b) were added by hand; and they were not excluded by hand.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from app.campaigns.models import CampaignAudiencePerson, CampaignAudienceUnit
from app.people.models import Role, RoleAssignment, Unit, User


def unit_match_clause(campaign_id: int, unit_id_column: ColumnElement[int]) -> ColumnElement[bool]:
    """SQL condition: the unit in `unit_id_column` is covered by the campaign's audience units."""
    audience = aliased(CampaignAudienceUnit)
    target = aliased(Unit)
    member_unit = aliased(Unit)
    return exists(
        select(1)
        .select_from(audience)
        .join(target, target.id == audience.unit_id)
        .join(member_unit, member_unit.id == unit_id_column)
        .where(
            audience.campaign_id == campaign_id,
            or_(
                member_unit.id == target.id,
                and_(audience.include_subunits, member_unit.path.startswith(target.path)),
            ),
        )
    )


def role_match_clause(
    roles: Sequence[str], user_id_column: ColumnElement[int]
) -> ColumnElement[bool]:
    """SQL condition: the user holds one of `roles` (always true when no role is set)."""
    wanted = [Role(r) for r in roles if r in Role._value2member_map_]
    if not roles:
        return true()
    if not wanted:
        return false()
    return exists(
        select(1).where(RoleAssignment.user_id == user_id_column, RoleAssignment.role.in_(wanted))
    )


def audience_select(campaign_id: int, roles: Sequence[str]) -> Select[tuple[int, int | None]]:
    """SELECT user_id, unit_id of everyone in the campaign's audience right now."""
    by_hand = select(CampaignAudiencePerson.user_id).where(
        CampaignAudiencePerson.campaign_id == campaign_id,
        CampaignAudiencePerson.is_excluded.is_(False),
    )
    excluded = select(CampaignAudiencePerson.user_id).where(
        CampaignAudiencePerson.campaign_id == campaign_id,
        CampaignAudiencePerson.is_excluded.is_(True),
    )
    return select(User.id.label("user_id"), User.unit_id.label("unit_id")).where(
        User.is_active.is_(True),
        or_(
            and_(
                User.unit_id.is_not(None),
                unit_match_clause(campaign_id, User.unit_id),
                role_match_clause(roles, User.id),
            ),
            User.id.in_(by_hand),
        ),
        User.id.not_in(excluded),
    )
