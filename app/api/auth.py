"""Bearer-token authentication for the API: the token's user is current for one request only.

Three pieces keep browser sessions out of the API:
- `CookieFreeApiSessions` gives every /api/ request an empty session that is never saved, so a
  session cookie neither signs anybody in there nor gets set or refreshed by an API response;
- `nobody_signed_in_yet` runs before the other request hooks and fixes the current user as
  anonymous on API paths (no remember-cookie or session look-up happens);
- `authenticate_bearer`, called by the access hook in `app.permissions` for non-public API
  routes, reads `Authorization: Bearer <token>` and makes the token's user `current_user`.

Last use: the token's `last_used_at` is written at most once a minute. On SQLite a GET runs
in a deferred (read) transaction that cannot safely be upgraded to a write, and a separate
write would leave it reading a stale snapshot that could not write later either. So for
read-only requests we end the request's read transaction (nothing is pending in it yet), stamp
the use in its own short transaction, and let the request start a fresh one; a failed stamp is
logged and ignored. Write requests stamp inside their own transaction, committed with the view.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSession, SessionInterface
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.api import is_api_path
from app.api.tokens import TokenProblem, last_use_due, resolve_token, stamp_last_use
from app.extensions import db
from app.timekeeping import clock
from app.web.errors import json_error
from app.web.security_headers import keep_cookies_out_of_shared_caches

log = logging.getLogger(__name__)

_BEARER_RE = re.compile(r"^\s*Bearer\s+(\S+)\s*$", re.IGNORECASE)
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CookieFreeApiSessions(SessionInterface):
    """Wrap the app's session interface: API paths get an empty session that is never saved."""

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app: Flask, request: Any) -> Any:
        """Ignore the session cookie on API paths; elsewhere open the usual session."""
        if is_api_path(request.path):
            return SecureCookieSession()
        return self.inner.open_session(app, request)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        """Never write a session cookie on API paths or static files; elsewhere save as usual.

        Static files are cacheable by anyone (see app.web.security_headers), so they must not carry
        a cookie; a response that does carry one is then kept out of shared caches.
        """
        if is_api_path(request.path) or request.endpoint == "static":
            return None
        self.inner.save_session(app, session, response)
        keep_cookies_out_of_shared_caches(response)
        return None


def install(app: Flask) -> None:
    """Make `app` cookie-free on API paths (sessions and the current user)."""
    if not isinstance(app.session_interface, CookieFreeApiSessions):
        app.session_interface = CookieFreeApiSessions(app.session_interface)
    app.before_request(nobody_signed_in_yet)


def nobody_signed_in_yet() -> None:
    """Before the other hooks: on API paths nobody is signed in until a bearer token says so."""
    if is_api_path(request.path):
        g._login_user = current_app.login_manager.anonymous_user()


def bearer_secret(header: str | None) -> str | None:
    """Return the token in an `Authorization: Bearer <token>` header value, or None."""
    match = _BEARER_RE.match(header or "")
    return match.group(1) if match else None


def _problem_message(problem: TokenProblem) -> str:
    return {
        TokenProblem.INVALID: _("The API token is not valid."),
        TokenProblem.REVOKED: _("The API token has been revoked."),
        TokenProblem.EXPIRED: _("The API token has expired."),
        TokenProblem.INACTIVE_USER: _("The account of this API token is deactivated."),
    }[problem]


def _refuse(message: str, *, invalid_token: bool) -> Response:
    response = json_error(401, message)
    challenge = 'Bearer realm="api"'
    if invalid_token:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def authenticate_bearer() -> Response | None:
    """Make the bearer token's user current for this request, or return the 401 answer."""
    header = request.headers.get("Authorization")
    if not header:
        return _refuse(
            _("Send an API token in the Authorization header: “Bearer <token>”."),
            invalid_token=False,
        )
    now = clock.now()
    check = resolve_token(db.session, bearer_secret(header), now)
    if check.problem is not None:
        log.info(
            "API token refused: %s (prefix %s) on %s",
            check.problem.value,
            check.token.token_prefix if check.token else "-",
            request.path,
        )
        return _refuse(_problem_message(check.problem), invalid_token=True)
    token = check.token
    assert token is not None
    if last_use_due(token, now):
        _record_use(token.id, now)
    g._login_user = token.user
    g.api_token_id = token.id
    return None


def _record_use(token_id: int, now: Any) -> None:
    """Stamp the token's last use without turning a read request into a write (see above)."""
    statement = stamp_last_use(token_id, now)
    if request.method not in _READ_ONLY_METHODS:
        db.session.execute(statement)
        return
    db.session.rollback()  # ends the read transaction; a read request has nothing pending
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except SQLAlchemyError:
        log.warning("could not record the use of API token %s; skipped", token_id, exc_info=True)
