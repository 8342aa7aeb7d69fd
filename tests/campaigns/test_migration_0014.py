"""Migration 0014 keeps what was there: a description of unknown language and the review
policy of stored quiz versions, both ways."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from app.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
WHEN = "2027-01-01 00:00:00.000000"


def _seed(connection) -> None:
    connection.execute(
        text("INSERT INTO providers (id, slug, name, created_at) VALUES (1, 'p', 'P', :t)"),
        {"t": WHEN},
    )
    connection.execute(
        text(
            "INSERT INTO campaigns (id, name, theme, description_markdown, description_html,"
            " owner_provider_id, state, assign_at, due_at, starts_at, ends_at, reminder_days,"
            " remind_weekly_overdue, send_digests, late_joiner_days, audience_roles, is_yearly,"
            " registration, created_at, updated_at) VALUES (1, '{}', '{}', 'Tout **ici**',"
            " '<p>Tout <strong>ici</strong></p>', 1, 'draft', :t, :t2, :t2, :t2, '[]', 1, 1, 14,"
            " '[]', 0, 'reg-1', :t, :t)"
        ),
        {"t": WHEN, "t2": "2027-02-01 00:00:00.000000"},
    )
    connection.execute(
        text("INSERT INTO quizzes (id, slug, provider_id, created_at) VALUES (1, 'q', 1, :t)"),
        {"t": WHEN},
    )
    for version, review in ((1, "after_submit"), (2, "never")):
        connection.execute(
            text(
                "INSERT INTO quiz_versions (id, quiz_id, number, content_hash, definition,"
                " pass_mark, created_at) VALUES (:id, 1, :id, 'h', :d, 50, :t)"
            ),
            {"id": version, "d": json.dumps({"id": "q", "review": review}), "t": WHEN},
        )


def _reviews(connection) -> list[str]:
    return [
        json.loads(row[0])["review"]
        for row in connection.execute(text("SELECT definition FROM quiz_versions ORDER BY id"))
    ]


def test_0014_moves_data_forward_and_back(app_config, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app

    url = f"sqlite:///{tmp_path / 'm0014.sqlite3'}"
    application = create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=url))
    with application.app_context():
        upgrade(directory=MIGRATIONS, revision="0013")
        with db.engine.begin() as connection:
            _seed(connection)
        upgrade(directory=MIGRATIONS, revision="0014")
        with db.engine.connect() as connection:
            texts, html = connection.execute(
                text("SELECT descriptions, descriptions_html FROM campaigns")
            ).one()
            assert json.loads(texts) == {"und": "Tout **ici**"}
            assert json.loads(html) == {"und": "<p>Tout <strong>ici</strong></p>"}
            assert _reviews(connection) == ["after_pass_or_last_attempt", "never"]
        downgrade(directory=MIGRATIONS, revision="0013")
        with db.engine.connect() as connection:
            assert connection.execute(
                text("SELECT description_markdown FROM campaigns")
            ).scalar_one() == ("Tout **ici**")
            assert _reviews(connection) == ["after_submit", "never"]
        db.engine.dispose()
