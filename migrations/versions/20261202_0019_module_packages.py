"""module packages shared between providers (issue 15)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 20:20:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
