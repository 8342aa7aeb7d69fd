"""Forms and query-string filters of the readiness pages; bad values are refused, not clamped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField

from app.readiness.rules import Status
from app.web.query_args import BadFilter, query_arg

MAX_SEARCH = 100
MAX_PAGE = 100_000
UNIT_SORTS = ("name", "assigned", "ready", "share", "overdue", "projected", "status")


@dataclass(frozen=True)
class UnitFilters:
    """How the units table is filtered and sorted."""

    search: str = ""
    status: Status | None = None
    sort: str = "status"
    descending: bool = False
    trend_all: bool = False

    def as_args(self, **changes: object) -> dict[str, object]:
        """The query-string arguments of these filters, with some changed (for links)."""
        values: dict[str, object] = {
            "q": self.search or None,
            "status": self.status.value if self.status else None,
            "sort": self.sort,
            "dir": "desc" if self.descending else "asc",
            "trend": "all" if self.trend_all else None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


def parse_unit_filters(args: Mapping[str, str]) -> UnitFilters:
    """Read `q`, `status`, `sort`, `dir` and `trend` from the query string (BadFilter when
    invalid)."""
    search = (query_arg(args, "q") or "").strip()
    if len(search) > MAX_SEARCH:
        raise BadFilter(_("The search can have at most %(max)d characters.", max=MAX_SEARCH))
    raw_status = query_arg(args, "status") or ""
    status = None
    if raw_status:
        if raw_status not in Status._value2member_map_:
            raise BadFilter(_("There is no status “%(value)s”.", value=raw_status[:40]))
        status = Status(raw_status)
    sort = query_arg(args, "sort") or "status"
    if sort not in UNIT_SORTS:
        raise BadFilter(_("The table cannot be sorted by “%(value)s”.", value=sort[:40]))
    direction = query_arg(args, "dir") or "asc"
    if direction not in ("asc", "desc"):
        raise BadFilter(_("The sort direction must be “asc” or “desc”."))
    trend = query_arg(args, "trend") or ""
    if trend not in ("", "all"):
        raise BadFilter(_("The trend chart can show “all” units or, by default, the worst."))
    return UnitFilters(search, status, sort, direction == "desc", trend == "all")


def parse_page(args: Mapping[str, str], name: str = "page") -> int:
    """Read a page number from 1 (BadFilter when it is not a whole number in range)."""
    raw = query_arg(args, name)
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        raise BadFilter(_("The page must be a whole number from 1 to %(max)d.", max=MAX_PAGE))
    return int(raw)


def parse_unit_id(args: Mapping[str, str]) -> int | None:
    """Read the optional `unit` id of an export or list (BadFilter when not a whole number)."""
    raw = query_arg(args, "unit")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise BadFilter(_("The unit must be given by its number."))
    return int(raw)


class ReminderForm(FlaskForm):
    """The one-click reminder (a CSRF-protected POST); `next` brings the manager back."""

    next = HiddenField()
