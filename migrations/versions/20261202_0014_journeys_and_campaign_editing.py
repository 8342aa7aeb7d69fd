"""learner journeys and campaign editing (issue 12)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:40:00

- campaigns: the description becomes one per language (`descriptions`, `descriptions_html`,
  {language: text}); an existing description, of unknown language, is kept under "und".
- quiz versions: the default review policy becomes `after_pass_or_last_attempt`. Stored
  versions that say `after_submit` (the old default, which every export wrote out, so a
  deliberate choice cannot be told apart from it) move to the new default: until now a blank
  attempt revealed the answer key. The downgrade moves them back.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# ADD/DROP COLUMN only: never let batch mode rebuild `campaigns` (see 0008 for why).
RECREATE = "never"
UNKNOWN_LANGUAGE = "und"
OLD_REVIEW, NEW_REVIEW = "after_submit", "after_pass_or_last_attempt"

campaigns = sa.table(
    "campaigns",
    sa.column("id", sa.Integer()),
    sa.column("description_markdown", sa.Text()),
    sa.column("description_html", sa.Text()),
    sa.column("descriptions", sa.JSON()),
    sa.column("descriptions_html", sa.JSON()),
)
quiz_versions = sa.table(
    "quiz_versions", sa.column("id", sa.Integer()), sa.column("definition", sa.JSON())
)


def _set_review(old: str, new: str) -> None:
    bind = op.get_bind()
    for version_id, definition in bind.execute(
        sa.select(quiz_versions.c.id, quiz_versions.c.definition)
    ).all():
        if isinstance(definition, dict) and definition.get("review") == old:
            bind.execute(
                quiz_versions.update()
                .where(quiz_versions.c.id == version_id)
                .values(definition={**definition, "review": new})
            )


def upgrade():
    with op.batch_alter_table("campaigns", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(
            sa.Column("descriptions", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column(
                "descriptions_html", sa.JSON(), nullable=False, server_default=sa.text("'{}'")
            )
        )
    bind = op.get_bind()
    for row in bind.execute(
        sa.select(campaigns.c.id, campaigns.c.description_markdown, campaigns.c.description_html)
    ).all():
        if (row.description_markdown or "").strip():
            bind.execute(
                campaigns.update()
                .where(campaigns.c.id == row.id)
                .values(
                    descriptions={UNKNOWN_LANGUAGE: row.description_markdown},
                    descriptions_html={UNKNOWN_LANGUAGE: row.description_html or ""},
                )
            )
    with op.batch_alter_table("campaigns", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("description_markdown")
        batch_op.drop_column("description_html")
    _set_review(OLD_REVIEW, NEW_REVIEW)


def downgrade():
    _set_review(NEW_REVIEW, OLD_REVIEW)
    with op.batch_alter_table("campaigns", schema=None, recreate=RECREATE) as batch_op:
        batch_op.add_column(
            sa.Column("description_markdown", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("description_html", sa.Text(), nullable=False, server_default="")
        )
    bind = op.get_bind()
    for row in bind.execute(
        sa.select(campaigns.c.id, campaigns.c.descriptions, campaigns.c.descriptions_html)
    ).all():
        texts, html = row.descriptions or {}, row.descriptions_html or {}
        # One text survives: the unknown-language one, else the first language that has one.
        for language in (UNKNOWN_LANGUAGE, "fr", "de", "it", "en", *sorted(texts)):
            if texts.get(language):
                bind.execute(
                    campaigns.update()
                    .where(campaigns.c.id == row.id)
                    .values(
                        description_markdown=texts[language],
                        description_html=html.get(language, ""),
                    )
                )
                break
    with op.batch_alter_table("campaigns", schema=None, recreate=RECREATE) as batch_op:
        batch_op.drop_column("descriptions")
        batch_op.drop_column("descriptions_html")
