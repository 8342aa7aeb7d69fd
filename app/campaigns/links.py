"""Absolute links for e-mails written outside a request, signed unsubscribe tokens and
calendar-feed secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from typing import Any

from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, Signer
from itsdangerous.encoding import base64_encode

# One salt per purpose: a token signed for one use is worthless for any other.
UNSUBSCRIBE_SALT = "campaigns.unsubscribe"


def base_url() -> str:
    """The public address of the platform, for links in e-mails and feeds.

    `CAMPAIGNS_BASE_URL` (from PUBLIC_BASE_URL) wins; else SERVER_NAME with the preferred
    scheme; else the current request's host; else http://localhost.
    """
    config = current_app.config
    configured = config.get("CAMPAIGNS_BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if config.get("SERVER_NAME"):
        return f"{config.get('PREFERRED_URL_SCHEME') or 'https'}://{config['SERVER_NAME']}"
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost"


_TOKEN_SLOT = "TOKEN-SLOT"


class LinkBuilder:
    """Builds absolute URLs without a request (the scheduler runs from cron), remembering
    the ones it built: a run writes the same module links thousands of times."""

    def __init__(self) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self._base = base_url()
        self._adapter = app.url_map.bind(
            "localhost", script_name=app.config.get("APPLICATION_ROOT") or "/"
        )
        self._built: dict[tuple[str, tuple[tuple[str, Any], ...]], str] = {}
        self._unsubscribe = self.url("campaigns.unsubscribe", token=_TOKEN_SLOT)
        signer = _signer_for(app.config["SECRET_KEY"])
        # The signer's key derived once: a launch signs 50,000 links (same tokens as sign()).
        self._mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method)

    def url(self, endpoint: str, **values: Any) -> str:
        """Return the absolute URL of an endpoint."""
        key = (endpoint, tuple(sorted(values.items())))
        url = self._built.get(key)
        if url is None:
            url = self._built[key] = self._base + self._adapter.build(endpoint, values)
        return url

    def unsubscribe_url(self, user_id: int) -> str:
        """Return the signed unsubscribe link of a person (tokens are URL-safe as they are)."""
        mac = self._mac.copy()
        value = str(user_id)
        mac.update(value.encode("ascii"))
        token = f"{value}.{base64_encode(mac.digest()).decode('ascii')}"
        return self._unsubscribe.replace(_TOKEN_SLOT, token)


@lru_cache(maxsize=4)
def _signer_for(secret_key: str) -> Signer:
    return Signer(secret_key, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int) -> str:
    """Sign a user id for the unsubscribe link ("42.<signature>"; works without signing in,
    never expires). The salt keeps it from being valid for any other purpose."""
    return _signer_for(current_app.config["SECRET_KEY"]).sign(str(user_id)).decode("ascii")


def user_from_unsubscribe_token(token: str) -> int | None:
    """Return the user id a genuine unsubscribe token names, or None for anything else."""
    if not token or len(token) > 200:
        return None
    try:
        value = _signer_for(current_app.config["SECRET_KEY"]).unsign(token).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None
    return int(value) if value.isdigit() and int(value) > 0 else None


def new_feed_secret() -> str:
    """Return a fresh, unguessable calendar-feed secret (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def feed_secret_hash(secret: str) -> str:
    """Return the SHA-256 of a feed secret (only the hash is stored)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
