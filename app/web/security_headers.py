"""Security headers on every response, no caching of signed-in pages, and no shared caching
of any response that sets a cookie."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


# Set on every response unless the view set its own value (a view may relax the CSP, say).
BASE_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def add_security_headers(response: Response) -> Response:
    """Set CSP, nosniff, referrer, framing and HSTS headers, and no-store where signed in."""
    headers = response.headers
    # One pass over the response's headers instead of a scan per header set.
    present = {key.lower() for key, _value in headers.items()}
    wanted = (
        BASE_HEADERS + (HSTS,) if current_app.config.get("SESSION_COOKIE_SECURE") else BASE_HEADERS
    )
    headers.extend([item for item in wanted if item[0].lower() not in present])
    if request.endpoint == "static":
        # Stylesheets, scripts and icons hold nothing personal: let browsers keep them.
        headers["Cache-Control"] = "public, max-age=3600"
        return response
    signed_in = bool(getattr(current_user, "is_authenticated", False))
    if signed_in or request.path.startswith("/api/") or request.method != "GET":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    keep_cookies_out_of_shared_caches(response)
    return response


def keep_cookies_out_of_shared_caches(response: Response) -> Response:
    """Make a response that sets a cookie uncacheable by proxies and CDNs.

    A shared cache that stored it would hand one visitor's cookie (a session, a CSRF token)
    to the next. A page the view meant to be cacheable stays cacheable in this browser only
    (`private`); a page with no caching policy is not stored at all (`no-store`). Flask writes
    the session cookie after the `after_request` hooks, so the session interface calls this
    again once the cookie is set (see app.api.auth.CookieFreeApiSessions).
    """
    if "Set-Cookie" not in response.headers:
        return response
    directives = [
        part.strip()
        for part in response.headers.get("Cache-Control", "").split(",")
        if part.strip()
    ]
    names = {part.split("=", 1)[0].lower() for part in directives}
    if "no-store" in names or ("private" in names and "public" not in names):
        return response
    kept = [
        part
        for part in directives
        if part.split("=", 1)[0].lower() not in ("public", "s-maxage", "proxy-revalidate")
    ]
    if any(part.lower().startswith("max-age") for part in kept):
        response.headers["Cache-Control"] = ", ".join(["private", *kept])
    else:
        response.headers["Cache-Control"] = "no-store"
    return response
