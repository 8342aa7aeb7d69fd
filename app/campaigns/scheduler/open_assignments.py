"""A campaign's open required assignments, worked out once per tick run and campaign.

Reminders and digests each asked "which required assignments of this campaign are still open",
and each answer tests every assignment for a completion that counts: hundreds of thousands
in a national campaign, three times per campaign and run (who to remind, how many are behind
per unit, who they are). The tick now works the set out once per campaign into a temporary
table and reads that. A temporary table belongs to its connection, so concurrent runs never
see each other's; it is made and filled in the run's transaction and dropped at its end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, Index, Integer, MetaData, Table, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from app.campaigns.assignment_done import campaigns_assignment_done
from app.campaigns.models import Assignment, Campaign, CampaignModule
from app.campaigns.sql import at
from app.db import TZDateTime
from app.people.models import User

if TYPE_CHECKING:
    from app.campaigns.scheduler.context import TickContext

# Not in the models' metadata: no migration makes it, each run does.
OPEN = Table(
    "tick_open_assignments",
    MetaData(),
    Column("assignment_id", Integer, primary_key=True),
    Column("user_id", Integer, nullable=False),
    Column("unit_id", Integer),
    Column("module_id", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("due_at", TZDateTime(), nullable=False),
    Column("assigned_at", TZDateTime(), nullable=False),
    Index("ix_tick_open_assignments_user_id", "user_id"),
    prefixes=["TEMPORARY"],
)


def fill(ctx: TickContext, campaign: Campaign) -> Table:
    """Make `OPEN` hold the campaign's open assignments, with each person's unit and the
    module's position: live, required, dated and not done (the rule of
    `app.tracking.completion_sql`, as the joins of `campaigns_assignment_done`)."""
    connection = ctx.session.connection()
    connection.execute(DropTable(OPEN, if_exists=True))
    connection.execute(CreateTable(OPEN))
    cm = aliased(CampaignModule)
    joins = campaigns_assignment_done(lambda column: column == campaign.id, at(ctx.now))
    rows = joins.join(
        select(
            Assignment.id,
            Assignment.user_id,
            User.unit_id,
            Assignment.module_id,
            cm.position,
            Assignment.due_at,
            Assignment.assigned_at,
        )
        .join(cm, cm.id == Assignment.campaign_module_id)
        .join(User, User.id == Assignment.user_id),
        Assignment,
        cm,
        at(campaign.assign_at),
    ).where(
        Assignment.campaign_id == campaign.id,
        Assignment.removed_at.is_(None),
        Assignment.is_required.is_(True),
        Assignment.due_at.is_not(None),
        ~joins.done,
    )
    connection.execute(OPEN.insert().from_select([c.name for c in OPEN.columns], rows))
    for index in OPEN.indexes:  # after the rows: one sort instead of an insert each
        connection.execute(CreateIndex(index))
    if connection.dialect.name == "postgresql":
        # Autovacuum never analyses a temporary table: without statistics the planner would
        # take it for a few rows in the joins that read it.
        connection.execute(text(f"ANALYZE {OPEN.name}"))
    return OPEN


def drop(session: Session) -> None:
    """Drop the run's table (if it made one)."""
    session.connection().execute(DropTable(OPEN, if_exists=True))
