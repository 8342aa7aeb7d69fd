"""plain-language glossary (issue 15)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 20:20:00

Glossary entries per language (shared, or owned by a provider) and the terms a trainer
accepted for one module.
"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "glossary_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("term_key", sa.String(length=200), nullable=False),
        sa.Column("suggestion", sa.String(length=500), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_glossary_entries_provider_id_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_glossary_entries_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_entries")),
        sa.UniqueConstraint(
            "language",
            "provider_id",
            "term_key",
            name=op.f("uq_glossary_entries_language_provider_id_term_key"),
        ),
    )
    op.create_index(
        op.f("ix_glossary_entries_language"), "glossary_entries", ["language"], unique=False
    )
    op.create_index(
        op.f("ix_glossary_entries_provider_id"), "glossary_entries", ["provider_id"], unique=False
    )
    op.create_index(
        "uq_glossary_entries_shared_term",
        "glossary_entries",
        ["language", "term_key"],
        unique=True,
        sqlite_where=sa.text("provider_id IS NULL"),
        postgresql_where=sa.text("provider_id IS NULL"),
    )
    op.create_table(
        "glossary_accepted_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("term_key", sa.String(length=200), nullable=False),
        sa.Column("accepted_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_glossary_accepted_terms_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by_id"],
            ["users.id"],
            name=op.f("fk_glossary_accepted_terms_accepted_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_glossary_accepted_terms")),
        sa.UniqueConstraint(
            "module_id",
            "language",
            "term_key",
            name=op.f("uq_glossary_accepted_terms_module_id_language_term_key"),
        ),
    )
    op.create_index(
        op.f("ix_glossary_accepted_terms_module_id"),
        "glossary_accepted_terms",
        ["module_id"],
        unique=False,
    )


def downgrade():
    op.drop_index(
        op.f("ix_glossary_accepted_terms_module_id"), table_name="glossary_accepted_terms"
    )
    op.drop_table("glossary_accepted_terms")
    op.drop_index("uq_glossary_entries_shared_term", table_name="glossary_entries")
    op.drop_index(op.f("ix_glossary_entries_provider_id"), table_name="glossary_entries")
    op.drop_index(op.f("ix_glossary_entries_language"), table_name="glossary_entries")
    op.drop_table("glossary_entries")
