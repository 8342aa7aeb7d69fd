"""Campaigns' tick task: states, assignments, announcements, reminders, digests, expiry."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.campaigns.models import Campaign, CampaignState
from app.campaigns.scheduler.assignments import announce, sync_assignments
from app.campaigns.scheduler.context import TickContext, TickCounts
from app.campaigns.scheduler.digests import send_digests
from app.campaigns.scheduler.expiry import send_expiry_notices
from app.campaigns.scheduler.reminders import remind

log = logging.getLogger(__name__)


def campaign_tick_task(session: Session, now: datetime) -> dict[str, int]:
    """Do all time-driven campaign work due at `now` (a `TICK_TASKS` receiver); flushes, the
    platform's tick commits. Returns the run's figures."""
    counts = TickCounts()
    ctx = TickContext(session, now, counts)
    activated = _activate(ctx)
    _close_ended(ctx)
    campaigns = session.scalars(
        select(Campaign).where(Campaign.state == CampaignState.ACTIVE).order_by(Campaign.id)
    ).all()
    for campaign in campaigns:
        fresh = sync_assignments(ctx, campaign, is_launch=campaign.id in activated)
        announce(ctx, campaign, fresh)
        remind(ctx, campaign)
        if campaign.send_digests:
            send_digests(ctx, campaign)
    ctx.close()
    send_expiry_notices(ctx)
    session.flush()
    log.info("campaigns at %s: %s", now.isoformat(), counts.as_dict())
    return counts.as_dict()


def _activate(ctx: TickContext) -> set[int]:
    """Scheduled campaigns whose assignment date has come become active (conditional UPDATE:
    a concurrent run waits on the row and then finds it no longer scheduled)."""
    ids = ctx.session.scalars(
        update(Campaign)
        .where(Campaign.state == CampaignState.SCHEDULED, Campaign.assign_at <= ctx.now)
        .values(state=CampaignState.ACTIVE, activated_at=ctx.now)
        .returning(Campaign.id)
    ).all()
    ctx.counts.activated = len(ids)
    if ids:
        ctx.session.expire_all()
    return set(ids)


def _close_ended(ctx: TickContext) -> None:
    """Active campaigns whose public end has passed are closed."""
    ids = ctx.session.scalars(
        update(Campaign)
        .where(Campaign.state == CampaignState.ACTIVE, Campaign.ends_at <= ctx.now)
        .values(state=CampaignState.CLOSED, closed_at=ctx.now)
        .returning(Campaign.id)
    ).all()
    ctx.counts.closed = len(ids)
    if ids:
        ctx.session.expire_all()
