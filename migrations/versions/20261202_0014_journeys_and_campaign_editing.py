"""learner journeys and campaign editing (issue 12)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:40:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
