"""Reminders to learners: the latest due step of the campaign's plan, once per person and
step, and the "remind all overdue" button's message, once per person and day."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, literal, select, union_all
from sqlalchemy.orm import Session

from app.campaigns.models import Assignment, Campaign, CampaignState, SentReminder
from app.campaigns.phrases import Kind
from app.campaigns.schedule_rules import latest_step
from app.campaigns.scheduler.context import TickContext, TickCounts
from app.campaigns.sql import analyze_after_bulk, at, chunks, insert_ignoring_conflicts
from app.timekeeping.days import day_start, local_date

OVERDUE_NOW_STEP = "overdue-now"
_SENT_COLUMNS = ["campaign_id", "user_id", "step", "due_at", "created_at"]


def overdue_now_step(day: date) -> str:
    """The reminder step of a "remind all overdue" on a local day (once per person and day)."""
    return f"{OVERDUE_NOW_STEP}:{day.isoformat()}"


def _outstanding_modules(
    ctx: TickContext, campaign: Campaign, user_ids: set[int], *, overdue_only: bool = False
) -> dict[int, list[int]]:
    """The modules each of these people still has to do (only the overdue ones if asked), in
    the campaign's order: read from the run's open assignments, for these people only."""
    open_ = ctx.open_assignments(campaign)
    statement = (
        select(open_.c.user_id, open_.c.module_id)
        .where(open_.c.user_id.in_(bindparam("user_ids", expanding=True)))
        .order_by(open_.c.user_id, open_.c.position)
    )
    if overdue_only:
        statement = statement.where(open_.c.due_at < at(ctx.now))
    modules: dict[int, list[int]] = defaultdict(list)
    for part in chunks(sorted(user_ids), 5000):
        for user_id, module_id in ctx.session.execute(statement, {"user_ids": list(part)}):
            modules[user_id].append(module_id)
    return modules


def _reminder_plan(ctx: TickContext, campaign: Campaign) -> Any | None:
    """Which step is due for which due date, as a small table to join (None: no step is due).

    The due dates in play are few (the campaign's and late joiners' own), so the plan is
    computed here rather than in SQL.
    """
    dues = ctx.session.scalars(
        select(Assignment.due_at)
        .where(
            Assignment.campaign_id == campaign.id,
            Assignment.removed_at.is_(None),
            Assignment.is_required.is_(True),
            Assignment.due_at.is_not(None),
        )
        .distinct()
    ).all()
    plan_rows = []
    for due in dues:
        step = latest_step(
            due,
            campaign.reminder_days or [],
            weekly_overdue=campaign.remind_weekly_overdue,
            now=ctx.now,
            tz=ctx.tz,
        )
        if step is not None:
            plan_rows.append(
                select(
                    at(due).label("due_at"),
                    literal(step.key).label("step"),
                    at(step.fires_at).label("fires_at"),
                    literal(step.kind).label("kind"),
                    literal(step.number).label("number"),
                )
            )
    if not plan_rows:
        return None
    return (plan_rows[0] if len(plan_rows) == 1 else union_all(*plan_rows)).subquery("plan")


def _reminded_by_hand_today(ctx: TickContext, campaign: Campaign, user_id: Any) -> Any:
    """SQL: the person got this campaign's "remind all overdue" message today."""
    return exists(
        select(1).where(
            SentReminder.campaign_id == campaign.id,
            SentReminder.user_id == user_id,
            SentReminder.step == overdue_now_step(local_date(ctx.now, ctx.tz)),
        )
    )


def _record_reminders(ctx: TickContext, campaign: Campaign, plan: Any) -> list[Any]:
    """Record the due step for everyone who still has something to do and was assigned
    before it fired, as one INSERT ... SELECT; returns (user, step, due) this run recorded."""
    open_ = ctx.open_assignments(campaign)
    outstanding = (
        select(
            open_.c.user_id,
            func.min(open_.c.due_at).label("due_at"),
            func.min(open_.c.assigned_at).label("since"),
        )
        .group_by(open_.c.user_id)
        .subquery("outstanding")
    )
    rows = (
        select(
            literal(campaign.id),
            outstanding.c.user_id,
            plan.c.step,
            outstanding.c.due_at,
            at(ctx.now),
        )
        .select_from(outstanding)
        .join(plan, plan.c.due_at == outstanding.c.due_at)
        .where(
            outstanding.c.since < plan.c.fires_at,
            ~exists(
                select(1).where(
                    SentReminder.campaign_id == campaign.id,
                    SentReminder.user_id == outstanding.c.user_id,
                    SentReminder.step == plan.c.step,
                )
            ),
            # Reminded by hand today ("remind all overdue"): this step waits for tomorrow.
            ~_reminded_by_hand_today(ctx, campaign, outstanding.c.user_id),
        )
    )
    # ON CONFLICT: a concurrent run that recorded the same (campaign, person, step) first wins;
    # RETURNING gives back only what this run recorded, and only that is sent.
    session = ctx.session
    recorded = session.execute(
        insert_ignoring_conflicts(session, SentReminder)
        .from_select(_SENT_COLUMNS, rows)
        .returning(SentReminder.user_id, SentReminder.step, SentReminder.due_at)
    ).all()
    analyze_after_bulk(session, SentReminder.__tablename__, len(recorded))
    # Plain tuples: the caller sorts them, and comparing result rows costs ten times more
    # (800,000 comparisons for 62,000 reminders).
    return [tuple(row) for row in recorded]


def remind(ctx: TickContext, campaign: Campaign) -> None:
    """Send each person who still has something to do the latest reminder step that has come
    and was not sent yet.

    Steps that fired before the person was assigned are skipped (the assignment message
    said it all); after downtime only the latest step goes out, as one combined reminder.
    """
    plan = _reminder_plan(ctx, campaign)
    if plan is None:
        return
    inserted = _record_reminders(ctx, campaign, plan)
    if not inserted:
        return
    ctx.counts.reminders += len(inserted)
    steps = {
        row.step: row
        for row in ctx.session.execute(select(plan.c.step, plan.c.kind, plan.c.number))
    }
    recipients = ctx.recipients(u for u, _step, _due in inserted)
    modules = _outstanding_modules(ctx, campaign, {u for u, _step, _due in inserted})
    messages = []
    for user_id, key, due_at in sorted(inserted):
        recipient = recipients.get(user_id)
        step = steps.get(key)
        if recipient is None or step is None or not modules.get(user_id):
            continue
        kind = Kind.OVERDUE if step.kind == "overdue" else Kind.REMINDER
        extra = {"days": step.number} if step.kind == "before" else {"week": step.number}
        messages.append(
            ctx.learner_message(
                campaign,
                recipient,
                kind,
                modules[user_id],
                due_at,
                key=f"campaigns:{campaign.id}:{key}:{user_id}",
                extra=extra,
            )
        )
    ctx.send(messages, recipients)


def _record_overdue_now(ctx: TickContext, campaign: Campaign, key: str) -> list[Any]:
    """Record today's "remind all overdue" step for everyone overdue who got no reminder of
    this campaign today; returns (user, earliest due) this run recorded."""
    today = local_date(ctx.now, ctx.tz)
    open_ = ctx.open_assignments(campaign)
    overdue = (
        select(open_.c.user_id, func.min(open_.c.due_at).label("due_at"))
        .where(open_.c.due_at < at(ctx.now))
        .group_by(open_.c.user_id)
        .subquery("overdue")
    )
    rows = select(
        literal(campaign.id), overdue.c.user_id, literal(key), overdue.c.due_at, at(ctx.now)
    ).where(
        ~exists(
            select(1).where(
                SentReminder.campaign_id == campaign.id,
                SentReminder.user_id == overdue.c.user_id,
                SentReminder.created_at >= at(day_start(today, ctx.tz)),
            )
        )
    )
    session = ctx.session
    return [
        tuple(row)
        for row in session.execute(
            insert_ignoring_conflicts(session, SentReminder)
            .from_select(_SENT_COLUMNS, rows)
            .returning(SentReminder.user_id, SentReminder.due_at)
        ).all()
    ]


def remind_all_overdue(session: Session, campaign: Campaign, now: datetime) -> int:
    """Send everyone overdue in an active campaign one message listing their overdue modules.

    Idempotent per person and day: the step key carries the local day, so pressing the button
    twice, or in two tabs, sends nothing more; people who already got a reminder of this
    campaign today (from the tick) are left out. Goes through the same sent-reminder table,
    messages and outbox as the tick. Returns how many people were reminded.
    """
    if campaign.state != CampaignState.ACTIVE:
        return 0
    ctx = TickContext(session, now, TickCounts())
    key = overdue_now_step(local_date(now, ctx.tz))
    try:
        inserted = _record_overdue_now(ctx, campaign, key)
        people = {user_id for user_id, _due in inserted}
        modules = _outstanding_modules(ctx, campaign, people, overdue_only=True) if people else {}
    finally:
        ctx.close()
    if not inserted:
        return 0
    recipients = ctx.recipients(people)
    messages = [
        ctx.learner_message(
            campaign,
            recipients[user_id],
            Kind.OVERDUE,
            modules[user_id],
            due_at,
            key=f"campaigns:{campaign.id}:{key}:{user_id}",
            extra={},
        )
        for user_id, due_at in sorted(inserted)
        if user_id in recipients and modules.get(user_id)
    ]
    ctx.send(messages, recipients)
    session.flush()
    return len(messages)
