"""unit closing, audit before/after, admin pages (issue 11)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:30:00

A closed unit keeps its people, roles and history; it only stops receiving new people and
campaign assignments, so closing is a timestamp rather than a delete.
"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Never let batch mode rebuild `units` on SQLite: dropping the old table with foreign keys on
# would cascade to role assignments (see 0008).
RECREATE = "never"


def upgrade():
    with op.batch_alter_table("units", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(sa.Column("closed_at", app.db.TZDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("units", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("closed_at")
