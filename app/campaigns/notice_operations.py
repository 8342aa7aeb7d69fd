"""A person's calendar-feed addresses, notification choice and notices. They flush; the
caller commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.campaigns.links import feed_secret_hash, new_feed_secret
from app.campaigns.models import (
    CalendarToken,
    Campaign,
    Channel,
    FeedKind,
    Notice,
    NotificationPreference,
)
from app.people.models import User


def create_feed_token(
    session: Session,
    user: User,
    *,
    kind: FeedKind,
    campaign: Campaign | None = None,
    now: datetime,
) -> tuple[CalendarToken, str]:
    """Make a feed token and return it with its secret (shown once; only the hash is kept).

    A person has one personal feed, and a campaign one feed: making a new one revokes the old.
    """
    old = select(CalendarToken).where(
        CalendarToken.kind == kind, CalendarToken.revoked_at.is_(None)
    )
    if kind == FeedKind.PERSONAL:
        old = old.where(CalendarToken.user_id == user.id)
    else:
        old = old.where(CalendarToken.campaign_id == campaign.id)  # type: ignore[union-attr]
    for token in session.scalars(old):
        token.revoked_at = now
    secret = new_feed_secret()
    token = CalendarToken(
        kind=kind,
        user_id=user.id,
        campaign_id=campaign.id if campaign else None,
        token_prefix=secret[:8],
        token_hash=feed_secret_hash(secret),
        created_at=now,
    )
    session.add(token)
    session.flush()
    return token, secret


def revoke_feed_token(session: Session, token: CalendarToken, *, now: datetime) -> None:
    """Revoke a feed token: the calendar URL answers 404 from now on."""
    if token.revoked_at is None:
        token.revoked_at = now
    session.flush()


def set_channel(
    session: Session, user_id: int, channel: Channel, *, now: datetime, via_link: bool = False
) -> None:
    """Record how a person wants to hear from the platform (upsert on the user)."""
    preference = session.scalar(
        select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    )
    if preference is None:
        preference = NotificationPreference(user_id=user_id)
        session.add(preference)
    preference.channel = channel
    preference.updated_at = now
    preference.unsubscribed_at = now if via_link and channel == Channel.IN_APP else None
    session.flush()


def mark_notice_read(session: Session, notice: Notice, *, now: datetime) -> None:
    """Mark one notice as read."""
    if notice.read_at is None:
        notice.read_at = now
    session.flush()


def mark_all_notices_read(session: Session, user_id: int, *, now: datetime) -> int:
    """Mark all of a person's notices as read; returns how many were unread."""
    result = session.execute(
        update(Notice)
        .where(Notice.user_id == user_id, Notice.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount or 0
