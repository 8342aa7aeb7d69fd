"""Writes of the readiness feature: daily snapshots and managers' reminders.

Every function adds and flushes; the view or command that called it commits once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from app.campaigns.models import Assignment, Campaign, CampaignModule, CampaignState
from app.db import TZDateTime
from app.people.models import Unit, User
from app.platform.audit import record_event
from app.readiness.models import ReadinessSnapshot
from app.readiness.queries.counting import assignment_done
from app.timekeeping import clock

log = logging.getLogger(__name__)


def _dialect_insert(session: Session, model: Any) -> Any:
    """Return the INSERT of the session's database that understands ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


# --- daily snapshots --------------------------------------------------------------------------


def snapshot_select(campaign_ids: Sequence[int], day: date, now: datetime) -> Any:
    """SELECT the snapshot rows of `day`: per campaign and unit, the people of its subtree.

    People are aggregated per unit they belong to first (one row per unit), then added up
    to every ancestor by joining the units whose path is a prefix of the unit's path.
    """
    per_person = _per_person(campaign_ids, now)
    per_unit = (
        select(
            per_person.c.campaign_id,
            per_person.c.unit_id,
            func.count().label("assigned"),
            func.sum(case((per_person.c.done >= per_person.c.required, 1), else_=0)).label("ready"),
            func.sum(case((per_person.c.late > 0, 1), else_=0)).label("overdue"),
        )
        .group_by(per_person.c.campaign_id, per_person.c.unit_id)
        .subquery("per_unit")
    )
    member = aliased(Unit)
    ancestor = aliased(Unit)
    return (
        select(
            per_unit.c.campaign_id,
            ancestor.id,
            literal(day),
            func.sum(per_unit.c.assigned),
            func.sum(per_unit.c.ready),
            func.sum(per_unit.c.overdue),
            literal(now, TZDateTime()),
        )
        .join(member, member.id == per_unit.c.unit_id)
        .join(ancestor, member.path.like(ancestor.path.concat("%")))
        .where(literal(True))  # SQLite needs a WHERE before ON CONFLICT after a join
        .group_by(per_unit.c.campaign_id, ancestor.id)
    )


def _per_person(campaign_ids: Sequence[int], now: datetime) -> Any:
    """Subquery: per campaign and active person with a unit, their required, done and late
    assignments (the campaigns' whole network: snapshots know no viewer)."""
    joins = assignment_done(campaign_ids, now)
    done = case((joins.done, 1), else_=0)
    late = case(
        (and_(~joins.done, Assignment.due_at.is_not(None), Assignment.due_at < now), 1),
        else_=0,
    )
    query = (
        select(
            Assignment.campaign_id,
            Assignment.user_id,
            User.unit_id,
            func.count().label("required"),
            func.sum(done).label("done"),
            func.sum(late).label("late"),
        )
        .join(User, User.id == Assignment.user_id)
        .join(CampaignModule, CampaignModule.id == Assignment.campaign_module_id)
    )
    # Read only for refreshers (the rule's other branch comes first), not joined to every row.
    assign_at = (
        select(Campaign.assign_at).where(Campaign.id == Assignment.campaign_id).scalar_subquery()
    )
    return (
        joins.join(query, Assignment, CampaignModule, assign_at)
        .where(
            Assignment.campaign_id.in_(list(campaign_ids)),
            Assignment.removed_at.is_(None),
            Assignment.is_required.is_(True),
            User.is_active.is_(True),
            User.unit_id.is_not(None),
        )
        .group_by(Assignment.campaign_id, Assignment.user_id, User.unit_id)
        .subquery("per_person")
    )


def take_snapshots(session: Session, now: datetime, *, tz: ZoneInfo | None = None) -> int:
    """Record today's readiness of every active campaign and unit, once a day.

    One INSERT ... SELECT ... ON CONFLICT DO NOTHING: a second run the same day (or two runs at
    once) adds nothing. Returns the number of rows inserted.
    """
    zone = tz or clock.platform_zone()
    day = now.astimezone(zone).date()
    campaign_ids = list(
        session.scalars(select(Campaign.id).where(Campaign.state == CampaignState.ACTIVE))
    )
    if not campaign_ids:
        return 0
    statement = (
        _dialect_insert(session, ReadinessSnapshot)
        .from_select(
            ["campaign_id", "unit_id", "day", "assigned", "ready", "overdue", "taken_at"],
            snapshot_select(campaign_ids, day, now),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "unit_id", "day"])
        # RETURNING counts what this run inserted (the drivers report no rowcount here).
        .returning(ReadinessSnapshot.id)
    )
    inserted = len(session.connection().execute(statement).all())
    log.info(
        "readiness snapshots for %s: %s rows for %d campaign(s)", day, inserted, len(campaign_ids)
    )
    return inserted


def snapshot_tick_task(session: Session, now: datetime) -> None:
    """The scheduler's hook (`app.platform.hooks.TICK_TASKS`): take today's snapshots."""
    take_snapshots(session, now)


# --- reminders --------------------------------------------------------------------------------


def reminder_key(campaign_id: int, user_id: int, day: date) -> str:
    """The dedupe key of a manager's reminder: one per campaign, person and day."""
    return f"readiness:remind:{campaign_id}:{user_id}:{day.isoformat()}"


def send_reminder(
    session: Session,
    *,
    campaign: Campaign,
    person: User,
    module_ids: Sequence[int],
    due_at: datetime | None,
    actor: User,
    now: datetime,
    day: date,
    ip: str | None = None,
) -> bool:
    """Remind one person of what they still have to do, at most once a day per campaign.

    Reuses the campaign messages (an in-app notice, and an e-mail through the outbox unless
    the person chose in-app only, in their language). The audit log records who reminded
    whom. Returns False when today's reminder had already gone out.
    """
    from app.campaigns.links import LinkBuilder
    from app.campaigns.notices import load_recipients, send_messages

    recipients = load_recipients(session, [person.id], _default_language())
    recipient = recipients.get(person.id)
    if recipient is None:
        return False
    links = LinkBuilder()
    message = _reminder_message(
        session,
        campaign,
        person.id,
        recipient.language,
        module_ids,
        due_at,
        now,
        key=reminder_key(campaign.id, person.id, day),
        links=links,
    )
    notices, _emails = send_messages(session, [message], recipients, now, links)
    if not notices:
        return False
    record_event(
        session,
        "readiness.reminder_sent",
        actor_id=actor.id,
        object_type="user",
        object_id=person.id,
        ip_address=ip,
        now=now,
        campaign_id=campaign.id,
        modules=",".join(str(m) for m in module_ids),
    )
    session.flush()
    return True


def _reminder_message(
    session: Session,
    campaign: Campaign,
    user_id: int,
    language: str,
    module_ids: Sequence[int],
    due_at: datetime | None,
    now: datetime,
    *,
    key: str,
    links: Any,
) -> Any:
    """The campaign message of a manager's reminder (overdue once the due date has passed)."""
    from app.campaigns.notices import Message
    from app.campaigns.phrases import Kind
    from app.campaigns.queries.modules import module_infos

    infos = module_infos(session, module_ids)
    titles = [infos[m].title_in(language) for m in module_ids if m in infos]
    first = infos.get(module_ids[0]) if module_ids else None
    overdue = due_at is not None and due_at < now
    return Message(
        user_id=user_id,
        kind=Kind.OVERDUE if overdue else Kind.REMINDER,
        params={
            "campaign_id": campaign.id,
            "campaign": campaign.name_in(language),
            "modules": titles,
            "due": due_at.astimezone(clock.platform_zone()).date().isoformat() if due_at else None,
            "days": max((due_at - now).days, 0) if due_at else 0,
            "by_manager": True,
        },
        url=links.url("content.module_page", slug=first.slug) if first else None,
        dedupe_key=key,
        email_lines=titles,
    )


def _default_language() -> str:
    from flask import current_app

    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "fr"
