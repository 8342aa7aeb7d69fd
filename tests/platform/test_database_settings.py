"""What the app sets on its database connections (app/db.py: `configure_engine`)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.extensions import db


def test_postgresql_connections_run_without_jit_compilation(app, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("JIT compilation is PostgreSQL's")
    with app.app_context():
        engine = db.engine
        engine.dispose()  # a fresh connection, as a new app server makes
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW jit")) == "off"
            conn.rollback()  # a request's end: the setting is the session's, not a transaction's
            assert conn.scalar(text("SHOW jit")) == "off"
        with engine.connect() as conn:  # the same connection, back from the pool
            assert conn.scalar(text("SHOW jit")) == "off"


def test_sqlite_connections_enforce_foreign_keys_and_wait_for_the_write_lock(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's settings")
    with app.app_context(), db.engine.connect() as conn:
        assert conn.scalar(text("PRAGMA foreign_keys")) == 1
        assert conn.scalar(text("PRAGMA busy_timeout")) == 15000
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
