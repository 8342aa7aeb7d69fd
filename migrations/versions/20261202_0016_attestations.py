"""attestations (issue 15)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 20:20:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
