"""HR import, invitations, erasure (issue 11)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:30:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
