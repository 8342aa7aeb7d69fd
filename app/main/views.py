"""The home page (it adapts to the user's roles) and the health endpoints."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db
from app.people.models import Role
from app.people.queries import provider_of_trainer, unit_tree
from app.permissions import public, signed_in
from app.platform.hooks import HOME_PANELS
from app.platform.reads import resolve
from app.timekeeping import clock

bp = Blueprint("main", __name__)


@bp.get("/")
@public
def index():
    """Send signed-in users home and everyone else to sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.login"))


@bp.get("/home")
@signed_in
def home():
    """Show the home page with one panel per role the user holds."""
    roles = current_user.role_set
    managed = unit_tree(db.session, current_user) if roles & {Role.MANAGER, Role.ADMIN} else []
    providers = provider_of_trainer(db.session, current_user) if Role.TRAINER in roles else []
    # Features add panel builders, (user, now) -> dict | Deferred | None, in their
    # register(app); the panels' reads run together, as one statement.
    now = clock.now()
    built = [section(current_user, now) for section in HOME_PANELS.receivers()]
    panels = [panel for panel in resolve(db.session, built) if panel]
    return render_template(
        "main/home.html",
        roles=roles,
        Role=Role,
        managed=managed[:30],
        managed_total=len(managed),
        providers=providers,
        panels=panels,
    )


@bp.get("/healthz")
@public
def healthz():
    """Answer while the process is alive."""
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    """Answer 200 when the database is reachable, 503 otherwise."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
