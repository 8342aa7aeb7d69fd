"""quiz_drafts: the working copy of a quiz edited in forms, published as the next version

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:40:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quiz_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_drafts_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["base_version_id"],
            ["quiz_versions.id"],
            name=op.f("fk_quiz_drafts_base_version_id_quiz_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_quiz_drafts_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_drafts")),
        sa.UniqueConstraint("quiz_id", name=op.f("uq_quiz_drafts_quiz_id")),
    )


def downgrade():
    op.drop_table("quiz_drafts")
