"""campaigns tables: campaigns, their modules and audience, assignments, sent reminders,
notices, notification preferences and calendar-feed tokens

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 19:45:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.JSON(), nullable=False),
        sa.Column("theme", sa.JSON(), nullable=False),
        sa.Column("description_markdown", sa.Text(), nullable=False),
        sa.Column("description_html", sa.Text(), nullable=False),
        sa.Column("owner_unit_id", sa.Integer(), nullable=True),
        sa.Column("owner_provider_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "scheduled",
                "active",
                "closed",
                name="campaignstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("assign_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("due_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("starts_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("readiness_percent", sa.Integer(), nullable=True),
        sa.Column("readiness_min_per_branch", sa.Integer(), nullable=True),
        sa.Column("reminder_days", sa.JSON(), nullable=False),
        sa.Column("remind_weekly_overdue", sa.Boolean(), nullable=False),
        sa.Column("send_digests", sa.Boolean(), nullable=False),
        sa.Column("late_joiner_days", sa.Integer(), nullable=False),
        sa.Column("audience_roles", sa.JSON(), nullable=False),
        sa.Column("is_yearly", sa.Boolean(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("scheduled_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("activated_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(owner_unit_id IS NULL AND owner_provider_id IS NOT NULL) OR (owner_unit_id IS NOT NULL AND owner_provider_id IS NULL)",
            name=op.f("ck_campaigns_one_owner"),
        ),
        sa.CheckConstraint("due_at > assign_at", name=op.f("ck_campaigns_due_after_assign")),
        sa.CheckConstraint(
            "readiness_percent IS NULL OR (readiness_percent >= 0 AND readiness_percent <= 100)",
            name=op.f("ck_campaigns_readiness_percent_range"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_campaigns_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_provider_id"],
            ["providers.id"],
            name=op.f("fk_campaigns_owner_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["owner_unit_id"],
            ["units.id"],
            name=op.f("fk_campaigns_owner_unit_id_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["campaigns.id"],
            name=op.f("fk_campaigns_previous_id_campaigns"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("previous_id", name=op.f("uq_campaigns_previous_id")),
        sa.UniqueConstraint("registration", name=op.f("uq_campaigns_registration")),
    )

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaigns_owner_provider_id"), ["owner_provider_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_campaigns_owner_unit_id"), ["owner_unit_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_campaigns_state"), ["state"], unique=False)
        batch_op.create_index("ix_campaigns_state_assign_at", ["state", "assign_at"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("read_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notices_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notices_dedupe_key")),
    )

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_notices_user_id_read_at", ["user_id", "read_at"], unique=False)

    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "in_app", name="channel", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("unsubscribed_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preferences")),
        sa.UniqueConstraint("user_id", name=op.f("uq_notification_preferences_user_id")),
    )

    op.create_table(
        "calendar_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("personal", "campaign", name="feedkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("token_prefix", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'personal' AND campaign_id IS NULL) OR (kind = 'campaign' AND campaign_id IS NOT NULL)",
            name=op.f("ck_calendar_tokens_kind_matches_campaign"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_calendar_tokens_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_calendar_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_tokens_token_hash")),
    )

    with op.batch_alter_table("calendar_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_tokens_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_calendar_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "campaign_audience_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_excluded", sa.Boolean(), nullable=False),
        sa.Column("added_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_audience_people_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_campaign_audience_people_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_audience_people")),
        sa.UniqueConstraint(
            "campaign_id", "user_id", name=op.f("uq_campaign_audience_people_campaign_id_user_id")
        ),
    )

    with op.batch_alter_table("campaign_audience_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_audience_people_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "campaign_audience_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("include_subunits", sa.Boolean(), nullable=False),
        sa.Column("added_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_audience_units_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_campaign_audience_units_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_audience_units")),
        sa.UniqueConstraint(
            "campaign_id", "unit_id", name=op.f("uq_campaign_audience_units_campaign_id_unit_id")
        ),
    )

    with op.batch_alter_table("campaign_audience_units", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_audience_units_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "campaign_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("refresher_module_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("added_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_modules_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_campaign_modules_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["refresher_module_id"],
            ["modules.id"],
            name=op.f("fk_campaign_modules_refresher_module_id_modules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_modules")),
        sa.UniqueConstraint(
            "campaign_id", "module_id", name=op.f("uq_campaign_modules_campaign_id_module_id")
        ),
    )

    with op.batch_alter_table("campaign_modules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_campaign_modules_module_id"), ["module_id"], unique=False
        )

    op.create_table(
        "sent_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("due_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_sent_reminders_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sent_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_reminders")),
        sa.UniqueConstraint(
            "campaign_id",
            "user_id",
            "step",
            name=op.f("uq_sent_reminders_campaign_id_user_id_step"),
        ),
    )

    with op.batch_alter_table("sent_reminders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sent_reminders_user_id"), ["user_id"], unique=False)

    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("campaign_module_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("is_required", sa.Boolean(), nullable=False),
        sa.Column("is_refresher", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("due_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("notified_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column(
            "removal_reason",
            sa.Enum(
                "left_audience",
                "module_removed",
                name="removalreason",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_assignments_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_module_id"],
            ["campaign_modules.id"],
            name=op.f("fk_assignments_campaign_module_id_campaign_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_assignments_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_assignments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "campaign_id",
            "user_id",
            "module_id",
            name=op.f("uq_assignments_campaign_id_user_id_module_id"),
        ),
        sa.UniqueConstraint(
            "campaign_module_id", "user_id", name=op.f("uq_assignments_campaign_module_id_user_id")
        ),
    )

    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignments_campaign_id_removed_at", ["campaign_id", "removed_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_assignments_module_id"), ["module_id"], unique=False)
        batch_op.create_index(
            "ix_assignments_user_id_removed_at", ["user_id", "removed_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_assignments_user_id_removed_at")
        batch_op.drop_index(batch_op.f("ix_assignments_module_id"))
        batch_op.drop_index("ix_assignments_campaign_id_removed_at")

    op.drop_table("assignments")

    with op.batch_alter_table("sent_reminders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sent_reminders_user_id"))

    op.drop_table("sent_reminders")

    with op.batch_alter_table("campaign_modules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_modules_module_id"))

    op.drop_table("campaign_modules")

    with op.batch_alter_table("campaign_audience_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_audience_units_unit_id"))

    op.drop_table("campaign_audience_units")

    with op.batch_alter_table("campaign_audience_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaign_audience_people_user_id"))

    op.drop_table("campaign_audience_people")

    with op.batch_alter_table("calendar_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_tokens_user_id"))
        batch_op.drop_index(batch_op.f("ix_calendar_tokens_campaign_id"))

    op.drop_table("calendar_tokens")

    op.drop_table("notification_preferences")

    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_user_id_read_at")
        batch_op.drop_index(batch_op.f("ix_notices_created_at"))

    op.drop_table("notices")

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_campaigns_state_assign_at")
        batch_op.drop_index(batch_op.f("ix_campaigns_state"))
        batch_op.drop_index(batch_op.f("ix_campaigns_owner_unit_id"))
        batch_op.drop_index(batch_op.f("ix_campaigns_owner_provider_id"))

    op.drop_table("campaigns")
