"""Sliding-log throttling kept in the database, so every worker and every host shares it.

Each counted event (a failed password check, a reset request) is one row with its time. A
limit of N per window then asks "how many rows in the last window?": unlike fixed windows,
there is no edge at which a second full burst is allowed right after the first.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Index, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, TZDateTime


class ThrottleEvent(Base):
    """One counted event of a kind, for an account and/or from an address, at a moment."""

    __tablename__ = "throttle_events"
    __table_args__ = (
        Index("ix_throttle_events_kind_account", "kind", "account", "occurred_at"),
        Index("ix_throttle_events_kind_address", "kind", "address", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # A digest of the normalised e-mail typed: whatever was typed (even a password in the
    # wrong field) is not kept in clear text.
    account: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(TZDateTime(), index=True)


@dataclass(frozen=True)
class Limit:
    """At most `count` events within any `window`."""

    count: int
    window: timedelta


def account_key(email: str) -> str:
    """Return the digest that stands for an account name typed in a form."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def note_event(
    session: Session, kind: str, *, account: str | None, address: str | None, now: datetime
) -> None:
    """Count one event (flushed; the caller commits)."""
    session.add(
        ThrottleEvent(
            kind=kind,
            account=account,
            address=(address or "")[:64] or None,
            occurred_at=now,
        )
    )
    session.flush()


def _filtered(kind: str, account: str | None, address: str | None):
    conditions = [ThrottleEvent.kind == kind]
    if account is not None:
        conditions.append(ThrottleEvent.account == account)
    if address is not None:
        conditions.append(ThrottleEvent.address == address[:64])
    return conditions


def sliding_wait(
    session: Session,
    kind: str,
    limit: Limit,
    now: datetime,
    *,
    account: str | None = None,
    address: str | None = None,
) -> int:
    """Return the seconds until one more event fits under `limit` (0: it fits now).

    The limit-th newest event in the window has to leave it before another one is allowed.
    """
    if limit.count <= 0:
        return 0
    times = list(
        session.scalars(
            select(ThrottleEvent.occurred_at)
            .where(
                *_filtered(kind, account, address), ThrottleEvent.occurred_at > now - limit.window
            )
            .order_by(ThrottleEvent.occurred_at.desc())
            .limit(limit.count)
        )
    )
    if len(times) < limit.count:
        return 0
    return _ceil_seconds(times[-1] + limit.window - now)


def backoff_delay(failures: int, *, free: int, base: timedelta, cap: timedelta) -> timedelta:
    """Return the pause owed after `failures`: none for the first `free`, then doubling, capped."""
    if failures < free:
        return timedelta(0)
    # Past 2**20 the cap has long been reached; bounding the exponent keeps the number small.
    return min(cap, base * 2 ** min(failures - free, 20))


def backoff_wait(
    session: Session,
    kind: str,
    *,
    account: str,
    window: timedelta,
    free: int,
    base: timedelta,
    cap: timedelta,
    now: datetime,
) -> int:
    """Return the seconds still owed by an account whose failures in `window` earn a pause."""
    count, newest = session.execute(
        select(func.count(ThrottleEvent.id), func.max(ThrottleEvent.occurred_at)).where(
            *_filtered(kind, account, None), ThrottleEvent.occurred_at > now - window
        )
    ).one()
    if not count:
        return 0
    return max(0, _ceil_seconds(newest + backoff_delay(count, free=free, base=base, cap=cap) - now))


def clear_events(session: Session, kind: str, *, account: str, address: str) -> int:
    """Forget the events of one account from one address; returns how many rows went."""
    result = session.execute(delete(ThrottleEvent).where(*_filtered(kind, account, address)))
    return result.rowcount or 0


def _ceil_seconds(delta: timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds()))


def purge_old_counters(session: Session, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Delete events older than any window looks back; returns how many rows went.

    Runs as one of the scheduler's tick tasks, so the table holds about a day of events.
    """
    result = session.execute(delete(ThrottleEvent).where(ThrottleEvent.occurred_at < now - keep))
    return result.rowcount or 0
