"""HR import, invitations, erasure (issue 11): invitations and stored HR uploads

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:30:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_invitations_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
    )
    op.create_index(op.f("ix_invitations_user_id"), "invitations", ["user_id"], unique=False)
    op.create_table(
        "import_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("is_full_export", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.TZDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", app.db.TZDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_import_uploads_uploaded_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_uploads")),
    )
    op.create_index(
        op.f("ix_import_uploads_created_at"), "import_uploads", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_import_uploads_uploaded_by_id"), "import_uploads", ["uploaded_by_id"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_import_uploads_uploaded_by_id"), table_name="import_uploads")
    op.drop_index(op.f("ix_import_uploads_created_at"), table_name="import_uploads")
    op.drop_table("import_uploads")
    op.drop_index(op.f("ix_invitations_user_id"), table_name="invitations")
    op.drop_table("invitations")
