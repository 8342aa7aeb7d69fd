"""The application's notion of "now", so that tests can move the clock.

Views call `clock.now()`; operations take `now` as a parameter. In tests the app config key
`CLOCK_OFFSET` (a timedelta) shifts time, e.g. to wait out a quiz cool-down in a browser test.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from app.db import utcnow
from app.timekeeping.days import local_date, zone


def now() -> datetime:
    """Return the current UTC time, shifted by `CLOCK_OFFSET` when a test sets one."""
    moment = utcnow()
    if has_app_context():
        offset = current_app.config.get("CLOCK_OFFSET")
        if isinstance(offset, timedelta):
            moment += offset
    return moment


def platform_zone() -> ZoneInfo:
    """Return the configured time zone (`TIMEZONE`; Europe/Zurich outside an app context)."""
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return zone(name)


def today() -> date:
    """Return the local calendar day of `now()` in the platform's time zone."""
    return local_date(now(), platform_zone())
