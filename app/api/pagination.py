"""Query parameters for API lists: paging (`page`, `per_page`), `since`/`until` time filters.

Every list answers with one envelope:
`{"data": [...], "meta": {"page", "per_page", "total"}, "links": {"next", "prev"}}`.
Bad values are refused with 400 and a message that names the parameter, never clamped
silently, so a script learns about its mistake instead of reading the wrong page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from flask import Response, abort, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import ColumnElement

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# people_page and other queries clamp at this page; deeper reads should filter with `since`.
MAX_PAGE = 100_000
_WHOLE_NUMBER_RE = re.compile(r"^[0-9]{1,9}$")


@dataclass(frozen=True)
class PageRequest:
    """Which page of a list the client asked for."""

    page: int
    per_page: int

    @property
    def offset(self) -> int:
        """Return the number of rows before this page."""
        return (self.page - 1) * self.per_page

    def slice(self, items: Sequence[Any]) -> list[Any]:
        """Return this page of an in-memory list (for short lists computed in full)."""
        return list(items[self.offset : self.offset + self.per_page])


def bad_parameter(message: str) -> NoReturn:
    """Refuse the request with 400 and a message naming the faulty parameter."""
    abort(400, description=message)


def int_arg(name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    """Read a whole-number query parameter within [minimum, maximum] (400 otherwise)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not _WHOLE_NUMBER_RE.match(raw):
        bad_parameter(
            _(
                "The parameter “%(name)s” must be a whole number, not “%(value)s”.",
                name=name,
                value=raw[:40],
            )
        )
    value = int(raw)
    if not minimum <= value <= maximum:
        bad_parameter(
            _(
                "The parameter “%(name)s” must be between %(minimum)d and %(maximum)d.",
                name=name,
                minimum=minimum,
                maximum=maximum,
            )
        )
    return value


def page_request(*, default_per_page: int = DEFAULT_PER_PAGE) -> PageRequest:
    """Read `page` (from 1) and `per_page` (1 to 200) from the query string."""
    page = int_arg("page", default=1, minimum=1, maximum=MAX_PAGE)
    per_page = int_arg("per_page", default=default_per_page, minimum=1, maximum=MAX_PER_PAGE)
    return PageRequest(page=page or 1, per_page=per_page or default_per_page)


def _page_link(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def paged_response(data: Sequence[Any], page: PageRequest, total: int) -> Response:
    """Answer with one page of a list in the API's envelope, with links to its neighbours."""
    has_next = page.offset + page.per_page < total
    return jsonify(
        data=list(data),
        meta={"page": page.page, "per_page": page.per_page, "total": total},
        links={
            "next": _page_link(page.page + 1) if has_next else None,
            "prev": _page_link(page.page - 1) if page.page > 1 else None,
        },
    )


def datetime_arg(name: str) -> datetime | None:
    """Read an RFC 3339 date-time with its time zone ("2026-03-01T08:00:00Z"), or None."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        value = None
    if value is None or "T" not in raw.upper():
        bad_parameter(
            _(
                "The parameter “%(name)s” must be a date and time such as "
                "2026-03-01T08:00:00Z, not “%(value)s”.",
                name=name,
                value=raw[:40],
            )
        )
    if value.tzinfo is None:
        bad_parameter(
            _("The parameter “%(name)s” needs a time zone, such as Z for UTC.", name=name)
        )
    return value


@dataclass(frozen=True)
class TimeWindow:
    """A cursor-free time filter: rows after `since` (exclusive) up to `until` (inclusive).

    Clients poll with `since` set to the newest timestamp they have seen, as xAPI's
    statement API does; lists filtered this way should sort by (timestamp, id).
    """

    since: datetime | None
    until: datetime | None

    def clause(self, column: Any) -> list[ColumnElement[bool]]:
        """Return the WHERE conditions restricting `column` to the window."""
        conditions: list[ColumnElement[bool]] = []
        if self.since is not None:
            conditions.append(column > self.since)
        if self.until is not None:
            conditions.append(column <= self.until)
        return conditions


def time_window() -> TimeWindow:
    """Read `since` and `until` from the query string (400 when `until` is not after `since`)."""
    window = TimeWindow(since=datetime_arg("since"), until=datetime_arg("until"))
    if window.since and window.until and window.until <= window.since:
        bad_parameter(_("The parameter “until” must be later than “since”."))
    return window
