"""Migration 0020 turns existing problem reports into requests with a timeline, and back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from app.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parents[2] / "migrations")
CREATED = "2027-01-04 08:00:00.000000"
MOVED = "2027-01-05 10:30:00.000000"
DONE = "2027-01-06 16:00:00.000000"


def _seed(connection) -> None:
    """Two providers' worth of content at 0019, three reports and the audit of their moves."""
    run = connection.execute
    run(
        text("INSERT INTO providers (id, slug, name, created_at) VALUES (7, 'ju', 'Jura', :t)"),
        {"t": CREATED},
    )
    for user_id in (1, 2):
        run(
            text(
                "INSERT INTO users (id, email, first_name, last_name, is_active, session_version,"
                " created_at) VALUES (:id, :email, 'F', 'L', 1, 1, :t)"
            ),
            {"id": user_id, "email": f"u{user_id}@example.org", "t": CREATED},
        )
    run(
        text(
            "INSERT INTO modules (id, slug, provider_id, source_language, status, created_at)"
            " VALUES (3, 'digital-post', 7, 'fr', 'published', :t)"
        ),
        {"t": CREATED},
    )
    run(
        text(
            "INSERT INTO module_versions (id, module_id, number, is_major, change_note,"
            " content_hash, minutes, published_at, created_at)"
            " VALUES (4, 3, 1, 0, '', 'h', 5, :t, :t)"
        ),
        {"t": CREATED},
    )
    run(
        text(
            "INSERT INTO module_variants (id, version_id, language, title, summary, tags, minutes,"
            " version_note, is_outdated, content_hash, markdown, key_points_html, search_text)"
            " VALUES (5, 4, 'fr', 'Poste', '', '[]', 5, '', 0, 'h', '', '', '')"
        )
    )
    run(
        text(
            "INSERT INTO module_pages (id, variant_id, position, title, markdown, html, text)"
            " VALUES (6, 5, 0, 'Page', '', '', '')"
        )
    )
    for report_id, status, changed, by in (
        (10, "received", None, None),
        (11, "handled", DONE, 2),  # moved twice, both in the audit log
        (12, "in_progress", MOVED, 2),  # moved without an audit row (say, purged)
    ):
        run(
            text(
                "INSERT INTO problem_reports (id, user_id, page_id, module_id, version_id, comment,"
                " status, created_at, status_changed_at, status_changed_by_id)"
                " VALUES (:id, 1, 6, 3, 4, 'typo', :status, :t, :changed, :by)"
            ),
            {"id": report_id, "status": status, "t": CREATED, "changed": changed, "by": by},
        )
    for when, old, new in ((MOVED, "received", "in_progress"), (DONE, "in_progress", "handled")):
        run(
            text(
                "INSERT INTO audit_events (occurred_at, action, actor_id, object_type, object_id,"
                " details) VALUES (:t, 'readiness.report_status', 2, 'problem_report', 11, :d)"
            ),
            {"t": when, "d": json.dumps({"old": old, "new": new})},
        )


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def test_0020_gives_existing_reports_a_timeline_and_a_route(app_config, tmp_path):
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.learner_requests.models import RequestEvent
    from app.readiness.models import ProblemReport

    url = f"sqlite:///{tmp_path / 'm0020.sqlite3'}"
    application = create_app(dict(app_config, SQLALCHEMY_DATABASE_URI=url))
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
            (10, "received", 1, _at(CREATED), None, "received"),
            (11, "received", 1, _at(CREATED), None, "received"),
            (11, "status", 2, _at(MOVED), "received", "in_progress"),
            (11, "status", 2, _at(DONE), "in_progress", "handled"),
            (12, "received", 1, _at(CREATED), None, "received"),
            (12, "status", 2, _at(MOVED), None, "in_progress"),
        ]
        # A question (no page) fits only the new table; going back removes it, keeps reports.
        db.session.execute(
            text(
                "INSERT INTO problem_reports (id, user_id, kind, comment, status, created_at)"
                " VALUES (13, 1, 'question', 'Where?', 'received', :t)"
            ),
            {"t": CREATED},
        )
        db.session.commit()
        db.session.remove()
        downgrade(directory=MIGRATIONS, revision="0019")
        with db.engine.connect() as connection:
            ids = connection.execute(text("SELECT id FROM problem_reports ORDER BY id")).scalars()
            assert list(ids) == [10, 11, 12]
            columns = {
                row[1] for row in connection.execute(text("PRAGMA table_info(problem_reports)"))
            }
            assert "kind" not in columns and "provider_id" not in columns
            assert (
                connection.execute(
                    text("SELECT count(*) FROM sqlite_master WHERE name = 'request_events'")
                ).scalar_one()
                == 0
            )
        upgrade(directory=MIGRATIONS, revision="0020")
        db.engine.dispose()
