"""The campaign statements built once per scope answer each viewer exactly as the scope rule
does, whatever order viewers with different rights come in."""

from __future__ import annotations

from sqlalchemy import select

from app.campaigns.access import campaign_scope_clause
from app.campaigns.models import Campaign
from app.extensions import db
from app.readiness.queries.scope import REPORTED_STATES, campaign_for, visible_campaigns
from tests.readiness.helpers import make_campaign, make_module


def _by_rule(viewer) -> set[int]:
    return set(
        db.session.scalars(
            select(Campaign.id).where(
                Campaign.state.in_(REPORTED_STATES), campaign_scope_clause(viewer)
            )
        )
    )


def test_each_viewer_sees_the_campaigns_of_their_own_scope(app, scene):
    region_b = make_campaign(scene.org.region_b, [make_module(scene.org.provider)], name="B only")
    viewers = [
        scene.a1_manager,
        scene.b1_manager,
        scene.admin,
        scene.region_a_manager,
        scene.trainer,
        scene.b1_manager,
        scene.a1_manager,
    ]
    for viewer in viewers:
        seen = {c.id for c in visible_campaigns(db.session, viewer)}
        assert seen == _by_rule(viewer)
        assert (campaign_for(db.session, viewer, region_b.campaign.id) is not None) == (
            region_b.campaign.id in seen
        )
    assert region_b.campaign.id in {c.id for c in visible_campaigns(db.session, scene.b1_manager)}
    assert region_b.campaign.id not in {
        c.id for c in visible_campaigns(db.session, scene.a1_manager)
    }
