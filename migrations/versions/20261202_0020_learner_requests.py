"""requests a learner can follow (issue 15): problem reports become requests of three kinds
(problem, new module, question) with a timeline table `request_events`

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 20:20:00

Existing reports get a "received" event from their `created_at`, and their status changes
from the audit log (`readiness.report_status`, which has the old and the new status); a report
moved without an audit row gets one status event from `status_changed_at`.
"""

import json

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

STATUSES = ("received", "in_progress", "handled")
KINDS = ("problem", "new_module", "question")
EVENT_KINDS = ("received", "status", "answer", "follow_up")
NULLABLE_NOW = ("page_id", "module_id", "version_id")
CHECK = (
    "kind <> 'problem' OR (page_id IS NOT NULL AND module_id IS NOT NULL"
    " AND version_id IS NOT NULL)"
)


def _status_type() -> sa.Enum:
    return sa.Enum(*STATUSES, name="reportstatus", native_enum=False, length=24)


def upgrade():
    # New columns: plain ADD COLUMN, never a rebuild (see 0008).
    with op.batch_alter_table("problem_reports", schema=None, recreate="never") as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(*KINDS, name="requestkind", native_enum=False, length=24),
                server_default="problem",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("audience", sa.String(length=500), nullable=True))
    # Page, module and version become optional (a question need not be about a page). SQLite
    # cannot relax NOT NULL in place, so this batch rebuilds problem_reports there; that is
    # safe because no table refers to problem_reports yet (request_events comes below), so
    # dropping the old copy cascades nowhere. PostgreSQL alters the columns in place.
    with op.batch_alter_table("problem_reports", schema=None) as batch_op:
        for name in NULLABLE_NOW:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f("fk_problem_reports_provider_id_providers"),
            "providers",
            ["provider_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint("problem_has_page", CHECK)
        batch_op.create_index(
            batch_op.f("ix_problem_reports_provider_id"), ["provider_id"], unique=False
        )

    op.create_table(
        "request_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*EVENT_KINDS, name="eventkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("old_status", _status_type(), nullable=True),
        sa.Column("new_status", _status_type(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_request_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["problem_reports.id"],
            name=op.f("fk_request_events_request_id_problem_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_events")),
    )
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_request_events_request_id_created_at", ["request_id", "created_at"], unique=False
        )
    _route_and_time_existing_reports()


def _route_and_time_existing_reports() -> None:
    """Route existing reports to their module's provider and write their timelines."""
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE problem_reports SET provider_id = "
            "(SELECT modules.provider_id FROM modules WHERE modules.id = problem_reports.module_id)"
            " WHERE module_id IS NOT NULL"
        )
    )
    reports = sa.table(
        "problem_reports",
        sa.column("id", sa.Integer()),
        sa.column("user_id", sa.Integer()),
        sa.column("status", sa.String()),
        sa.column("created_at", app.db.TZDateTime()),
        sa.column("status_changed_at", app.db.TZDateTime()),
        sa.column("status_changed_by_id", sa.Integer()),
    )
    audit = sa.table(
        "audit_events",
        sa.column("occurred_at", app.db.TZDateTime()),
        sa.column("actor_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("object_type", sa.String()),
        sa.column("object_id", sa.Integer()),
        sa.column("details", sa.JSON()),
    )
    events = sa.table(
        "request_events",
        sa.column("request_id", sa.Integer()),
        sa.column("kind", sa.String()),
        sa.column("actor_id", sa.Integer()),
        sa.column("created_at", app.db.TZDateTime()),
        sa.column("old_status", sa.String()),
        sa.column("new_status", sa.String()),
    )
    rows = []
    known = {}
    for report in bind.execute(sa.select(reports).order_by(reports.c.id)):
        known[report.id] = report
        rows.append(
            {
                "request_id": report.id,
                "kind": "received",
                "actor_id": report.user_id,
                "created_at": report.created_at,
                "old_status": None,
                "new_status": "received",
            }
        )
    logged = set()
    changes = bind.execute(
        sa.select(audit)
        .where(audit.c.action == "readiness.report_status", audit.c.object_type == "problem_report")
        .order_by(audit.c.occurred_at)
    )
    for change in changes:
        details = change.details
        if isinstance(details, str):  # JSON read back as text on some drivers
            details = json.loads(details)
        old, new = (details or {}).get("old"), (details or {}).get("new")
        if change.object_id not in known or new not in STATUSES:
            continue
        logged.add(change.object_id)
        rows.append(
            {
                "request_id": change.object_id,
                "kind": "status",
                "actor_id": change.actor_id,
                "created_at": change.occurred_at,
                "old_status": old if old in STATUSES else None,
                "new_status": new,
            }
        )
    for report in known.values():
        if report.id in logged or report.status == "received" or not report.status_changed_at:
            continue
        rows.append(
            {
                "request_id": report.id,
                "kind": "status",
                "actor_id": report.status_changed_by_id,
                "created_at": report.status_changed_at,
                "old_status": None,
                "new_status": report.status,
            }
        )
    if rows:
        bind.execute(sa.insert(events), rows)


def downgrade():
    with op.batch_alter_table("request_events", schema=None) as batch_op:
        batch_op.drop_index("ix_request_events_request_id_created_at")
    op.drop_table("request_events")
    # Only problem reports fit the old table (page, module and version required): questions
    # and new-module requests are removed with the feature.
    op.execute("DELETE FROM problem_reports WHERE kind <> 'problem'")
    with op.batch_alter_table("problem_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_reports_provider_id"))
        batch_op.drop_constraint(op.f("ck_problem_reports_problem_has_page"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_problem_reports_provider_id_providers"), type_="foreignkey"
        )
        for name in NULLABLE_NOW:
            batch_op.alter_column(name, existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("audience")
        batch_op.drop_column("subject")
        batch_op.drop_column("provider_id")
        batch_op.drop_column("kind")
