"""Local days: the platform's time zone and where its days begin and end.

Pure: no Flask, no database. A due date means "by the end of that day" in the platform's time
zone; reminders and snapshots belong to the local day they fall in. `clock.platform_zone()`
reads the configured zone for a request or command.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Europe/Zurich"


def zone(name: str | None) -> ZoneInfo:
    """Return the platform's time zone (Europe/Zurich unless configured otherwise)."""
    return ZoneInfo(name or DEFAULT_TIMEZONE)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """Return the UTC moment a local day begins."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def day_end(day: date, tz: ZoneInfo) -> datetime:
    """Return the UTC moment of the last second of a local day (what "due on" means)."""
    return day_start(day + timedelta(days=1), tz) - timedelta(seconds=1)


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    """Return the local calendar day of a UTC moment."""
    return moment.astimezone(tz).date()
