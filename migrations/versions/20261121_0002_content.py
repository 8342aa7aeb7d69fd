"""content tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 19:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Must equal app.content.models.SEARCH_VECTOR_SQL (the search query repeats it to use the index).
SEARCH_VECTOR_SQL = "to_tsvector('simple', search_text)"


def upgrade():
    # modules.current_version_id -> module_versions is added below, once both tables exist.
    op.create_table(
        "modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=False),
        sa.Column("source_language", sa.String(length=5), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "published", "archived", name="modulestatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("refresher_of_id", sa.Integer(), nullable=True),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_modules_provider_id_providers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["refresher_of_id"],
            ["modules.id"],
            name=op.f("fk_modules_refresher_of_id_modules"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_modules")),
        sa.UniqueConstraint("slug", name=op.f("uq_modules_slug")),
    )
    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_modules_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_modules_status"), ["status"], unique=False)

    op.create_table(
        "media_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_name", sa.String(length=100), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("mime", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_media_files_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_media_files")),
        sa.UniqueConstraint(
            "module_id",
            "original_name",
            "sha256",
            name=op.f("uq_media_files_module_id_original_name_sha256"),
        ),
    )
    op.create_table(
        "module_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("is_major", sa.Boolean(), nullable=False),
        sa.Column("change_note", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("published_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_module_versions_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["users.id"],
            name=op.f("fk_module_versions_published_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_versions")),
        sa.UniqueConstraint(
            "module_id", "number", name=op.f("uq_module_versions_module_id_number")
        ),
    )
    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_modules_current_version_id_module_versions"),
            "module_versions",
            ["current_version_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "module_drafts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("translates", sa.Integer(), nullable=True),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_version_id"],
            ["module_versions.id"],
            name=op.f("fk_module_drafts_base_version_id_module_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_module_drafts_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_module_drafts_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_drafts")),
        sa.UniqueConstraint(
            "module_id", "language", name=op.f("uq_module_drafts_module_id_language")
        ),
    )
    op.create_table(
        "module_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("version_note", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("translates", sa.Integer(), nullable=True),
        sa.Column("is_outdated", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("key_points_html", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["module_versions.id"],
            name=op.f("fk_module_variants_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_variants")),
        sa.UniqueConstraint(
            "version_id", "language", name=op.f("uq_module_variants_version_id_language")
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_module_variants_search",
            "module_variants",
            [sa.text(SEARCH_VECTOR_SQL)],
            unique=False,
            postgresql_using="gin",
        )
    op.create_table(
        "reading_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"],
            ["modules.id"],
            name=op.f("fk_reading_positions_module_id_modules"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reading_positions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["module_versions.id"],
            name=op.f("fk_reading_positions_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_positions")),
        sa.UniqueConstraint(
            "user_id", "module_id", name=op.f("uq_reading_positions_user_id_module_id")
        ),
    )
    op.create_table(
        "version_media",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["media_id"],
            ["media_files.id"],
            name=op.f("fk_version_media_media_id_media_files"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["module_versions.id"],
            name=op.f("fk_version_media_version_id_module_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_media")),
        sa.UniqueConstraint("version_id", "path", name=op.f("uq_version_media_version_id_path")),
    )
    with op.batch_alter_table("version_media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_version_media_media_id"), ["media_id"], unique=False)

    op.create_table(
        "module_pages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["variant_id"],
            ["module_variants.id"],
            name=op.f("fk_module_pages_variant_id_module_variants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_module_pages")),
        sa.UniqueConstraint(
            "variant_id", "position", name=op.f("uq_module_pages_variant_id_position")
        ),
    )


def downgrade():
    op.drop_table("module_pages")
    with op.batch_alter_table("version_media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_media_media_id"))
    op.drop_table("version_media")
    op.drop_table("reading_positions")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_module_variants_search", table_name="module_variants")
    op.drop_table("module_variants")
    op.drop_table("module_drafts")
    # The cycle modules <-> module_versions is broken before either table goes.
    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_modules_current_version_id_module_versions"), type_="foreignkey"
        )
    op.drop_table("module_versions")
    op.drop_table("media_files")
    with op.batch_alter_table("modules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_modules_status"))
        batch_op.drop_index(batch_op.f("ix_modules_provider_id"))
    op.drop_table("modules")
