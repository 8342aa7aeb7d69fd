"""Security headers on every response, and no caching of signed-in pages."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def add_security_headers(response: Response) -> Response:
    """Set CSP, nosniff, referrer, framing and HSTS headers, and no-store where signed in."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint == "static":
        # Stylesheets, scripts and icons hold nothing personal: let browsers keep them.
        headers["Cache-Control"] = "public, max-age=3600"
        return response
    signed_in = bool(getattr(current_user, "is_authenticated", False))
    if signed_in or request.path.startswith("/api/") or request.method != "GET":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
