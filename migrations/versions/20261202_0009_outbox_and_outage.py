"""mail delivery: stable Message-ID, resumable batches (issue 16)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 17:30:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
