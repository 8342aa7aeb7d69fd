"""iCalendar (RFC 5545) feeds: a person's due dates and one campaign's key dates.

Built with the `icalendar` library. UIDs are derived from what an event is about, never from
when the feed was generated, so a calendar that polls the feed replaces events instead of
duplicating them. Due dates are all-day events (DTSTART as a DATE).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Counter Ready//Campaigns//EN"


@dataclass(frozen=True)
class DayEvent:
    """An all-day event: what the calendar shows, and its stable identity."""

    uid: str
    day: date
    summary: str
    url: str | None = None
    description: str | None = None
    last_day: date | None = None  # inclusive; None: a one-day event


def due_uid(campaign_id: int, module_id: int, user_id: int, domain: str) -> str:
    """The UID of a person's due date for a module in a campaign (stable forever)."""
    return f"campaign-{campaign_id}-module-{module_id}-user-{user_id}@{domain}"


def campaign_uid(campaign_id: int, what: str, domain: str) -> str:
    """The UID of one of a campaign's key dates ("assign", "due", "period")."""
    return f"campaign-{campaign_id}-{what}@{domain}"


def build_calendar(
    name: str, events: Iterable[DayEvent], *, stamp: datetime, tz: ZoneInfo | None = None
) -> bytes:
    """Return the feed as RFC 5545 bytes (CRLF line endings, folded lines)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    if tz is not None:
        calendar.add("x-wr-timezone", str(tz))
    for item in events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", (item.last_day or item.day) + timedelta(days=1))
        event.add("summary", item.summary)
        event.add("transp", "TRANSPARENT")
        if item.url:
            event.add("url", item.url)
        if item.description:
            event.add("description", item.description)
        calendar.add_component(event)
    return calendar.to_ical()
