"""The sign-in throttle: it counts failed password checks only and never locks out a branch.

All counts are sliding windows over `throttle_events` (see app.web.ratelimit), shared by every
worker and host. For each password check (sign-in, the profile's current password, a new API
token) with an account name and a client address:

- account and address pair: at most LOGIN_LIMIT_PER_PAIR failures in the window, strictly;
- account, across addresses: after LOGIN_DELAY_AFTER_FAILURES failures in the account window
  every further try waits a doubling pause, capped at LOGIN_DELAY_MAX_MINUTES. An address the
  account recently signed in from is spared this pause, so ten wrong passwords typed elsewhere
  never keep the real user out of their branch (the pair and address limits still apply);
- address: LOGIN_LIMIT_PER_ADDRESS failures in the window, far above what a 30-person branch
  behind one address ever types wrong (successes are never counted);
- a good password clears the account's failures from that address.

A failure is written and committed before the slow hash check, so parallel guesses from many
workers see each other; a good password then deletes it again (`start_password_check`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, make_response, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.people.models import User
from app.people.passwords import verify_password
from app.platform.audit import AuditEvent, record_event
from app.web.ratelimit import (
    Limit,
    account_key,
    backoff_wait,
    clear_events,
    note_event,
    sliding_wait,
)

SIGN_IN = "sign_in"
RESET = "reset"
LOGIN_SUCCEEDED = "login.succeeded"


@dataclass(frozen=True)
class SignInRules:
    """The throttle's figures, read once from the app configuration."""

    pair: Limit
    per_address: Limit
    account_window: timedelta
    delay_after: int
    base_delay: timedelta
    max_delay: timedelta
    known_address_days: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignInRules:
        """Build the rules from LOGIN_* and RATE_LIMIT_WINDOW_MINUTES settings."""
        window = timedelta(minutes=config["RATE_LIMIT_WINDOW_MINUTES"])
        return cls(
            pair=Limit(config["LOGIN_LIMIT_PER_PAIR"], window),
            per_address=Limit(config["LOGIN_LIMIT_PER_ADDRESS"], window),
            account_window=timedelta(hours=config["LOGIN_ACCOUNT_WINDOW_HOURS"]),
            delay_after=config["LOGIN_DELAY_AFTER_FAILURES"],
            base_delay=timedelta(seconds=config["LOGIN_DELAY_BASE_SECONDS"]),
            max_delay=timedelta(minutes=config["LOGIN_DELAY_MAX_MINUTES"]),
            known_address_days=config["LOGIN_KNOWN_ADDRESS_DAYS"],
        )


@dataclass(frozen=True)
class Refusal:
    """Why an attempt is refused right now ("pair", "account", "address") and for how long."""

    reason: str
    wait_seconds: int


def is_known_address(
    session: Session, user_id: int | None, address: str, now: datetime, days: int
) -> bool:
    """Tell whether the user signed in successfully from `address` within `days` (audit log)."""
    if user_id is None or days <= 0:
        return False
    return bool(
        session.scalar(
            select(
                exists().where(
                    AuditEvent.action == LOGIN_SUCCEEDED,
                    AuditEvent.actor_id == user_id,
                    AuditEvent.ip_address == address,
                    AuditEvent.occurred_at > now - timedelta(days=days),
                )
            )
        )
    )


def sign_in_refusal(
    session: Session,
    rules: SignInRules,
    *,
    email: str,
    address: str,
    user_id: int | None,
    now: datetime,
) -> Refusal | None:
    """Return why a password check for `email` from `address` must wait, or None to go ahead."""
    account = account_key(email)
    waits = [
        Refusal(
            "pair",
            sliding_wait(session, SIGN_IN, rules.pair, now, account=account, address=address),
        ),
        Refusal("address", sliding_wait(session, SIGN_IN, rules.per_address, now, address=address)),
    ]
    if not is_known_address(session, user_id, address, now, rules.known_address_days):
        waits.append(
            Refusal(
                "account",
                backoff_wait(
                    session,
                    SIGN_IN,
                    account=account,
                    window=rules.account_window,
                    free=rules.delay_after,
                    base=rules.base_delay,
                    cap=rules.max_delay,
                    now=now,
                ),
            )
        )
    longest = max(waits, key=lambda refusal: refusal.wait_seconds)
    return longest if longest.wait_seconds > 0 else None


def start_password_check(
    session: Session,
    rules: SignInRules,
    *,
    email: str,
    address: str,
    user_id: int | None,
    now: datetime,
) -> Refusal | None:
    """Refuse a password check, or count it as a failure up front (committed) and allow it.

    The caller verifies the password only when this returns None, and calls `note_good_check`
    when it is right. Under PostgreSQL's READ COMMITTED two workers can both pass the first
    look; counting again after the commit sees every racer, so no more than the pair limit of
    guesses is ever verified.
    """
    refusal = sign_in_refusal(
        session, rules, email=email, address=address, user_id=user_id, now=now
    )
    if refusal is not None:
        return refusal
    note_failed_check(session, email=email, address=address, now=now)
    session.commit()
    with_this_one = Limit(rules.pair.count + 1, rules.pair.window)
    raced = sliding_wait(
        session, SIGN_IN, with_this_one, now, account=account_key(email), address=address
    )
    return Refusal("pair", raced) if raced else None


def note_failed_check(session: Session, *, email: str, address: str, now: datetime) -> None:
    """Count one failed (or not yet verified) password check."""
    note_event(session, SIGN_IN, account=account_key(email), address=address, now=now)


def note_good_check(session: Session, *, email: str, address: str) -> None:
    """A good password: forget this account's failures from this address."""
    clear_events(session, SIGN_IN, account=account_key(email), address=address)


def reset_refusal(
    session: Session,
    *,
    email: str,
    address: str,
    per_account: Limit,
    per_address: Limit,
    now: datetime,
) -> Refusal | None:
    """Return why a reset request must wait (requests are counted, not only failures)."""
    account = account_key(email)
    waits = [
        Refusal("account", sliding_wait(session, RESET, per_account, now, account=account)),
        Refusal("address", sliding_wait(session, RESET, per_address, now, address=address)),
    ]
    longest = max(waits, key=lambda refusal: refusal.wait_seconds)
    return longest if longest.wait_seconds > 0 else None


def note_reset_request(session: Session, *, email: str, address: str, now: datetime) -> None:
    """Count one password-reset request."""
    note_event(session, RESET, account=account_key(email), address=address, now=now)


# --- request glue ------------------------------------------------------------------------


def client_address() -> str:
    """Return the client's address as the throttle keys it (the proxy-corrected remote addr)."""
    return (request.remote_addr or "unknown")[:64]


def current_rules() -> SignInRules:
    """Return the sign-in rules of the running app."""
    return SignInRules.from_config(current_app.config)


def wait_phrase(seconds: int) -> str:
    """Say how long to wait in the user's language ("45 seconds", "3 minutes")."""
    if seconds >= 60:
        # Round up to whole minutes: telling people to come back too early only annoys them.
        delta = timedelta(minutes=math.ceil(seconds / 60))
        return format_timedelta(delta, granularity="minute", threshold=2)
    return format_timedelta(timedelta(seconds=max(1, seconds)), granularity="second", threshold=2)


def too_many_attempts_message(seconds: int) -> str:
    """The message shown when password checks are throttled."""
    return _(
        "Too many attempts with a wrong password. Please wait %(wait)s and try again.",
        wait=wait_phrase(seconds),
    )


def throttled(body: str, seconds: int) -> Response:
    """Return `body` as a 429 answer whose Retry-After says how many seconds to wait."""
    response = make_response(body, 429)
    response.headers["Retry-After"] = str(max(1, seconds))
    return response


@dataclass(frozen=True)
class PasswordCheck:
    """The outcome of asking a signed-in person for their password again."""

    is_good: bool
    refusal: Refusal | None = None


def check_current_password(
    user: User, password: str, *, now: datetime, purpose: str
) -> PasswordCheck:
    """Check a signed-in user's password again, throttled exactly like signing in.

    The failure count is committed before the hash is checked (see the module docstring); on
    a good password the count is cleared in the caller's transaction, which it commits.
    """
    address = client_address()
    refusal = start_password_check(
        db.session, current_rules(), email=user.email, address=address, user_id=user.id, now=now
    )
    if refusal is not None:
        record_event(
            db.session,
            "password_check.throttled",
            actor_id=user.id,
            ip_address=address,
            now=now,
            purpose=purpose,
            reason=refusal.reason,
            wait_seconds=refusal.wait_seconds,
        )
        db.session.commit()
        return PasswordCheck(False, refusal)
    if verify_password(user.password_hash, password, current_app.config["PASSWORD_HASH"]):
        note_good_check(db.session, email=user.email, address=address)
        return PasswordCheck(True)
    record_event(
        db.session,
        "password_check.failed",
        actor_id=user.id,
        ip_address=address,
        now=now,
        purpose=purpose,
    )
    db.session.commit()
    return PasswordCheck(False)
