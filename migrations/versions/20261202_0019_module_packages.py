"""module packages shared between providers (issue 15): origin and licence of a module

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 20:20:00

A module imported from another provider's package records where it came from (provider,
installation, original id, content version) and under which licence it may be adapted.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# Never let batch mode rebuild `modules` on SQLite: dropping the old table with foreign keys on
# would cascade to versions, drafts and media (see 0008). ADD/DROP COLUMN is enough.
RECREATE = "never"


def upgrade():
    with op.batch_alter_table("modules", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("licence_spdx", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("licence_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("licence_text", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("modules", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("licence_text")
        batch_op.drop_column("licence_url")
        batch_op.drop_column("licence_spdx")
        batch_op.drop_column("origin")
