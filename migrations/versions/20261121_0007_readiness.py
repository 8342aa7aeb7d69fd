"""readiness tables: daily readiness snapshots per campaign and unit, page ratings and
problem reports on module pages

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 19:45:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "readiness_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("ready", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("taken_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_readiness_snapshots_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_readiness_snapshots_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_snapshots")),
        sa.UniqueConstraint(
            "campaign_id",
            "unit_id",
            "day",
            name=op.f("uq_readiness_snapshots_campaign_id_unit_id_day"),
        ),
    )
    with op.batch_alter_table("readiness_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_readiness_snapshots_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "page_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("is_helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_page_ratings_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["module_pages.id"],
            name=op.f("fk_page_ratings_page_id_module_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_page_ratings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_ratings")),
        sa.UniqueConstraint("user_id", "page_id", name=op.f("uq_page_ratings_user_id_page_id")),
    )
    with op.batch_alter_table("page_ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_ratings_module_id"), ["module_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_page_ratings_page_id"), ["page_id"], unique=False)

    op.create_table(
        "problem_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "in_progress",
                "handled",
                name="reportstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("status_changed_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("status_changed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_problem_reports_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["module_pages.id"],
            name=op.f("fk_problem_reports_page_id_module_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["status_changed_by_id"],
            ["users.id"],
            name=op.f("fk_problem_reports_status_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_problem_reports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["module_versions.id"],
            name=op.f("fk_problem_reports_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_reports")),
    )
    with op.batch_alter_table("problem_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_problem_reports_module_id_status", ["module_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_problem_reports_page_id"), ["page_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_problem_reports_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("problem_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_problem_reports_user_id"))
        batch_op.drop_index(batch_op.f("ix_problem_reports_page_id"))
        batch_op.drop_index("ix_problem_reports_module_id_status")

    op.drop_table("problem_reports")
    with op.batch_alter_table("page_ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_ratings_page_id"))
        batch_op.drop_index(batch_op.f("ix_page_ratings_module_id"))

    op.drop_table("page_ratings")
    with op.batch_alter_table("readiness_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_readiness_snapshots_unit_id"))

    op.drop_table("readiness_snapshots")
