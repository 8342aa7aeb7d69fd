"""Writes and checks on API tokens: make (secret shown once), revoke, resolve, stamp last use.

Operations flush and never commit; the view or command commits once.
"""

from __future__ import annotations

import enum
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Update, func, or_, select, update
from sqlalchemy.orm import Session

from app.api.models import ApiToken, RevokeReason, TokenStatus
from app.i18n.markers import N_
from app.people.models import User
from app.platform.audit import record_event

TOKEN_MARK = "cr_"
# 30 random bytes are 40 URL-safe characters: 240 bits, out of reach of guessing.
_RANDOM_BYTES = 30
TOKEN_RE = re.compile(r"^cr_[A-Za-z0-9_-]{40}$")
PREFIX_LENGTH = 8
MAX_DAYS = 3650
MAX_ACTIVE_TOKENS_PER_USER = 20
# last_used_at is a hint for people reviewing their tokens, not an audit trail: writing it at
# most once a minute per token keeps a busy script from costing a write on every request.
LAST_USE_GRANULARITY = timedelta(minutes=1)


class TokenError(ValueError):
    """A token could not be made; the message says why (plain English, marked for translation)."""


class TokenProblem(enum.StrEnum):
    """Why a presented token does not authenticate."""

    INVALID = "invalid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    INACTIVE_USER = "inactive_user"


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of resolving a presented secret: a usable token, or the problem."""

    token: ApiToken | None
    problem: TokenProblem | None


def hash_secret(secret: str) -> str:
    """Return the hex SHA-256 of a token secret (what the database stores)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """Return a fresh token secret: a recognisable mark and 40 URL-safe random characters."""
    return TOKEN_MARK + secrets.token_urlsafe(_RANDOM_BYTES)


def active_token_count(session: Session, user: User, now: datetime) -> int:
    """Count the user's tokens that are neither revoked nor expired at `now`."""
    return (
        session.scalar(
            select(func.count(ApiToken.id)).where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
            )
        )
        or 0
    )


def create_token(
    session: Session,
    user: User,
    *,
    name: str,
    days: int | None,
    now: datetime,
    actor: User | None = None,
    ip: str | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for `user`; return it with its secret, which is never stored or shown again.

    `actor` is who asked (the user in the profile; None from the command line).
    """
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenError(N_("A token needs a name of at most 100 characters."))
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(N_("A token can be valid for 1 to 3650 days."))
    if not user.is_active:
        raise TokenError(N_("A deactivated account cannot have API tokens."))
    if active_token_count(session, user, now) >= MAX_ACTIVE_TOKENS_PER_USER:
        raise TokenError(
            N_("There are already 20 active tokens: revoke one you no longer use first.")
        )
    secret = new_secret()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        created_at=now,
        expires_at=now + timedelta(days=days) if days is not None else None,
    )
    session.add(token)
    session.flush()
    record_event(
        session,
        "api_token.created",
        actor_id=actor.id if actor else None,
        object_type="api_token",
        object_id=token.id,
        ip_address=ip,
        now=now,
        user_id=user.id,
        prefix=token.token_prefix,
        days=days,
    )
    return token, secret


def revoke_token(
    session: Session, token: ApiToken, *, now: datetime, actor: User, ip: str | None = None
) -> None:
    """Revoke a token from now on (revoking twice changes nothing)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = now
    token.revoked_reason = RevokeReason.BY_USER
    session.flush()
    record_event(
        session,
        "api_token.revoked",
        actor_id=actor.id,
        object_type="api_token",
        object_id=token.id,
        ip_address=ip,
        now=now,
        user_id=token.user_id,
        prefix=token.token_prefix,
    )


def revoke_all_tokens(session: Session, user: User, *, now: datetime, reason: str) -> int:
    """Revoke every token of `user` still unrevoked (expired ones too); returns how many.

    Called from `end_sessions`, the one place where a person's access ends (password change,
    reset, deactivation, "sign out everywhere"): a token must not outlive the sessions.
    """
    tokens = list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        )
    )
    for token in tokens:
        token.revoked_at = now
        token.revoked_reason = reason[:32]
        record_event(
            session,
            "api_token.revoked",
            object_type="api_token",
            object_id=token.id,
            now=now,
            user_id=user.id,
            prefix=token.token_prefix,
            reason=reason,
        )
    session.flush()
    return len(tokens)


def tokens_of(session: Session, user: User) -> list[ApiToken]:
    """Return a user's tokens, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def token_of(session: Session, user: User, token_id: int) -> ApiToken | None:
    """Return one of the user's own tokens, or None (also for somebody else's token)."""
    return session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )


def resolve_token(session: Session, secret: str | None, now: datetime) -> TokenCheck:
    """Find the token for a presented secret and tell whether it may authenticate at `now`."""
    if secret is None or not TOKEN_RE.match(secret):
        return TokenCheck(None, TokenProblem.INVALID)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:
        return TokenCheck(None, TokenProblem.INVALID)
    status = token.status_at(now)
    if status == TokenStatus.REVOKED:
        return TokenCheck(token, TokenProblem.REVOKED)
    if status == TokenStatus.EXPIRED:
        return TokenCheck(token, TokenProblem.EXPIRED)
    if not token.user.is_active:
        return TokenCheck(token, TokenProblem.INACTIVE_USER)
    return TokenCheck(token, None)


def last_use_due(token: ApiToken, now: datetime) -> bool:
    """Tell whether `last_used_at` is stale enough to be written again."""
    return token.last_used_at is None or now - token.last_used_at >= LAST_USE_GRANULARITY


def stamp_last_use(token_id: int, now: datetime) -> Update:
    """Return the UPDATE that stamps a use; its WHERE makes concurrent stamps write only once."""
    return (
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - LAST_USE_GRANULARITY,
            ),
        )
        .values(last_used_at=now)
    )
