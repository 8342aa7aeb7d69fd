"""Fixed-window attempt counters kept in the database, so every worker shares them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Integer, String, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db import Base, TZDateTime


class RateLimitCounter(Base):
    """Attempts counted for one key (such as "login:account:x@y") in one time window."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start_at: Mapped[datetime] = mapped_column(TZDateTime(), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0)


def window_start(now: datetime, window: timedelta) -> datetime:
    """Return the start of the fixed window that contains `now`."""
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def count_hit(session: Session, key: str, now: datetime, window: timedelta) -> int:
    """Count one attempt for `key` atomically and return the attempts in this window so far."""
    start = window_start(now, window)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(RateLimitCounter).values(key=key[:300], window_start_at=start, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "window_start_at"],
        set_={"hits": RateLimitCounter.hits + 1},
    ).returning(RateLimitCounter.hits)
    return int(session.execute(stmt).scalar_one())


def purge_old_counters(session: Session, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Delete counters of windows that ended long ago; returns how many rows went.

    Runs as one of the scheduler's tick tasks, so the table holds about a day of windows.
    """
    result = session.execute(
        delete(RateLimitCounter).where(RateLimitCounter.window_start_at < now - keep)
    )
    return result.rowcount or 0
