"""The calendar rules of campaigns: local days, fair due dates and reminder steps.

Pure: no Flask, no database. A due date means "by the end of that day" in the platform's time
zone; reminders go out from the start of their day. Step keys carry the due date, so moving a
due date starts a fresh set of reminders instead of silently skipping them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.timekeeping.days import day_end, day_start, local_date


def late_joiner_due(
    campaign_due: datetime, joined_at: datetime, days: int, tz: ZoneInfo
) -> datetime:
    """The fair due date of someone who joins after launch: max(due date, joined + N days)."""
    own = day_end(local_date(joined_at, tz) + timedelta(days=max(days, 0)), tz)
    return max(campaign_due, own)


def parse_reminder_days(text: str) -> list[int]:
    """Read "21, 7, 2" into [21, 7, 2] (largest first, no duplicates); raises ValueError."""
    values: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        number = int(part)
        if number < 1 or number > 365:
            raise ValueError(part)
        values.add(number)
    return sorted(values, reverse=True)


@dataclass(frozen=True)
class Step:
    """A reminder step: its key (unique per campaign and person), when it fires, its kind."""

    key: str
    fires_at: datetime
    kind: str  # "before" or "overdue"
    number: int  # days before the due date, or the overdue week (1, 2, ...)


def steps_for(
    due_at: datetime,
    reminder_days: Iterable[int],
    *,
    weekly_overdue: bool,
    until: datetime,
    tz: ZoneInfo,
) -> list[Step]:
    """Every step of a plan for one due date in firing order (overdue weeks up to `until`)."""
    due_day = local_date(due_at, tz)
    stamp = due_day.isoformat()
    steps = [
        Step(
            f"before:{days}:{stamp}", day_start(due_day - timedelta(days=days), tz), "before", days
        )
        for days in sorted(set(reminder_days), reverse=True)
    ]
    if weekly_overdue:
        week = 1
        while True:
            fires = day_start(due_day + timedelta(days=1 + 7 * (week - 1)), tz)
            if fires > until:
                break
            steps.append(Step(f"overdue:{week}:{stamp}", fires, "overdue", week))
            week += 1
    return sorted(steps, key=lambda s: s.fires_at)


def latest_step(
    due_at: datetime,
    reminder_days: Sequence[int],
    *,
    weekly_overdue: bool,
    now: datetime,
    tz: ZoneInfo,
) -> Step | None:
    """The step that is due now: the latest one whose moment has come (catch-up sends only it)."""
    fired = [
        s
        for s in steps_for(due_at, reminder_days, weekly_overdue=weekly_overdue, until=now, tz=tz)
        if s.fires_at <= now
    ]
    if not fired:
        return None
    return max(fired, key=lambda s: s.fires_at)


def add_years(moment: datetime, years: int, tz: ZoneInfo) -> datetime:
    """Shift a moment by whole years on the local calendar (29 February becomes 28)."""
    local = moment.astimezone(tz)
    try:
        shifted = local.replace(year=local.year + years)
    except ValueError:
        shifted = local.replace(year=local.year + years, day=28)
    naive = shifted.replace(tzinfo=None)
    return datetime.combine(naive.date(), naive.time(), tzinfo=tz).astimezone(UTC)


# --- ISO weeks ---------------------------------------------------------------------------------

_ISO_WEEK_RE = re.compile(r"^\s*(\d{4})\s*-?\s*W\s*(\d{1,2})\s*$", re.IGNORECASE)


def parse_iso_week(text: str) -> tuple[date, date]:
    """Read "2027-W46" (what `<input type="week">` sends; "2027W46" too) into its Monday and
    Sunday; raises ValueError for anything else or a week the year does not have."""
    match = _ISO_WEEK_RE.match(text or "")
    if not match:
        raise ValueError(text)
    year, week = int(match.group(1)), int(match.group(2))
    monday = date.fromisocalendar(year, week, 1)  # ValueError for week 0 or 53 of a 52-week year
    return monday, monday + timedelta(days=6)


def iso_week_text(day: date) -> str:
    """The ISO week of a day as `<input type="week">` writes it ("2027-W46")."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class WeekSpan:
    """The ISO weeks a period covers, to show beside its dates ("weeks 46-47 2027")."""

    first_year: int
    first_week: int
    last_year: int
    last_week: int

    @property
    def is_one_week(self) -> bool:
        """Tell whether the period lies in a single week."""
        return (self.first_year, self.first_week) == (self.last_year, self.last_week)

    @property
    def is_one_year(self) -> bool:
        """Tell whether the first and last week belong to the same ISO year."""
        return self.first_year == self.last_year


def week_span(first: date, last: date) -> WeekSpan:
    """The ISO weeks from `first` to `last` (inclusive local days)."""
    start, end = first.isocalendar(), max(first, last).isocalendar()
    return WeekSpan(start[0], start[1], end[0], end[1])


# --- due-date checks ---------------------------------------------------------------------------


def due_date_warning(
    due_at: datetime, reminder_days: Iterable[int], *, now: datetime
) -> str | None:
    """Why a due date deserves a second look: "past" (it is over), "lead_time" (the earliest
    reminder's day has already passed, so people get less notice than the plan says), or None."""
    if due_at <= now:
        return "past"
    days = max(reminder_days, default=0)
    if days and due_at - timedelta(days=days) <= now:
        return "lead_time"
    return None
