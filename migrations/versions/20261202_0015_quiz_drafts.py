"""readiness forecasts and provider view (issue 12)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:40:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
