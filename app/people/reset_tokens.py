"""Password-reset tokens: signed, expiring within an hour, and dead once the password changes."""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.people.models import User

SALT = "password-reset.v1"
MAX_AGE_SECONDS = 3600


def _fingerprint(user: User) -> str:
    # The token names the current password hash: any password change (including the reset
    # itself) changes the fingerprint, so each token works once.
    material = f"{user.password_hash or ''}|{user.session_version}|{user.is_active}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def password_state_fingerprint(user: User) -> str:
    """Return the fingerprint of the password state (invitation links reuse it to die once used)."""
    return _fingerprint(user)


def make_reset_token(secret_key: str, user: User) -> str:
    """Return a token that lets `user` choose a new password within the hour."""
    return URLSafeTimedSerializer(secret_key, salt=SALT).dumps(
        {"u": user.id, "f": _fingerprint(user)}
    )


class ResetTokenError(ValueError):
    """The token is expired, tampered with or already used; `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_reset_token(secret_key: str, token: str, load_user: object) -> User:
    """Return the user a valid token belongs to, or raise ResetTokenError."""
    serializer = URLSafeTimedSerializer(secret_key, salt=SALT)
    try:
        payload = serializer.loads(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired as exc:
        raise ResetTokenError("expired") from exc
    except BadSignature as exc:
        raise ResetTokenError("invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise ResetTokenError("invalid")
    user = load_user(payload["u"])  # type: ignore[operator]
    if user is None or not user.is_active or payload.get("f") != _fingerprint(user):
        raise ResetTokenError("used")
    return user
