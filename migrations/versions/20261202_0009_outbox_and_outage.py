"""mail delivery: stable Message-ID, resumable batches (issue 16)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:30:00

Each outbox message keeps the Message-ID chosen when it was queued, and a delivery run marks
the messages it has taken (`claimed_at`) so that a crashed run's messages are retried once
its lease has passed. Messages queued before this revision get their Message-ID when they are
first claimed.
"""

import sqlalchemy as sa
from alembic import op

from app.db import TZDateTime

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# ALTER TABLE ADD/DROP COLUMN is enough; never let batch mode rebuild the table on SQLite
# (see 0008). The uniqueness of Message-IDs is a unique index, which SQLite can add in place.
RECREATE = "never"


def upgrade():
    with op.batch_alter_table("outbox_emails", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=250), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", TZDateTime(), nullable=True))
    op.create_index(
        op.f("ix_outbox_emails_message_id"), "outbox_emails", ["message_id"], unique=True
    )


def downgrade():
    op.drop_index(op.f("ix_outbox_emails_message_id"), table_name="outbox_emails")
    with op.batch_alter_table("outbox_emails", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("message_id")
