"""What a tick run works out once per campaign and reads several times: temporary tables.

Reminders and digests each asked "which required assignments of this campaign are still open",
and each answer tests every assignment for a completion that counts: hundreds of thousands in
a national campaign, three times per campaign and run (who to remind, how many are behind per
unit, who they are). Newcomers, returners and leavers each worked out the campaign's audience
again (every active person tested against the audience units and roles). Each set is now
worked out once per campaign into a temporary table that the steps read. A temporary table
belongs to its connection, so concurrent runs never see each other's; it is made and filled
in the run's transaction and dropped at its end (`TickContext.close`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, Table, select, text
from sqlalchemy.orm import Session, aliased
from sqlalchemy.schema import CreateIndex, CreateTable, DropTable

from app.campaigns.assignment_done import campaigns_assignment_done
from app.campaigns.audience import audience_select
from app.campaigns.models import Assignment, Campaign, CampaignModule
from app.campaigns.sql import at
from app.db import TZDateTime
from app.people.models import User

# Not in the models' metadata: no migration makes them, each run does.
_METADATA = MetaData()

OPEN_ASSIGNMENTS = Table(
    "tick_open_assignments",
    _METADATA,
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

AUDIENCE = Table(
    "tick_audience",
    _METADATA,
    Column("user_id", Integer, primary_key=True),
    Column("unit_id", Integer),
    prefixes=["TEMPORARY"],
)


def open_assignments_rows(now: datetime, campaign: Campaign) -> Any:
    """SELECT the campaign's open assignments, with each person's unit and the module's
    position: live, required, dated and not done (the rule of `app.tracking.completion_sql`,
    as the joins of `campaigns_assignment_done`)."""
    cm = aliased(CampaignModule)
    joins = campaigns_assignment_done(lambda column: column == campaign.id, at(now))
    return joins.join(
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


def audience_rows(campaign: Campaign) -> Any:
    """SELECT user_id, unit_id of the campaign's audience now (`audience_select`)."""
    return audience_select(campaign.id, campaign.audience_roles)


def fill(session: Session, table: Table, rows: Any) -> Table:
    """Make `table` hold `rows` (a SELECT of its columns), whatever it held before."""
    connection = session.connection()
    connection.execute(DropTable(table, if_exists=True))
    connection.execute(CreateTable(table))
    connection.execute(table.insert().from_select([c.name for c in table.columns], rows))
    for index in table.indexes:  # after the rows: one sort instead of an insert each
        connection.execute(CreateIndex(index))
    if connection.dialect.name == "postgresql":
        # Autovacuum never analyses a temporary table: without statistics the planner would
        # take it for a few rows in the joins that read it.
        connection.execute(text(f"ANALYZE {table.name}"))
    return table


def drop(session: Session, table: Table) -> None:
    """Drop a run's table (if it made one)."""
    session.connection().execute(DropTable(table, if_exists=True))
