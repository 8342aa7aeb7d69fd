"""Absolute links for e-mails (password reset, invitations), built from PUBLIC_BASE_URL.

A link sent by e-mail must never take its host from the request that caused it: a forged
Host or X-Forwarded-Host header would otherwise send a reset link to an attacker's site. With
PUBLIC_BASE_URL set (required in production) the request plays no part at all; without it
(development, tests) the link falls back to SERVER_NAME or the current request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of `endpoint` as people reach it from outside (for e-mails)."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if not base:
        if has_request_context() or current_app.config.get("SERVER_NAME"):
            return url_for(endpoint, _external=True, **values)
        base = "http://localhost"
    parts = urlsplit(str(base).rstrip("/"))
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
