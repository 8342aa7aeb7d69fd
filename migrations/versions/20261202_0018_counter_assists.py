"""counter assist log (issue 15)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 20:20:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
