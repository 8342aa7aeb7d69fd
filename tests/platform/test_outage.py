"""The database is away: 503 + Retry-After, JSON where JSON is read, one log line, no new query.

Unit level, on both databases: the app's engine is made to refuse every new connection (as a
stopped server does), or, on SQLite, another connection holds the write lock past the busy
timeout. The live outage with a real PostgreSQL server stopped under load is in
test_outage_postgres.py.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from app.web.errors import is_database_unavailable
from tests.conftest import get_csrf, login_as
from tests.factories import make_org, make_user


@contextmanager
def database_refusing(app) -> Iterator[list[int]]:
    """Every new connection of the app under test fails as against a stopped server.

    Yields a one-element list counting connection attempts, so a test can prove that the
    error handling itself never tries the database again.
    """
    with app.app_context():
        engine = db.engine
    attempts = [0]

    def refuse(dialect, _record, _cargs, _cparams):
        attempts[0] += 1
        if dialect.name == "sqlite":  # the file's disk or folder is gone
            raise sqlite3.OperationalError("unable to open database file")
        raise dialect.loaded_dbapi.OperationalError("connection refused (the test stopped it)")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield attempts
    finally:
        event.remove(engine, "do_connect", refuse)
        engine.dispose()


@pytest.fixture
def learner(app):
    """A signed-in learner's account (the session is written by each test)."""
    org = make_org()
    return make_user(org.branch_a1, language="de")


def _problems(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def _assert_outage_answer(response) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def _assert_one_log_line(caplog) -> None:
    problems = _problems(caplog)
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert problems[0].name == "app.web.errors"
    assert "database unavailable" in problems[0].getMessage()
    assert problems[0].exc_info is None  # one line, no traceback


def test_a_page_answers_503_in_the_users_language_without_asking_again(
    app, client, learner, caplog
):
    login_as(client, learner)
    with client.session_transaction() as sess:
        sess["lang"] = "fr"
    with database_refusing(app) as attempts, caplog.at_level(logging.INFO):
        response = client.get("/home", headers={"Accept": "text/html"})
    _assert_outage_answer(response)
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="fr-CH">' in page
    assert "Traceback" not in page
    assert attempts[0] == 1  # the request's own try; the error page asked nothing more
    _assert_one_log_line(caplog)
    assert 'href="/home"' in page  # "Try again" reloads the page


def test_a_refused_form_offers_the_page_that_sent_it(app, client, learner):
    login_as(client, learner)
    token = get_csrf(client, "/home")
    with database_refusing(app):
        response = client.post(
            "/attempts/1/save",
            data={"csrf_token": token, "shown": "q1", "page": "1"},
            headers={"Referer": "http://localhost/attempts/1?page=1"},
        )
    _assert_outage_answer(response)
    assert 'href="http://localhost/attempts/1?page=1"' in response.get_data(as_text=True)


def test_browser_language_is_used_when_the_session_names_none(app, client, learner, caplog):
    login_as(client, learner)
    with database_refusing(app), caplog.at_level(logging.INFO):
        response = client.get("/home", headers={"Accept-Language": "it-CH,it;q=0.9"})
    _assert_outage_answer(response)
    assert '<html lang="it-CH">' in response.get_data(as_text=True)


def test_autosave_gets_json_so_the_page_keeps_the_answer_and_retries(app, client, learner, caplog):
    login_as(client, learner)
    token = get_csrf(client, "/home")
    with database_refusing(app) as attempts, caplog.at_level(logging.INFO):
        response = client.post(
            "/attempts/1/answers",
            json={"question_id": "q1", "response": "a"},
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )
    _assert_outage_answer(response)
    error = response.get_json()["error"]
    assert error["status"] == 503
    assert error["code"] == "service_unavailable"
    assert error["retry_after"] == int(response.headers["Retry-After"])
    assert error["message"]
    assert attempts[0] == 1
    _assert_one_log_line(caplog)


def test_api_gets_the_json_error_shape(app, client, learner, caplog):
    from tests.api.conftest import bearer, make_token

    secret = make_token(learner)
    with database_refusing(app), caplog.at_level(logging.INFO):
        response = client.get("/api/v1/me", headers=bearer(secret))
    _assert_outage_answer(response)
    assert response.get_json()["error"]["code"] == "service_unavailable"
    _assert_one_log_line(caplog)


def test_an_error_page_that_needs_the_user_becomes_the_outage_page(app, client, learner, caplog):
    # A 404 for a signed-in session: the usual error page's layout would load the user.
    login_as(client, learner)
    with database_refusing(app) as attempts, caplog.at_level(logging.INFO):
        response = client.get("/no-such-page")
    _assert_outage_answer(response)
    assert attempts[0] == 1
    _assert_one_log_line(caplog)


def test_the_service_is_back_as_soon_as_the_database_is(app, client, learner):
    login_as(client, learner)
    with database_refusing(app):
        assert client.get("/home").status_code == 503
    assert client.get("/home").status_code == 200


def test_only_outages_count_as_unavailable():
    locked = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))
    missing = sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: x"))
    integrity = sa.exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed"))
    assert is_database_unavailable(locked)
    assert not is_database_unavailable(missing)  # a bug, not an outage: 500 and a traceback
    assert not is_database_unavailable(integrity)
    assert not is_database_unavailable(ValueError("x"))
    assert is_database_unavailable(sa.exc.TimeoutError("QueuePool limit reached"))


def test_a_bug_is_still_a_logged_500_not_a_503(app, client, learner, caplog):
    login_as(client, learner)
    with app.app_context():
        engine = db.engine

    broken = []

    def break_statement(_conn, _cursor, statement, parameters, _context, _many):
        # The request's first query names a missing table: an OperationalError that is a bug.
        if not broken and statement.lstrip().upper().startswith("SELECT"):
            broken.append(statement)
            return "SELECT * FROM no_such_table_here", parameters
        return statement, parameters

    event.listen(engine, "before_cursor_execute", break_statement, retval=True)
    try:
        with caplog.at_level(logging.INFO):
            response = client.get("/home")
    finally:
        event.remove(engine, "before_cursor_execute", break_statement)
    assert response.status_code == 500
    assert "Retry-After" not in response.headers
    assert any(r.exc_info for r in caplog.records)  # a bug keeps its traceback in the log


@pytest.mark.skipif(
    "postgresql" in __import__("os").environ.get("TEST_DATABASE_URL", ""),
    reason="SQLite's write lock",
)
def test_sqlite_locked_past_the_busy_timeout_is_a_503(app, client, learner, caplog):
    login_as(client, learner)
    token = get_csrf(client, "/home")
    with app.app_context():
        engine = db.engine
    path = engine.url.database

    def short_timeout(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    engine.dispose()
    event.listen(engine, "connect", short_timeout)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.INFO):
            response = client.post(
                "/attempts/1/answers",
                json={"question_id": "q1", "response": "a"},
                headers={"X-CSRFToken": token},
            )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        event.remove(engine, "connect", short_timeout)
        engine.dispose()
    _assert_outage_answer(response)
    assert response.get_json()["error"]["code"] == "service_unavailable"
    _assert_one_log_line(caplog)
