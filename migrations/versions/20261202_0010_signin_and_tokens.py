"""sign-in throttle and API token lifetime (issue 11)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:30:00

The fixed-window `rate_limit_counters` (which counted successes and allowed a double burst at
a window's edge) give way to `throttle_events`, a sliding log of failed password checks and
reset requests. API tokens record why they were revoked.
"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Never let batch mode rebuild `api_tokens` on SQLite (see 0008): ADD/DROP COLUMN is enough.
RECREATE = "never"


def upgrade():
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("occurred_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_events")),
    )
    op.create_index(
        "ix_throttle_events_kind_account",
        "throttle_events",
        ["kind", "account", "occurred_at"],
        unique=False,
    )
    op.create_index(
        "ix_throttle_events_kind_address",
        "throttle_events",
        ["kind", "address", "occurred_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_throttle_events_occurred_at"), "throttle_events", ["occurred_at"], unique=False
    )
    op.drop_table("rate_limit_counters")
    with op.batch_alter_table("api_tokens", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(sa.Column("revoked_reason", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("revoked_reason")
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("window_start_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start_at", name=op.f("pk_rate_limit_counters")),
    )
    op.drop_index(op.f("ix_throttle_events_occurred_at"), table_name="throttle_events")
    op.drop_index("ix_throttle_events_kind_address", table_name="throttle_events")
    op.drop_index("ix_throttle_events_kind_account", table_name="throttle_events")
    op.drop_table("throttle_events")
