"""users.extra_time_percent: extra time on timed quizzes as a personal accommodation

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 21:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Never let batch mode rebuild `users` on SQLite: dropping the old table with foreign keys on
# would cascade to role assignments. ALTER TABLE ADD/DROP COLUMN (SQLite 3.35+) is enough, and
# the CHECK goes inline with the column so SQLite can add it (and drop it with the column).
RECREATE = "never"


def upgrade():
    with op.batch_alter_table("users", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(
            sa.Column(
                "extra_time_percent",
                sa.Integer(),
                sa.CheckConstraint(
                    "extra_time_percent >= 0 AND extra_time_percent <= 300",
                    name=op.f("ck_users_extra_time_range"),
                ),
                server_default="0",
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("users", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("extra_time_percent")
