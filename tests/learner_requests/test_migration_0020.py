"""Migration 0020 turns existing problem reports into requests with a timeline, and back
(on SQLite, and on PostgreSQL too when TEST_DATABASE_URL names a server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
CREATED = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
MOVED = datetime(2027, 1, 5, 10, 30, tzinfo=UTC)
DONE = datetime(2027, 1, 6, 16, 0, tzinfo=UTC)


def _table(name: str, *columns: sa.ColumnClause) -> sa.TableClause:
    return sa.table(name, *columns)


def _cols(*names: str, **types: sa.types.TypeEngine) -> list[sa.ColumnClause]:
    from app.db import TZDateTime

    typed = {"created_at": TZDateTime(), "published_at": TZDateTime(), **types}
    return [sa.column(n, typed.get(n)) for n in names]


def _seed(connection: sa.Connection) -> None:
    """Content at 0019, three reports and the audit log of their moves (typed inserts)."""
    from app.db import TZDateTime

    def add(name: str, rows: list[dict], **types: sa.types.TypeEngine) -> None:
        connection.execute(sa.insert(_table(name, *_cols(*rows[0], **types))), rows)

    add("providers", [{"id": 7, "slug": "ju", "name": "Jura", "created_at": CREATED}])
    add(
        "users",
        [
            {
                "id": n,
                "email": f"u{n}@example.org",
                "first_name": "F",
                "last_name": "L",
                "is_active": True,
                "session_version": 1,
                "created_at": CREATED,
            }
            for n in (1, 2)
        ],
        is_active=sa.Boolean(),
    )
    add(
        "modules",
        [
            {
                "id": 3,
                "slug": "digital-post",
                "provider_id": 7,
                "source_language": "fr",
                "status": "published",
                "created_at": CREATED,
            }
        ],
    )
    version = {"id": 4, "module_id": 3, "number": 1, "is_major": False, "change_note": ""}
    version |= {"content_hash": "h", "minutes": 5, "published_at": CREATED, "created_at": CREATED}
    add("module_versions", [version], is_major=sa.Boolean())
    variant = {"id": 5, "version_id": 4, "language": "fr", "title": "Poste", "summary": ""}
    variant |= {"tags": [], "minutes": 5, "version_note": "", "is_outdated": False}
    variant |= {"content_hash": "h", "markdown": "", "key_points_html": "", "search_text": ""}
    add("module_variants", [variant], tags=sa.JSON(), is_outdated=sa.Boolean())
    page = {"id": 6, "variant_id": 5, "position": 0, "title": "Page", "markdown": ""}
    add("module_pages", [page | {"html": "", "text": ""}])
    reports = [
        (10, "received", None, None),
        (11, "handled", DONE, 2),  # moved twice, both in the audit log
        (12, "in_progress", MOVED, 2),  # moved without an audit row (say, purged)
    ]
    add(
        "problem_reports",
        [
            {
                "id": report_id,
                "user_id": 1,
                "page_id": 6,
                "module_id": 3,
                "version_id": 4,
                "comment": "typo",
                "status": status,
                "created_at": CREATED,
                "status_changed_at": changed,
                "status_changed_by_id": by,
            }
            for report_id, status, changed, by in reports
        ],
        status_changed_at=TZDateTime(),
    )
    add(
        "audit_events",
        [
            {
                "occurred_at": when,
                "action": "readiness.report_status",
                "actor_id": 2,
                "object_type": "problem_report",
                "object_id": 11,
                "details": {"old": old, "new": new},
            }
            for when, old, new in (
                (MOVED, "received", "in_progress"),
                (DONE, "in_progress", "handled"),
            )
        ],
        occurred_at=TZDateTime(),
        details=sa.JSON(),
    )


def _urls() -> list[str]:
    # The pass's own database: the SQLite pass already runs the SQLite case.
    return (
        ["postgresql"]
        if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
        else ["sqlite"]
    )


@pytest.fixture(params=_urls())
def empty_database(request, tmp_path) -> Iterator[str]:
    """An empty database of the kind the pass runs on."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm0020.sqlite3'}"
        return
    url = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{url.database}_m0020_{os.getpid()}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_0020_gives_existing_reports_a_timeline_and_a_route(app_config, empty_database):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.learner_requests.models import ProblemReport, RequestEvent

    application = create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=empty_database))
    with application.app_context():
        upgrade(directory=MIGRATIONS, revision="0019")
        with db.engine.begin() as connection:
            _seed(connection)
        upgrade(directory=MIGRATIONS, revision="0020")
        reports = db.session.query(ProblemReport).order_by(ProblemReport.id).all()
        assert [(r.id, r.kind.value, r.provider_id, r.status.value) for r in reports] == [
            (10, "problem", 7, "received"),
            (11, "problem", 7, "handled"),
            (12, "problem", 7, "in_progress"),
        ]
        events = (
            db.session.query(RequestEvent)
            .order_by(RequestEvent.request_id, RequestEvent.created_at)
            .all()
        )
        assert [
            (e.request_id, e.kind.value, e.actor_id, e.created_at, e.old_status, e.new_status)
            for e in events
        ] == [
            (10, "received", 1, CREATED, None, "received"),
            (11, "received", 1, CREATED, None, "received"),
            (11, "status", 2, MOVED, "received", "in_progress"),
            (11, "status", 2, DONE, "in_progress", "handled"),
            (12, "received", 1, CREATED, None, "received"),
            (12, "status", 2, MOVED, None, "in_progress"),
        ]
        # A question (no page) fits only the new table; going back removes it, keeps reports.
        db.session.add(
            ProblemReport(user_id=1, kind="question", comment="Where?", created_at=CREATED)
        )
        db.session.commit()
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0019")
        with db.engine.connect() as connection:
            ids = connection.execute(sa.text("SELECT id FROM problem_reports ORDER BY id"))
            assert list(ids.scalars()) == [10, 11, 12]
            inspector = sa.inspect(connection)
            columns = {c["name"]: c for c in inspector.get_columns("problem_reports")}
            assert "kind" not in columns and "provider_id" not in columns
            assert columns["page_id"]["nullable"] is False
            assert not inspector.has_table("request_events")
        upgrade(directory=MIGRATIONS, revision="0020")
        db.engine.dispose()
