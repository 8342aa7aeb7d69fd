"""sign-in throttle and API token lifetime (issue 11)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:30:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
