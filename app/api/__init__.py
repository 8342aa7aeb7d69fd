"""The JSON API under /api/v1: bearer tokens, JSON errors, paging and the OpenAPI document.

A feature adds API routes on its own blueprint made by `api_blueprint()`, declares access with
the usual decorators of `app.permissions` and describes each route with `openapi.document`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint

API_PREFIX = "/api/"
API_V1 = "/api/v1"


def is_api_path(path: str) -> bool:
    """Tell whether a request path belongs to the JSON API (cookie-free, token-only)."""
    return path.startswith(API_PREFIX)


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """Return a blueprint mounted at /api/v1 whose routes authenticate by bearer token only.

    The session cookie is ignored on API paths, so CSRF (a cookie attack) cannot apply and
    the blueprint is exempt from the CSRF check that would otherwise refuse every POST.
    """
    from app.extensions import csrf

    blueprint = Blueprint(name, import_name, url_prefix=API_V1)
    csrf.exempt(blueprint)
    return blueprint


def json_datetime(moment: datetime | None) -> str | None:
    """Format a datetime for JSON as RFC 3339 UTC ("2026-11-21T09:30:00Z")."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
