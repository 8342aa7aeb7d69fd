"""Absolute links for e-mails (password reset, invitations), built from PUBLIC_BASE_URL,
and the refusal of requests for hosts the platform does not answer to.

A link sent by e-mail must never take its host from the request that caused it: a forged
Host or X-Forwarded-Host header would otherwise send a reset link to an attacker's site. With
PUBLIC_BASE_URL set (required in production) the request plays no part at all; without it
(development, tests) the link falls back to SERVER_NAME or the current request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for
from werkzeug.exceptions import BadRequest, SecurityError
from werkzeug.wsgi import get_host


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


def refuse_untrusted_hosts(wsgi_app: Any, trusted_hosts: list[str]) -> Any:
    """Wrap a WSGI app so that a request for a host not in `trusted_hosts` gets a bare 400.

    Flask checks TRUSTED_HOSTS too, but only once the request is inside the app, where the
    error page then cannot even build its links. Placed inside ProxyFix, this sees the
    forwarded host when (and only when) PROXY_FIX_HOPS says the proxy is trusted.
    """

    def guarded(environ: dict[str, Any], start_response: Any) -> Any:
        try:
            get_host(environ, trusted_hosts)
        except SecurityError:
            return BadRequest("Unknown host.")(environ, start_response)
        return wsgi_app(environ, start_response)

    return guarded
