"""tracking tables: statements (append-only), derived progress and completions,
certificates, and the outbox of statements for an external LRS

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 19:30:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "verb",
            sa.Enum(
                "launched",
                "experienced",
                "attempted",
                "answered",
                "passed",
                "failed",
                "completed",
                name="verb",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "object_kind",
            sa.Enum(
                "module",
                "page",
                "quiz",
                "question",
                name="objectkind",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("object_iri", sa.String(length=500), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=True),
        sa.Column("module_version_id", sa.Integer(), nullable=True),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("quiz_id", sa.Integer(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("timestamp", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("stored_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_statements_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint("uuid", name=op.f("uq_statements_uuid")),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statements_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statements_module_id"), ["module_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statements_object_iri"), ["object_iri"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_statements_registration"), ["registration"], unique=False
        )
        batch_op.create_index("ix_statements_stored_at_id", ["stored_at", "id"], unique=False)
        batch_op.create_index("ix_statements_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statements_verb"), ["verb"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_certificates_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_certificates_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_certificates_statement_id")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_user_id"), ["user_id"], unique=False)

    op.create_table(
        "completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("module_version_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("completed_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("score_percent", sa.Float(), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_completions_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_version_id"],
            ["module_versions.id"],
            name=op.f("fk_completions_module_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_completions_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_completions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completions")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_completions_statement_id")),
        sa.UniqueConstraint(
            "user_id", "module_id", "number", name=op.f("uq_completions_user_id_module_id_number")
        ),
    )
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_completions_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_completions_module_id"), ["module_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_completions_module_version_id"), ["module_version_id"], unique=False
        )
        batch_op.create_index(
            "ix_completions_user_id_is_current", ["user_id", "is_current"], unique=False
        )

    op.create_table(
        "module_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("module_version_id", sa.Integer(), nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("started_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("quiz_passed_cycle", sa.Integer(), nullable=True),
        sa.Column("quiz_score_percent", sa.Float(), nullable=True),
        sa.Column("quiz_attempt_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_module_progress_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_version_id"],
            ["module_versions.id"],
            name=op.f("fk_module_progress_module_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_module_progress_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_progress")),
        sa.UniqueConstraint(
            "user_id", "module_id", name=op.f("uq_module_progress_user_id_module_id")
        ),
    )
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_module_progress_module_id"), ["module_id"], unique=False
        )

    op.create_table(
        "statement_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_until", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["statements.id"],
            name=op.f("fk_statement_outbox_statement_id_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_outbox")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_statement_outbox_statement_id")),
    )
    with op.batch_alter_table("statement_outbox", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_statement_outbox_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_statement_outbox_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "page_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("page_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("module_version_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("seen_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_page_progress_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["module_version_id"],
            ["module_versions.id"],
            name=op.f("fk_page_progress_module_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["page_id"],
            ["module_pages.id"],
            name=op.f("fk_page_progress_page_id_module_pages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_page_progress_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["module_variants.id"],
            name=op.f("fk_page_progress_variant_id_module_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_progress")),
        sa.UniqueConstraint("user_id", "page_id", name=op.f("uq_page_progress_user_id_page_id")),
    )
    with op.batch_alter_table("page_progress", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_progress_module_id"), ["module_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_page_progress_module_version_id"), ["module_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_page_progress_page_id"), ["page_id"], unique=False)
        batch_op.create_index(
            "ix_page_progress_user_id_module_version_id",
            ["user_id", "module_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_page_progress_variant_id"), ["variant_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("page_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_progress_variant_id"))
        batch_op.drop_index("ix_page_progress_user_id_module_version_id")
        batch_op.drop_index(batch_op.f("ix_page_progress_page_id"))
        batch_op.drop_index(batch_op.f("ix_page_progress_module_version_id"))
        batch_op.drop_index(batch_op.f("ix_page_progress_module_id"))

    op.drop_table("page_progress")
    with op.batch_alter_table("statement_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_outbox_sent_at"))
        batch_op.drop_index(batch_op.f("ix_statement_outbox_next_attempt_at"))

    op.drop_table("statement_outbox")
    with op.batch_alter_table("module_progress", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_module_progress_module_id"))

    op.drop_table("module_progress")
    with op.batch_alter_table("completions", schema=None) as batch_op:
        batch_op.drop_index("ix_completions_user_id_is_current")
        batch_op.drop_index(batch_op.f("ix_completions_module_version_id"))
        batch_op.drop_index(batch_op.f("ix_completions_module_id"))
        batch_op.drop_index(batch_op.f("ix_completions_expires_at"))

    op.drop_table("completions")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_user_id"))

    op.drop_table("certificates")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_verb"))
        batch_op.drop_index("ix_statements_user_id_id")
        batch_op.drop_index("ix_statements_stored_at_id")
        batch_op.drop_index(batch_op.f("ix_statements_registration"))
        batch_op.drop_index(batch_op.f("ix_statements_object_iri"))
        batch_op.drop_index(batch_op.f("ix_statements_module_id"))
        batch_op.drop_index(batch_op.f("ix_statements_attempt_id"))

    op.drop_table("statements")
