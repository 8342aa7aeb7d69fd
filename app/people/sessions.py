"""Sign-in sessions: loading the user, server-side invalidation, idle and absolute limits."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, object_session

from app.db import utcnow
from app.extensions import db, login_manager
from app.i18n.languages import LANGUAGES
from app.people.models import User
from app.platform.audit import record_event

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"

# Every signed-in request loads its user: one statement, built once (its cache key is
# memoised), that brings the user's unit and role assignments (with their scopes, joined by
# the relationships' own `lazy="joined"`) along, instead of a user query plus a roles query.
_LOAD_USER = (
    select(User)
    .where(User.id == bindparam("user_id"))
    .options(joinedload(User.unit), joinedload(User.roles))
)


class SignedCookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per set of keys.

    Flask makes a new serializer for every request that opens or saves a session (and tests
    its JSON serializer each time); the serializer holds nothing but the keys and settings, so
    one per (secret key, fallback keys) serves every request. Rotating the key in the config
    makes a new one.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple[Any, ...], URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer for the app's current keys, made on first use."""
        keys = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


@login_manager.user_loader
def load_user(user_key: str) -> User | None:
    """Load the user named in the session if the session is still valid on the server."""
    try:
        raw_id, raw_version = user_key.split(":", 1)
        user_id, version = int(raw_id), int(raw_version)
    except ValueError:
        return None
    user = db.session.execute(_LOAD_USER, {"user_id": user_id}).unique().scalar_one_or_none()
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def start_session(user: User) -> None:
    """Begin a fresh session for `user` (a new session on every sign-in)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(user, remember=False, fresh=True)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session.permanent = True


def sign_in(user: User, *, method: str, ip: str | None, now: datetime | None = None) -> None:
    """Record a successful sign-in (any method), commit, and start the user's fresh session."""
    user.last_login_at = now or utcnow()
    record_event(
        db.session, "login.succeeded", actor_id=user.id, ip_address=ip, now=now, method=method
    )
    db.session.commit()
    start_session(user)
    if user.preferred_language in LANGUAGES:
        session["lang"] = user.preferred_language


def end_browser_sessions(user: User) -> None:
    """Sign the user out in every browser on the server; API tokens stay valid.

    Sign-out uses this: scripts holding a token must not stop because their owner signed out
    in the evening. Everything that must also end tokens calls `end_sessions`.
    """
    user.session_version += 1


def end_sessions(user: User, *, now: datetime | None = None, reason: str = "sessions_ended") -> int:
    """Invalidate every session of the user on the server and revoke their API tokens.

    Replayed cookies stop working, and no token outlives the sessions: password changes,
    resets, deactivation and "sign out everywhere" all come here. Returns the tokens revoked.
    """
    from app.api.tokens import revoke_all_tokens  # the API feature builds on people

    user.session_version += 1
    owner_session = object_session(user)
    if owner_session is None or user.id is None:
        return 0  # a person not yet saved has no tokens
    return revoke_all_tokens(owner_session, user, now=now or utcnow(), reason=reason)


def end_session() -> None:
    """Forget the current session in this browser."""
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language


def check_session_age() -> Any:
    """Before each request: sign out sessions idle too long or older than the absolute limit."""
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    login_at = session.get(LOGIN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    idle_limit = current_app.config["IDLE_TIMEOUT_MINUTES"] * 60
    absolute_limit = current_app.config["ABSOLUTE_TIMEOUT_HOURS"] * 3600
    if now - seen_at > idle_limit or now - login_at > absolute_limit:
        end_session()
        flash(_("You were signed out after a period of inactivity. Please sign in again."), "info")
        if request.path.startswith("/api/"):
            return None
        return redirect(url_for("auth.login"))
    # Rewriting the cookie on every request costs a Set-Cookie; once a minute is enough.
    if now - seen_at >= 60:
        session[SEEN_AT] = now
    return None
