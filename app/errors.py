"""Generic, translated error pages (HTML) and a stable JSON error shape for the API."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


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


def json_error(status: int, message: str | None = None) -> Response:
    """The API's error answer: `{"error": {"status", "code", "message"}}`."""
    response = jsonify(
        error={
            "status": status,
            "code": error_code(status),
            "message": message or _titles().get(status, _("Error")),
        }
    )
    response.status_code = status
    return response


def _respond(status: int, message: str | None = None):
    title = _titles().get(status, _("Error"))
    # JSON callers (the API, and the pages' own fetch() calls such as quiz autosave) get JSON.
    wants_json = request.is_json or request.accept_mimetypes.best == "application/json"
    if request.path.startswith("/api/") or wants_json:
        return json_error(status, message)
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Answer every error with a page that shows no internals."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        log.warning("CSRF refusal on %s: %s", request.path, error.description)
        return _respond(
            400,
            _("The form had expired or was not sent from this site. Please go back and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
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

        db.session.rollback()
        return _respond(500, _("The error has been logged. Please try again later."))
