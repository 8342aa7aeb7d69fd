"""The schema comes from migrations only: upgrading an empty database gives the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_upgrade_from_empty_matches_the_models(app):
    """The test database was built by `flask db upgrade`; compare it with the metadata."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "\n".join(str(d) for d in differences)


def test_migrations_have_a_single_head():
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    folder = Path(__file__).resolve().parents[2] / "migrations"
    config = Config(str(folder / "alembic.ini"))
    config.set_main_option("script_location", str(folder))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_downgrade_to_base_and_up_again(app_config, tmp_path):
    """Every migration can be undone, so a failed deployment can roll back."""
    from flask_migrate import downgrade, upgrade

    from app import create_app

    url = app_config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    application = create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=url))
    migrations = str(__import__("pathlib").Path(__file__).resolve().parents[2] / "migrations")
    with application.app_context():
        upgrade(directory=migrations)
        downgrade(directory=migrations, revision="base")
        upgrade(directory=migrations)
        db.engine.dispose()
