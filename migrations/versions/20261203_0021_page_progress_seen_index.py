"""page progress: one index with every equality of "pages seen in a version, variant and cycle"

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 06:40:00

The index on (user_id, module_version_id) left the variant and cycle to a scan. SQLite without
table statistics then preferred the single-column variant index and read every learner's
progress in that variant: 36 ms for my learning's statement at 500 people, 2.7 ms with this
index. The new index covers the old one's prefix, so the old one goes.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("page_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_page_progress_user_version_variant_cycle",
            ["user_id", "module_version_id", "variant_id", "cycle"],
            unique=False,
        )
        batch_op.drop_index("ix_page_progress_user_id_module_version_id")


def downgrade() -> None:
    with op.batch_alter_table("page_progress", schema=None) as batch_op:
        batch_op.create_index(
            "ix_page_progress_user_id_module_version_id",
            ["user_id", "module_version_id"],
            unique=False,
        )
        batch_op.drop_index("ix_page_progress_user_version_variant_cycle")
