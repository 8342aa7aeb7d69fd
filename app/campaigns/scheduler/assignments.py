"""Assignments follow the audience: new people in, leavers out, returners back; each new
assignment is announced once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    case,
    exists,
    false,
    literal,
    null,
    select,
    true,
    update,
)
from sqlalchemy.orm import aliased

from app.campaigns.models import Assignment, Campaign, CampaignModule, RemovalReason
from app.campaigns.phrases import Kind
from app.campaigns.scheduler.context import TickContext
from app.campaigns.sql import analyze_after_bulk, at, insert_ignoring_conflicts
from app.timekeeping.days import day_end, local_date
from app.tracking.completion_sql import completed_since_clause

# How far back the refresher rule looks when a campaign has no previous one.
REFRESHER_LOOKBACK = timedelta(days=365)

# The columns an assignment is announced with.
_ANNOUNCED = (
    Assignment.id,
    Assignment.user_id,
    Assignment.module_id,
    Assignment.campaign_module_id,
    Assignment.due_at,
)


def _previous_assign_at(ctx: TickContext, campaign: Campaign) -> datetime:
    """Since when a completion makes someone a refresher candidate."""
    if campaign.previous_id is not None:
        previous = ctx.session.get(Campaign, campaign.previous_id)
        if previous is not None:
            return previous.assign_at
    return campaign.assign_at - REFRESHER_LOOKBACK


def _late_due(ctx: TickContext, campaign: Campaign, *, is_launch: bool) -> datetime:
    """The due date of whoever enters now: the campaign's at launch, later the later of it
    and today + the campaign's late-joiner days."""
    if is_launch:
        return campaign.due_at
    late = local_date(ctx.now, ctx.tz) + timedelta(days=campaign.late_joiner_days)
    return max(campaign.due_at, day_end(late, ctx.tz))


def sync_assignments(ctx: TickContext, campaign: Campaign, *, is_launch: bool) -> list[Any]:
    """Make the assignments match the audience: new people in, leavers out, returners back.

    At launch everyone gets the campaign's due date; anyone who enters later (new hire,
    transfer, widened audience, module added) gets max(due date, today + late-joiner days).
    Returns the assignments this run made or revived, to be announced: INSERT ... ON
    CONFLICT DO NOTHING RETURNING and a conditional UPDATE ... RETURNING give each row to
    exactly one run, however many run at once.
    """
    late_due = _late_due(ctx, campaign, is_launch=is_launch)
    inserted = _assign_newcomers(ctx, campaign, late_due)
    members = select(ctx.audience(campaign).c.user_id)
    rejoined = _take_back_returners(ctx, campaign, members, late_due)
    _drop_leavers(ctx, campaign, members)
    return [*inserted, *rejoined]


def _newcomer_rows(ctx: TickContext, campaign: Campaign, late_due: datetime) -> Any:
    """SELECT the assignment rows of audience members who lack a live module of the campaign
    (the refresher instead of the full module for who completed it since last time)."""
    # A table of the run, worked out once for newcomers, returners and leavers (and not once
    # per module of the campaign: the planner cannot estimate the audience from its rules).
    audience = ctx.audience(campaign)
    cm = aliased(CampaignModule)
    refresher_applies = and_(
        cm.refresher_module_id.is_not(None),
        completed_since_clause(
            audience.c.user_id,
            [cm.module_id, cm.refresher_module_id],
            _previous_assign_at(ctx, campaign),
        ),
    )
    return (
        select(
            literal(campaign.id),
            cm.id,
            audience.c.user_id,
            case((refresher_applies, cm.refresher_module_id), else_=cm.module_id),
            cm.is_required,
            case((refresher_applies, true()), else_=false()),
            at(ctx.now),
            case((cm.is_required, at(late_due)), else_=null()),
            at(ctx.now),
        )
        .select_from(audience)
        .join(cm, true())
        .where(
            cm.campaign_id == campaign.id,
            cm.removed_at.is_(None),
            # The campaign's id says nothing the campaign module does not, but lets the
            # database read this campaign's assignments only, not every campaign's (2 million
            # rows hashed, half of this statement's 0.9 s at 50,000 people).
            ~exists(
                select(1).where(
                    Assignment.campaign_id == campaign.id,
                    Assignment.campaign_module_id == cm.id,
                    Assignment.user_id == audience.c.user_id,
                )
            ),
        )
        .order_by(audience.c.user_id, cm.id)
    )


def _assign_newcomers(ctx: TickContext, campaign: Campaign, late_due: datetime) -> list[Any]:
    """INSERT ... SELECT the missing assignments; returns the rows this run inserted."""
    session = ctx.session
    columns = [
        "campaign_id",
        "campaign_module_id",
        "user_id",
        "module_id",
        "is_required",
        "is_refresher",
        "assigned_at",
        "due_at",
        "notified_at",
    ]
    inserted = session.execute(
        insert_ignoring_conflicts(session, Assignment)
        .from_select(columns, _newcomer_rows(ctx, campaign, late_due))
        .returning(*_ANNOUNCED)
    ).all()
    ctx.counts.assigned += len(inserted)
    # A launch adds rows by the hundred thousand in this very transaction; without fresh
    # statistics the planner takes the table for empty and picks quadratic plans for the
    # reminder and digest queries that follow.
    analyze_after_bulk(session, Assignment.__tablename__, len(inserted))
    return list(inserted)


def _take_back_returners(
    ctx: TickContext, campaign: Campaign, members: Any, late_due: datetime
) -> list[Any]:
    """People who left and are back (rehired, moved back): the same rows count again."""
    live_modules = select(CampaignModule.id).where(
        CampaignModule.campaign_id == campaign.id, CampaignModule.removed_at.is_(None)
    )
    rejoined = ctx.session.execute(
        update(Assignment)
        .where(
            Assignment.campaign_id == campaign.id,
            Assignment.removal_reason == RemovalReason.LEFT_AUDIENCE,
            Assignment.campaign_module_id.in_(live_modules),
            Assignment.user_id.in_(members),
        )
        .values(
            removed_at=None,
            removal_reason=None,
            notified_at=ctx.now,
            assigned_at=ctx.now,
            due_at=case((Assignment.is_required, at(late_due)), else_=null()),
        )
        .returning(*_ANNOUNCED)
    ).all()
    ctx.counts.rejoined += len(rejoined)
    return list(rejoined)


def _drop_leavers(ctx: TickContext, campaign: Campaign, members: Any) -> None:
    """People who left (deactivated, moved out, excluded, audience narrowed): history stays."""
    dropped = ctx.session.execute(
        update(Assignment)
        .where(
            Assignment.campaign_id == campaign.id,
            Assignment.removed_at.is_(None),
            Assignment.user_id.not_in(members),
        )
        .values(removed_at=ctx.now, removal_reason=RemovalReason.LEFT_AUDIENCE)
    )
    ctx.counts.dropped += dropped.rowcount or 0


def announce(ctx: TickContext, campaign: Campaign, claimed: list[Any]) -> None:
    """Tell people about the assignments this run made (one message per person, listing the
    modules still to do; nothing if they are all done already)."""
    if not claimed:
        return
    ctx.counts.announced += len(claimed)
    cm = aliased(CampaignModule)
    # Usually nobody (or a few) among the newly assigned is done already: one narrow query.
    done = set(
        ctx.session.scalars(
            select(Assignment.id)
            .join(cm, cm.id == Assignment.campaign_module_id)
            .where(
                Assignment.campaign_id == campaign.id,
                Assignment.notified_at == ctx.now,
                ctx.done_clause(Assignment, cm, campaign),
            )
        )
    )
    todo: dict[int, list[Any]] = defaultdict(list)
    for row in claimed:
        if row.id not in done:
            todo[row.user_id].append(row)
    if not todo:
        return
    recipients = ctx.recipients(todo)
    ctx.modules({r.module_id for rows in todo.values() for r in rows})  # one query for all
    position = {m.id: m.position for m in campaign.modules}
    messages = []
    for user_id, rows in todo.items():
        recipient = recipients.get(user_id)
        if recipient is None:
            continue
        rows.sort(key=lambda r: position.get(r.campaign_module_id, 0))
        dues = [r.due_at for r in rows if r.due_at is not None]
        messages.append(
            ctx.learner_message(
                campaign,
                recipient,
                Kind.ASSIGNED,
                [r.module_id for r in rows],
                min(dues) if dues else None,
                key=f"campaigns:{campaign.id}:assigned:{user_id}:{min(r.id for r in rows)}",
                extra={},
            )
        )
    ctx.send(messages, recipients)
