"""The tick: all time-driven campaign work in one idempotent, set-based operation.

`run_tick(session, now)` (behind `flask campaigns tick`) changes states, makes and ends
assignments, announces them, sends reminders (21/7/2 days before, weekly while overdue),
digests to managers and expiry notices, then runs the `tick_tasks` other features registered.

Idempotent in the database, not in memory: assignments are unique per (campaign, person,
module) and inserted with ON CONFLICT DO NOTHING ... RETURNING, and only the run that got a
row back announces it; reminders and digests are unique per (campaign, person, step) and
recorded the same way before anything is sent; notices and e-mails are unique per dedupe
key. A second run, or a run at the same moment in another process, finds everything done and
sends nothing. On PostgreSQL a transaction-scoped advisory lock also keeps a second
concurrent run from doing the (harmless) work twice.

Catch-up without flooding: after downtime only the latest due step is sent, once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import (
    and_,
    case,
    distinct,
    exists,
    false,
    func,
    literal,
    null,
    select,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased

from app.campaigns.audience import audience_select
from app.campaigns.links import LinkBuilder
from app.campaigns.models import (
    Assignment,
    Campaign,
    CampaignModule,
    CampaignState,
    RemovalReason,
    SentReminder,
    text_in,
)
from app.campaigns.notices import Message, Recipient, load_recipients, send_messages
from app.campaigns.phrases import Kind, digest_lines
from app.campaigns.queries import ModuleInfo, module_infos
from app.campaigns.schedule_rules import latest_step
from app.campaigns.sql import insert_ignoring_conflicts
from app.db import TZDateTime
from app.people.models import Role, RoleAssignment, Unit, User
from app.platform.hooks import TICK_TASKS
from app.timekeeping.days import day_end, day_start, local_date, zone
from app.tracking.completion_sql import (
    assignment_done_clause,
    completed_since_clause,
    expiring_completions_select,
    tracking_available,
)

log = logging.getLogger(__name__)

# Any fixed number works; it only has to be the same in every process.
ADVISORY_LOCK_KEY = 0x6361_6D70  # "camp"
EXPIRY_WINDOW = timedelta(days=30)
# How far back the refresher rule looks when a campaign has no previous one.
REFRESHER_LOOKBACK = timedelta(days=365)
DIGEST_PEOPLE_LIMIT = 50
ANALYZE_AFTER = 5_000
OVERDUE_NOW_STEP = "overdue-now"

TickTask = Callable[[Session, datetime], Any]


@dataclass
class TickReport:
    """What one run did (all zero on a second run)."""

    skipped: bool = False
    activated: int = 0
    closed: int = 0
    assigned: int = 0
    rejoined: int = 0
    dropped: int = 0
    announced: int = 0
    reminders: int = 0
    digests: int = 0
    expiry_notices: int = 0
    notices: int = 0
    emails: int = 0
    tasks: int = 0

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as a plain dict (for the CLI and logs)."""
        return asdict(self)


def _at(moment: datetime) -> Any:
    """A datetime bound with the platform's UTC type (naive UTC on SQLite)."""
    return literal(moment, TZDateTime())


class _Context:
    """What every phase needs: the session, the moment, the zone, links and recipients."""

    def __init__(self, session: Session, now: datetime, report: TickReport) -> None:
        self.session = session
        self.now = now
        self.report = report
        self.tz = zone(current_app.config.get("BABEL_DEFAULT_TIMEZONE"))
        self.default_language = current_app.config.get("BABEL_DEFAULT_LOCALE") or "fr"
        self.tracking = tracking_available(session)
        self.links = LinkBuilder()
        self._modules: dict[int, ModuleInfo] = {}
        self._names: dict[tuple[int, str], str] = {}

    def campaign_name(self, campaign: Campaign, language: str) -> str:
        """A campaign's name in a language (remembered: asked once per message)."""
        key = (campaign.id, language)
        name = self._names.get(key)
        if name is None:
            name = self._names[key] = campaign.name_in(language)
        return name

    def modules(self, ids: Iterable[int]) -> dict[int, ModuleInfo]:
        """Module slugs and titles, loaded once per run."""
        missing = set(ids) - set(self._modules)
        if missing:
            self._modules.update(module_infos(self.session, missing))
        return self._modules

    def recipients(self, user_ids: Iterable[int]) -> dict[int, Recipient]:
        """Active people with their language and channel."""
        return load_recipients(self.session, user_ids, self.default_language)

    def send(
        self, messages: list[Message], recipients: dict[int, Recipient], *, claimed: bool = True
    ) -> None:
        """Insert notices and queue e-mails; count them."""
        notices, emails = send_messages(
            self.session, messages, recipients, self.now, self.links, claimed=claimed
        )
        self.report.notices += notices
        self.report.emails += emails

    def done_clause(self, assignment: Any, cm: Any, campaign: Campaign) -> Any:
        """SQL: the assignment counts as done (see `assignment_done_clause`)."""
        return assignment_done_clause(
            assignment, cm, _at(campaign.assign_at), self.now, enabled=self.tracking
        )


def _take_lock(session: Session) -> bool:
    """On PostgreSQL, try the tick's advisory lock (held until commit); SQLite's BEGIN
    IMMEDIATE already serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(
        session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    )


def run_tick(session: Session, now: datetime, *, lock: bool = True) -> TickReport:
    """Do all time-driven campaign work due at `now`; flushes, the caller commits once."""
    report = TickReport()
    if lock and not _take_lock(session):
        report.skipped = True
        log.info("campaigns tick: another run holds the lock; nothing done")
        return report
    ctx = _Context(session, now, report)
    activated = _activate(ctx)
    _close_ended(ctx)
    campaigns = session.scalars(
        select(Campaign).where(Campaign.state == CampaignState.ACTIVE).order_by(Campaign.id)
    ).all()
    for campaign in campaigns:
        fresh = _sync_assignments(ctx, campaign, is_launch=campaign.id in activated)
        _announce(ctx, campaign, fresh)
        _remind(ctx, campaign)
        if campaign.send_digests:
            _digest(ctx, campaign)
    _expiry_notices(ctx)
    for task in TICK_TASKS.receivers():
        task(session, now)
        report.tasks += 1
    session.flush()
    log.info("campaigns tick at %s: %s", now.isoformat(), report.as_dict())
    return report


# --- states ------------------------------------------------------------------------------------


def _activate(ctx: _Context) -> set[int]:
    """Scheduled campaigns whose assignment date has come become active (conditional UPDATE:
    a concurrent run waits on the row and then finds it no longer scheduled)."""
    ids = ctx.session.scalars(
        update(Campaign)
        .where(Campaign.state == CampaignState.SCHEDULED, Campaign.assign_at <= ctx.now)
        .values(state=CampaignState.ACTIVE, activated_at=ctx.now)
        .returning(Campaign.id)
    ).all()
    ctx.report.activated = len(ids)
    if ids:
        ctx.session.expire_all()
    return set(ids)


def _close_ended(ctx: _Context) -> None:
    """Active campaigns whose public end has passed are closed."""
    ids = ctx.session.scalars(
        update(Campaign)
        .where(Campaign.state == CampaignState.ACTIVE, Campaign.ends_at <= ctx.now)
        .values(state=CampaignState.CLOSED, closed_at=ctx.now)
        .returning(Campaign.id)
    ).all()
    ctx.report.closed = len(ids)
    if ids:
        ctx.session.expire_all()


# The columns an assignment is announced with.
_ANNOUNCED = (
    Assignment.id,
    Assignment.user_id,
    Assignment.module_id,
    Assignment.campaign_module_id,
    Assignment.due_at,
)


# --- assignments -------------------------------------------------------------------------------


def _previous_assign_at(ctx: _Context, campaign: Campaign) -> datetime:
    """Since when a completion makes someone a refresher candidate."""
    if campaign.previous_id is not None:
        previous = ctx.session.get(Campaign, campaign.previous_id)
        if previous is not None:
            return previous.assign_at
    return campaign.assign_at - REFRESHER_LOOKBACK


def _sync_assignments(ctx: _Context, campaign: Campaign, *, is_launch: bool) -> list[Any]:
    """Make the assignments match the audience: new people in, leavers out, returners back.

    At launch everyone gets the campaign's due date; anyone who enters later (new hire,
    transfer, widened audience, module added) gets max(due date, today + late-joiner days).
    Returns the assignments this run made or revived, to be announced: INSERT ... ON
    CONFLICT DO NOTHING RETURNING and a conditional UPDATE ... RETURNING give each row to
    exactly one run, however many run at once.
    """
    session, now = ctx.session, ctx.now
    late_due = campaign.due_at
    if not is_launch:
        late_due = max(
            campaign.due_at,
            day_end(local_date(now, ctx.tz) + timedelta(days=campaign.late_joiner_days), ctx.tz),
        )
    audience = audience_select(campaign.id, campaign.audience_roles).subquery("audience")
    cm = aliased(CampaignModule)
    since = _previous_assign_at(ctx, campaign)
    refresher_applies = and_(
        cm.refresher_module_id.is_not(None),
        completed_since_clause(
            audience.c.user_id,
            [cm.module_id, cm.refresher_module_id],
            since,
            enabled=ctx.tracking,
        ),
    )
    rows = (
        select(
            literal(campaign.id),
            cm.id,
            audience.c.user_id,
            case((refresher_applies, cm.refresher_module_id), else_=cm.module_id),
            cm.is_required,
            case((refresher_applies, true()), else_=false()),
            _at(now),
            case((cm.is_required, _at(late_due)), else_=null()),
            _at(now),
        )
        .select_from(audience)
        .join(cm, true())
        .where(
            cm.campaign_id == campaign.id,
            cm.removed_at.is_(None),
            ~exists(
                select(1).where(
                    Assignment.campaign_module_id == cm.id,
                    Assignment.user_id == audience.c.user_id,
                )
            ),
        )
        .order_by(audience.c.user_id, cm.id)
    )
    inserted = session.execute(
        insert_ignoring_conflicts(session, Assignment)
        .from_select(
            [
                "campaign_id",
                "campaign_module_id",
                "user_id",
                "module_id",
                "is_required",
                "is_refresher",
                "assigned_at",
                "due_at",
                "notified_at",
            ],
            rows,
        )
        .returning(*_ANNOUNCED)
    ).all()
    ctx.report.assigned += len(inserted)
    if len(inserted) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # A launch adds rows by the hundred thousand in this very transaction; without fresh
        # statistics the planner takes the table for empty and picks quadratic plans for the
        # reminder and digest queries that follow.
        session.execute(text("ANALYZE assignments"))

    members = select(audience_select(campaign.id, campaign.audience_roles).subquery().c.user_id)
    live_modules = select(CampaignModule.id).where(
        CampaignModule.campaign_id == campaign.id, CampaignModule.removed_at.is_(None)
    )
    # People who left and are back (rehired, moved back): the same rows count again.
    rejoined = session.execute(
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
            notified_at=now,
            assigned_at=now,
            due_at=case((Assignment.is_required, _at(late_due)), else_=null()),
        )
        .returning(*_ANNOUNCED)
    ).all()
    ctx.report.rejoined += len(rejoined)
    # People who left (deactivated, moved out, excluded, audience narrowed): history stays.
    dropped = session.execute(
        update(Assignment)
        .where(
            Assignment.campaign_id == campaign.id,
            Assignment.removed_at.is_(None),
            Assignment.user_id.not_in(members),
        )
        .values(removed_at=now, removal_reason=RemovalReason.LEFT_AUDIENCE)
    )
    ctx.report.dropped += dropped.rowcount or 0
    return [*inserted, *rejoined]


def _announce(ctx: _Context, campaign: Campaign, claimed: list[Any]) -> None:
    """Tell people about the assignments this run made (one message per person, listing the
    modules still to do; nothing if they are all done already)."""
    if not claimed:
        return
    session = ctx.session
    ctx.report.announced += len(claimed)
    cm = aliased(CampaignModule)
    # Usually nobody (or a few) among the newly assigned is done already: one narrow query.
    done = set(
        session.scalars(
            select(Assignment.id)
            .join(cm, cm.id == Assignment.campaign_module_id)
            .where(
                Assignment.campaign_id == campaign.id,
                Assignment.notified_at == ctx.now,
                ctx.done_clause(Assignment, cm, campaign),
            )
        )
    )
    position = {m.id: m.position for m in campaign.modules}
    todo: dict[int, list[Any]] = defaultdict(list)
    for row in claimed:
        if row.id not in done:
            todo[row.user_id].append(row)
    if not todo:
        return
    recipients = ctx.recipients(todo)
    ctx.modules({r.module_id for rows in todo.values() for r in rows})  # one query for all
    messages = []
    for user_id, rows in todo.items():
        recipient = recipients.get(user_id)
        if recipient is None:
            continue
        rows.sort(key=lambda r: position.get(r.campaign_module_id, 0))
        dues = [r.due_at for r in rows if r.due_at is not None]
        messages.append(
            _learner_message(
                ctx,
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


def _learner_message(
    ctx: _Context,
    campaign: Campaign,
    recipient: Recipient,
    kind: str,
    module_ids: list[int],
    due_at: datetime | None,
    *,
    key: str,
    extra: dict[str, Any],
) -> Message:
    infos = ctx.modules(module_ids)
    titles = [infos[m].title_in(recipient.language) for m in module_ids if m in infos]
    first = infos.get(module_ids[0]) if module_ids else None
    url = ctx.links.url("content.module_page", slug=first.slug) if first else None
    params = {
        "campaign_id": campaign.id,
        "campaign": ctx.campaign_name(campaign, recipient.language),
        "modules": titles,
        "due": local_date(due_at, ctx.tz).isoformat() if due_at else None,
        **extra,
    }
    return Message(
        user_id=recipient.id,
        kind=kind,
        params=params,
        url=url,
        dedupe_key=key,
        email_lines=titles,
    )


# --- reminders and digests ---------------------------------------------------------------


def _open_required(ctx: _Context, campaign: Campaign, cm: Any) -> Any:
    """SQL: an assignment of this campaign that is open, required, dated and not done."""
    return and_(
        Assignment.campaign_id == campaign.id,
        Assignment.removed_at.is_(None),
        Assignment.is_required.is_(True),
        Assignment.due_at.is_not(None),
        ~ctx.done_clause(Assignment, cm, campaign),
    )


def _outstanding_modules(
    ctx: _Context, campaign: Campaign, user_ids: set[int]
) -> dict[int, list[int]]:
    """The modules each of these people still has to do, in the campaign's order."""
    cm = aliased(CampaignModule)
    modules: dict[int, list[int]] = defaultdict(list)
    for user_id, module_id in ctx.session.execute(
        select(Assignment.user_id, Assignment.module_id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(_open_required(ctx, campaign, cm))
        .order_by(Assignment.user_id, cm.position)
    ):
        if user_id in user_ids:
            modules[user_id].append(module_id)
    return modules


def _remind(ctx: _Context, campaign: Campaign) -> None:
    """Send each person who still has something to do the latest reminder step that has come
    and was not sent yet, as one INSERT ... SELECT into the sent-reminders table.

    Steps that fired before the person was assigned are skipped (the assignment message
    said it all); after downtime only the latest step goes out, as one combined reminder.
    The due dates in play are few (the campaign's and late joiners' own), so the plan of
    "which step is due for which due date" is computed here and joined in as a small table.
    """
    session = ctx.session
    cm = aliased(CampaignModule)
    dues = session.scalars(
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
                    _at(due).label("due_at"),
                    literal(step.key).label("step"),
                    _at(step.fires_at).label("fires_at"),
                    literal(step.kind).label("kind"),
                    literal(step.number).label("number"),
                )
            )
    if not plan_rows:
        return
    plan = (plan_rows[0] if len(plan_rows) == 1 else union_all(*plan_rows)).subquery("plan")
    outstanding = (
        select(
            Assignment.user_id,
            func.min(Assignment.due_at).label("due_at"),
            func.min(Assignment.assigned_at).label("since"),
        )
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(_open_required(ctx, campaign, cm))
        .group_by(Assignment.user_id)
        .subquery("outstanding")
    )
    rows = (
        select(
            literal(campaign.id),
            outstanding.c.user_id,
            plan.c.step,
            outstanding.c.due_at,
            _at(ctx.now),
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
    inserted = session.execute(
        insert_ignoring_conflicts(session, SentReminder)
        .from_select(["campaign_id", "user_id", "step", "due_at", "created_at"], rows)
        .returning(SentReminder.user_id, SentReminder.step, SentReminder.due_at)
    ).all()
    if not inserted:
        return
    ctx.report.reminders += len(inserted)
    steps = {
        row.step: row for row in session.execute(select(plan.c.step, plan.c.kind, plan.c.number))
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
            _learner_message(
                ctx,
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


def _reminded_by_hand_today(ctx: _Context, campaign: Campaign, user_id: Any) -> Any:
    """SQL: the person got this campaign's "remind all overdue" message today."""
    return exists(
        select(1).where(
            SentReminder.campaign_id == campaign.id,
            SentReminder.user_id == user_id,
            SentReminder.step == overdue_now_step(local_date(ctx.now, ctx.tz)),
        )
    )


def overdue_now_step(day: date) -> str:
    """The reminder step of a "remind all overdue" on a local day (once per person and day)."""
    return f"{OVERDUE_NOW_STEP}:{day.isoformat()}"


def remind_all_overdue(session: Session, campaign: Campaign, now: datetime) -> int:
    """Send everyone overdue in an active campaign one message listing their overdue modules.

    Idempotent per person and day: the step key carries the local day, so pressing the button
    twice, or in two tabs, sends nothing more; people who already got a reminder of this
    campaign today (from the tick) are left out. Goes through the same sent-reminder table,
    messages and outbox as the tick. Returns how many people were reminded.
    """
    if campaign.state != CampaignState.ACTIVE:
        return 0
    ctx = _Context(session, now, TickReport())
    today = local_date(now, ctx.tz)
    key = overdue_now_step(today)
    cm = aliased(CampaignModule)
    overdue = (
        select(Assignment.user_id, func.min(Assignment.due_at).label("due_at"))
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(_open_required(ctx, campaign, cm), Assignment.due_at < _at(now))
        .group_by(Assignment.user_id)
        .subquery("overdue")
    )
    rows = select(
        literal(campaign.id), overdue.c.user_id, literal(key), overdue.c.due_at, _at(now)
    ).where(
        ~exists(
            select(1).where(
                SentReminder.campaign_id == campaign.id,
                SentReminder.user_id == overdue.c.user_id,
                SentReminder.created_at >= _at(day_start(today, ctx.tz)),
            )
        )
    )
    inserted = session.execute(
        insert_ignoring_conflicts(session, SentReminder)
        .from_select(["campaign_id", "user_id", "step", "due_at", "created_at"], rows)
        .returning(SentReminder.user_id, SentReminder.due_at)
    ).all()
    if not inserted:
        return 0
    people = {user_id for user_id, _due in inserted}
    modules: dict[int, list[int]] = defaultdict(list)
    for user_id, module_id in session.execute(
        select(Assignment.user_id, Assignment.module_id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(_open_required(ctx, campaign, cm), Assignment.due_at < _at(now))
        .order_by(Assignment.user_id, cm.position)
    ):
        if user_id in people:
            modules[user_id].append(module_id)
    recipients = ctx.recipients(people)
    messages = [
        _learner_message(
            ctx,
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


def _digest(ctx: _Context, campaign: Campaign) -> None:
    """Send each manager whose units have people behind a digest, at the campaign's steps.

    Who is behind is counted per unit in SQL first; the people themselves are read only
    when some manager is due a digest (a few times per campaign).
    """
    step = latest_step(
        campaign.due_at,
        campaign.reminder_days or [],
        weekly_overdue=campaign.remind_weekly_overdue,
        now=ctx.now,
        tz=ctx.tz,
    )
    if step is None or (campaign.activated_at and step.fires_at < campaign.activated_at):
        return
    session = ctx.session
    key = f"digest:{step.key}"
    cm = aliased(CampaignModule)
    behind_units = dict(
        session.execute(
            select(User.unit_id, func.count(distinct(Assignment.user_id)))
            .join(User, User.id == Assignment.user_id)
            .join(cm, cm.id == Assignment.campaign_module_id)
            .where(_open_required(ctx, campaign, cm), User.unit_id.is_not(None))
            .group_by(User.unit_id)
        ).all()
    )
    if not behind_units:
        return
    units = {
        unit_id: (path, name)
        for unit_id, path, name in session.execute(select(Unit.id, Unit.path, Unit.name))
    }
    # A unit's path lists the ids of every unit above it: file each unit under all of them.
    below: dict[int, list[int]] = defaultdict(list)
    for unit_id in behind_units:
        for part in units[unit_id][0].strip("/").split("/"):
            below[int(part)].append(unit_id)
    sent = set(
        session.scalars(
            select(SentReminder.user_id).where(
                SentReminder.campaign_id == campaign.id, SentReminder.step == key
            )
        )
    )
    scope_of: dict[int, set[int]] = defaultdict(set)
    for manager_id, unit_id in session.execute(
        select(RoleAssignment.user_id, RoleAssignment.unit_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(
            RoleAssignment.role == Role.MANAGER,
            RoleAssignment.unit_id.is_not(None),
            User.is_active.is_(True),
        )
    ):
        if manager_id not in sent and below.get(unit_id):
            scope_of[manager_id].update(below[unit_id])
    if not scope_of:
        return
    # ON CONFLICT + RETURNING, as for reminders: a digest step is recorded (and sent) once.
    table = SentReminder.__table__
    inserted = {
        manager_id
        for (manager_id,) in session.execute(
            insert_ignoring_conflicts(session, table).rows().returning(table.c.user_id),
            [
                {
                    "campaign_id": campaign.id,
                    "user_id": manager_id,
                    "step": key,
                    "due_at": campaign.due_at,
                    "created_at": ctx.now,
                }
                for manager_id in sorted(scope_of)
            ],
        )
    }
    if not inserted:
        return
    ctx.report.digests += len(inserted)
    wanted_units = set().union(*(scope_of[m] for m in inserted))
    people_by_unit: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for first, last, unit_id, missing in session.execute(
        select(User.first_name, User.last_name, User.unit_id, func.count(Assignment.id))
        .join(User, User.id == Assignment.user_id)
        .join(cm, cm.id == Assignment.campaign_module_id)
        .where(_open_required(ctx, campaign, cm), User.unit_id.in_(sorted(wanted_units)))
        .group_by(User.id, User.first_name, User.last_name, User.unit_id)
        .order_by(User.last_name, User.first_name, User.id)
    ):
        people_by_unit[unit_id].append((f"{first} {last}".strip(), missing))
    recipients = ctx.recipients(inserted)
    url = ctx.links.url("campaigns.detail", campaign_id=campaign.id)
    messages = []
    for manager_id in sorted(inserted):
        recipient = recipients.get(manager_id)
        if recipient is None:
            continue
        scope = sorted(scope_of[manager_id], key=lambda u: units[u][1])
        count = sum(behind_units[u] for u in scope)
        shown: list[list[Any]] = []
        for unit_id in scope:
            for name, missing in people_by_unit[unit_id]:
                if len(shown) < DIGEST_PEOPLE_LIMIT:
                    shown.append([name, units[unit_id][1], missing])
        params = {
            "campaign_id": campaign.id,
            "campaign": campaign.name_in(recipient.language),
            "due": local_date(campaign.due_at, ctx.tz).isoformat(),
            "count": count,
            "people": shown,
            "more": max(count - len(shown), 0),
        }
        with force_locale(f"{recipient.language}_CH"):
            lines = digest_lines(params)
        messages.append(
            Message(
                user_id=manager_id,
                kind=Kind.DIGEST,
                params=params,
                url=url,
                dedupe_key=f"campaigns:{campaign.id}:{key}:{manager_id}",
                email_lines=lines,
            )
        )
    ctx.send(messages, recipients)


# --- expiry notices -----------------------------------------------------------------------


def _expiry_notices(ctx: _Context) -> None:
    """Tell people whose completion stops counting within 30 days (once per completion)."""
    if not ctx.tracking:
        return
    query = expiring_completions_select(ctx.now, ctx.now + EXPIRY_WINDOW)
    if query is None:
        return
    rows = ctx.session.execute(
        query.join(User, User.id == query.selected_columns[0]).where(User.is_active.is_(True))
    ).all()
    if not rows:
        return
    recipients = ctx.recipients({r[0] for r in rows})
    infos = ctx.modules({r[1] for r in rows})
    messages = []
    for user_id, module_id, expires_at in rows:
        recipient = recipients.get(user_id)
        info = infos.get(module_id)
        if recipient is None or info is None:
            continue
        expires = local_date(expires_at, ctx.tz).isoformat()
        title = info.title_in(recipient.language)
        messages.append(
            Message(
                user_id=user_id,
                kind=Kind.EXPIRY,
                params={"module": title, "module_id": module_id, "expires": expires},
                url=ctx.links.url("content.module_page", slug=info.slug),
                dedupe_key=f"campaigns:expiry:{user_id}:{module_id}:{expires}",
                email_lines=[],
            )
        )
    before = ctx.report.notices
    ctx.send(messages, recipients, claimed=False)
    ctx.report.expiry_notices += ctx.report.notices - before


__all__ = ["TickReport", "run_tick", "text_in"]
