"""attestations (issue 15): a module may be an attestation, completed by confirming it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 20:20:00

`modules.kind` is "module" (learn it) or "attestation" (read a policy text and confirm the
current version by re-authenticating). Every existing module stays a module. The confirmation
itself is a tracking statement (verb `attested`), so no table of its own is needed.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

# Never let batch mode rebuild `modules` on SQLite: dropping the old table with foreign keys on
# would cascade to versions, drafts and media (see 0008). ADD/DROP COLUMN is enough.
RECREATE = "never"


def upgrade():
    with op.batch_alter_table("modules", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("module", "attestation", name="modulekind", native_enum=False, length=16),
                server_default="module",
                nullable=False,
            )
        )


def downgrade():
    with op.batch_alter_table("modules", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("kind")
