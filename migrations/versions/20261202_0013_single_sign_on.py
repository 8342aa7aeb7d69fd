"""OpenID Connect identities (issue 11)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:30:00

A link of the chain filled by its feature; empty until then.
"""

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
