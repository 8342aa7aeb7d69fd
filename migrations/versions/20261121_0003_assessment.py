"""assessment tables

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 19:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "quizzes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_quizzes_module_id_modules"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_quizzes_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quizzes")),
        sa.UniqueConstraint("slug", name=op.f("uq_quizzes_slug")),
    )
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quizzes_module_id"), ["module_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quizzes_provider_id"), ["provider_id"], unique=False)

    op.create_table(
        "quiz_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("pass_mark", sa.Float(), nullable=False),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_versions_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_versions")),
        sa.UniqueConstraint("quiz_id", "number", name=op.f("uq_quiz_versions_quiz_id_number")),
    )
    # quizzes and quiz_versions point at each other: this constraint needs both tables.
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_quizzes_current_version_id_quiz_versions",
            "quiz_versions",
            ["current_version_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("quiz_version_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "submitted", name="attemptstate", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("question_ids", sa.JSON(), nullable=False),
        sa.Column("option_orders", sa.JSON(), nullable=False),
        sa.Column("started_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("score_percent", sa.Float(), nullable=True),
        sa.Column("is_passed", sa.Boolean(), nullable=True),
        sa.Column("submit_key", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_attempts_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quiz_version_id"],
            ["quiz_versions.id"],
            name=op.f("fk_attempts_quiz_version_id_quiz_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
        sa.UniqueConstraint(
            "user_id", "quiz_id", "number", name=op.f("uq_attempts_user_id_quiz_id_number")
        ),
    )
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.create_index("ix_attempts_quiz_id_state", ["quiz_id", "state"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_attempts_quiz_version_id"), ["quiz_version_id"], unique=False
        )

    op.create_table(
        "attempt_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("response", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("saved_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("fraction", sa.Float(), nullable=True),
        sa.Column("points", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_attempt_answers_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_answers")),
        sa.UniqueConstraint(
            "attempt_id", "question_id", name=op.f("uq_attempt_answers_attempt_id_question_id")
        ),
    )


def downgrade():
    op.drop_table("attempt_answers")
    with op.batch_alter_table("attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempts_quiz_version_id"))
        batch_op.drop_index("ix_attempts_quiz_id_state")
    op.drop_table("attempts")
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_constraint("fk_quizzes_current_version_id_quiz_versions", type_="foreignkey")
    op.drop_table("quiz_versions")
    with op.batch_alter_table("quizzes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quizzes_provider_id"))
        batch_op.drop_index(batch_op.f("ix_quizzes_module_id"))
    op.drop_table("quizzes")
