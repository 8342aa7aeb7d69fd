"""Generic, translated error pages (HTML) and a stable JSON error shape for the API.

When the database cannot be reached (server stopped, connection refused or dropped, SQLite
still locked after its busy timeout) the answer is a 503 with `Retry-After`, written without
touching the database again: the signed-in user is not reloaded, the language comes from what
is already known (the user's loaded preference, the session, the browser), and the log gets
one line per failing request instead of a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from app.i18n.languages import LANGUAGES

log = logging.getLogger(__name__)

# Seconds a client should wait before retrying while the database is away.
DEFAULT_RETRY_AFTER = 5

# SQLite errors that mean "not reachable right now", as opposed to a bug such as a missing table.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database",
    "disk i/o error",
)


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        401: _("Please sign in"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        409: _("Conflict"),
        413: _("The file is too large"),
        429: _("Too many requests"),
        500: _("Something went wrong"),
        503: _("The service is temporarily unavailable"),
    }


# The API's stable vocabulary for `error.code`; clients switch on it, not on the message.
ERROR_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}


def error_code(status: int) -> str:
    """Return the API error code for an HTTP status (unlisted ones fall back by class)."""
    return ERROR_CODES.get(status, "bad_request" if status < 500 else "internal_error")


def json_error(status: int, message: str | None = None, **extra: Any) -> Response:
    """The API's error answer: `{"error": {"status", "code", "message", ...extra}}`."""
    response = jsonify(
        error={
            "status": status,
            "code": error_code(status),
            "message": message or _titles().get(status, _("Error")),
            **extra,
        }
    )
    response.status_code = status
    return response


def bad_request_page(message: str) -> tuple[str, int]:
    """The 400 page naming what a view could not use (an unknown filter, language or page)."""
    page = render_template("errors/error.html", status=400, title=_titles()[400], message=message)
    return page, 400


def wants_json() -> bool:
    """True for the API and for the pages' own fetch() calls (quiz autosave), which read JSON."""
    return (
        request.path.startswith("/api/")
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def _respond(status: int, message: str | None = None):
    if wants_json():
        return json_error(status, message)
    title = _titles().get(status, _("Error"))
    try:
        page = render_template("errors/error.html", status=status, title=title, message=message)
    except Exception as error:
        # The page's layout asks for the signed-in user; with the database away that fails too.
        if is_database_unavailable(error):
            return database_unavailable(error)
        raise
    return page, status


def is_database_unavailable(error: BaseException | None) -> bool:
    """Tell whether an error means the database cannot be reached right now (not a bug)."""
    if error is None:
        return False
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True  # no pooled connection came free in time; the server refused or vanished
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    if isinstance(error.orig, sqlite3.Error):
        text = str(error.orig).lower()
        return any(marker in text for marker in _SQLITE_UNAVAILABLE)
    # PostgreSQL drivers raise OperationalError for lost or refused connections, shutdowns,
    # too many clients and cancelled statements: all transient, none a programming error.
    return True


def end_session_quietly(session: Any) -> None:
    """End the request's session (rolling back what is unfinished) at teardown.

    When the database dropped the connection meanwhile, the rollback fails; the connection is
    then discarded instead of raising, since the answer has already been made.
    """
    try:
        session.remove()
    except sa_exc.SQLAlchemyError as error:
        if not is_database_unavailable(error):
            raise
        # A scoped session has no invalidate() of its own: invalidate the request's session.
        current = session.registry() if hasattr(session, "registry") else session
        with contextlib.suppress(sa_exc.SQLAlchemyError):
            current.invalidate()
        with contextlib.suppress(sa_exc.SQLAlchemyError):
            session.remove()


def _short_reason(error: BaseException) -> str:
    """The first line of the driver's message, for one log line without a traceback."""
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {text[0] if text else ''}"[:300]


def _language_without_query() -> str:
    """The language for the outage answer, from what is known without asking the database."""
    user = g.get("_login_user")
    if user is not None and getattr(user, "is_anonymous", True) is False:
        # Only a value already loaded (vars, not the attribute: an expired one would query).
        preferred = vars(user).get("preferred_language")
        if preferred in LANGUAGES:
            return preferred
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def _retry_url() -> str:
    """Where "Try again" leads: this page for a GET; for a form, the page that sent it."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url):
        return referrer
    return request.script_root + "/"


def database_unavailable(error: BaseException) -> Response:
    """Answer 503 + Retry-After, in the user's language, without touching the database."""
    from app.extensions import db

    language = _language_without_query()
    # Whatever runs after this (the page layout, after_request hooks) sees nobody signed in,
    # so nothing reloads the user from the database that is away.
    g._login_user = current_app.login_manager.anonymous_user()
    with contextlib.suppress(Exception):  # a dead connection may refuse even the rollback
        db.session.rollback()
    retry_after = int(current_app.config.get("DB_UNAVAILABLE_RETRY_AFTER", DEFAULT_RETRY_AFTER))
    log.warning(
        "database unavailable: %s %s -> 503 (%s)",
        request.method,
        request.path,
        _short_reason(error),
    )
    with force_locale(f"{language}_CH"):
        title = _("The platform is briefly unavailable")
        message = _(
            "Please try again in a moment. Your answers are kept: nothing you have saved is lost."
        )
        if wants_json():
            response = json_error(503, message, retry_after=retry_after)
        else:
            try:
                html = render_template(
                    "errors/unavailable.html",
                    title=title,
                    message=message,
                    language=language,
                    retry_url=_retry_url(),
                )
            except Exception:  # the outage page must never fail itself
                html = f"<!doctype html><title>{escape(title)}</title><p>{escape(message)}</p>"
            response = Response(html, 503, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def register_error_handlers(app: Flask) -> None:
    """Answer every error with a page that shows no internals."""
    log_exception = app.log_exception

    def log_unless_database_away(exc_info: Any) -> None:
        # An outage error that escaped another handler is answered (and logged in one line)
        # by `http_error` below; a traceback per request would only flood the log.
        if not is_database_unavailable(exc_info[1]):
            log_exception(exc_info)

    app.log_exception = log_unless_database_away  # type: ignore[method-assign]

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        log.warning("CSRF refusal on %s: %s", request.path, error.description)
        return _respond(
            400,
            _("The form had expired or was not sent from this site. Please go back and try again."),
        )

    @app.errorhandler(sa_exc.SQLAlchemyError)
    def database_error(error: sa_exc.SQLAlchemyError):
        if is_database_unavailable(error):
            return database_unavailable(error)
        return unexpected_error(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        original = getattr(error, "original_exception", None)
        if is_database_unavailable(original):
            # An error raised while handling another (say, a 404 page whose layout loads the
            # user) arrives here as a 500 wrapping the database error.
            return database_unavailable(original)
        status = error.code or 500
        message = None
        if status == 413:
            message = _(
                "Files may be at most %(mb)d MB.", mb=app.config["MAX_CONTENT_LENGTH"] // 2**20
            )
        elif request.path.startswith("/api/") and error.description != type(error).description:
            # abort(400, description=...) from an API view: the message names the problem.
            message = error.description
        response = _respond(status, message)
        valid_methods = getattr(error, "valid_methods", None)
        if valid_methods and request.path.startswith("/api/"):
            response.headers["Allow"] = ", ".join(valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        from app.extensions import db

        try:
            db.session.rollback()
        except Exception as rollback_error:
            if is_database_unavailable(rollback_error):
                return database_unavailable(rollback_error)
            raise
        return _respond(500, _("The error has been logged. Please try again later."))
