"""counter assist log (issue 15)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:20:00

`counter_assists`: one row per `assisted` statement (who helped, in which unit, with which
topic, how it ended, the ISO week), so reports group by indexed columns instead of JSON. The
new verbs (`assisted`, `voided`) and object kinds need no change: those columns are VARCHARs.
"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "counter_assists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=50), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "solved",
                "referred",
                "coming_back",
                name="assistoutcome",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("assisted_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("voided_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_counter_assists_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_counter_assists_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_counter_assists_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counter_assists")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_counter_assists_statement_id")),
    )
    op.create_index(
        op.f("ix_counter_assists_unit_id"), "counter_assists", ["unit_id"], unique=False
    )
    op.create_index(
        "ix_counter_assists_week_unit_id", "counter_assists", ["week", "unit_id"], unique=False
    )
    op.create_index(
        "ix_counter_assists_user_id_assisted_at",
        "counter_assists",
        ["user_id", "assisted_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_counter_assists_user_id_assisted_at", table_name="counter_assists")
    op.drop_index("ix_counter_assists_week_unit_id", table_name="counter_assists")
    op.drop_index(op.f("ix_counter_assists_unit_id"), table_name="counter_assists")
    op.drop_table("counter_assists")
