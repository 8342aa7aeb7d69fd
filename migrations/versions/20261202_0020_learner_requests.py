"""requests a learner can follow (issue 15)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 20:20:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
