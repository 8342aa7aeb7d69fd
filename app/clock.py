"""The application's notion of "now", so that tests can move the clock.

Views call `clock.now()`; operations take `now` as a parameter. In tests the app config key
`CLOCK_OFFSET` (a timedelta) shifts time, e.g. to wait out a quiz cool-down in a browser test.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, has_app_context

from app.db import utcnow


def now() -> datetime:
    """Return the current UTC time, shifted by `CLOCK_OFFSET` when a test sets one."""
    moment = utcnow()
    if has_app_context():
        offset = current_app.config.get("CLOCK_OFFSET")
        if isinstance(offset, timedelta):
            moment += offset
    return moment
