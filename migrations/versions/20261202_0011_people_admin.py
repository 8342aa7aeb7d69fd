"""unit closing, audit before/after, admin pages (issue 11)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 17:30:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
