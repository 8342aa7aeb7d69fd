"""Forms and query-string filters of the readiness pages; bad values are refused, not clamped."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from app.readiness.item_analysis import ALL_ATTEMPTS, FIRST_ATTEMPTS
from app.readiness.models import ReportStatus
from app.readiness.operations import MAX_COMMENT
from app.readiness.rules import Status

MAX_SEARCH = 100
MAX_PAGE = 100_000
UNIT_SORTS = ("name", "assigned", "ready", "share", "overdue", "projected", "status")


class BadFilter(ValueError):
    """A query-string value the page cannot use; the message says which and why."""


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


def _one(args: Mapping[str, str], name: str) -> str | None:
    value = args.get(name)
    if value is not None and ("\x00" in value or len(value) > 200):
        raise BadFilter(_("The filter “%(name)s” is not valid.", name=name))
    return value


def parse_unit_filters(args: Mapping[str, str]) -> UnitFilters:
    """Read `q`, `status`, `sort`, `dir` and `trend` from the query string (BadFilter when
    invalid)."""
    search = (_one(args, "q") or "").strip()
    if len(search) > MAX_SEARCH:
        raise BadFilter(_("The search can have at most %(max)d characters.", max=MAX_SEARCH))
    raw_status = _one(args, "status") or ""
    status = None
    if raw_status:
        if raw_status not in Status._value2member_map_:
            raise BadFilter(_("There is no status “%(value)s”.", value=raw_status[:40]))
        status = Status(raw_status)
    sort = _one(args, "sort") or "status"
    if sort not in UNIT_SORTS:
        raise BadFilter(_("The table cannot be sorted by “%(value)s”.", value=sort[:40]))
    direction = _one(args, "dir") or "asc"
    if direction not in ("asc", "desc"):
        raise BadFilter(_("The sort direction must be “asc” or “desc”."))
    trend = _one(args, "trend") or ""
    if trend not in ("", "all"):
        raise BadFilter(_("The trend chart can show “all” units or, by default, the worst."))
    return UnitFilters(search, status, sort, direction == "desc", trend == "all")


def parse_page(args: Mapping[str, str], name: str = "page") -> int:
    """Read a page number from 1 (BadFilter when it is not a whole number in range)."""
    raw = _one(args, name)
    if raw is None or raw == "":
        return 1
    if not raw.isdigit() or len(raw) > 6 or not 1 <= int(raw) <= MAX_PAGE:
        raise BadFilter(_("The page must be a whole number from 1 to %(max)d.", max=MAX_PAGE))
    return int(raw)


def parse_unit_id(args: Mapping[str, str]) -> int | None:
    """Read the optional `unit` id of an export or list (BadFilter when not a whole number)."""
    raw = _one(args, "unit")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise BadFilter(_("The unit must be given by its number."))
    return int(raw)


def parse_attempt_policy(args: Mapping[str, str]) -> str:
    """Read which attempts item analysis uses: each learner's first, or all."""
    raw = _one(args, "attempts") or FIRST_ATTEMPTS
    if raw not in (FIRST_ATTEMPTS, ALL_ATTEMPTS):
        raise BadFilter(_("Choose the first attempts or all attempts."))
    return raw


def parse_version(args: Mapping[str, str], known: set[int]) -> int | None:
    """Read an optional quiz version number that must exist."""
    raw = _one(args, "version")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) not in known:
        raise BadFilter(_("This quiz has no version “%(value)s”.", value=raw[:20]))
    return int(raw)


def parse_report_status(args: Mapping[str, str]) -> ReportStatus | None:
    """Read an optional report status filter."""
    raw = _one(args, "status") or ""
    if not raw:
        return None
    if raw not in ReportStatus._value2member_map_:
        raise BadFilter(_("There is no status “%(value)s”.", value=raw[:40]))
    return ReportStatus(raw)


class ReminderForm(FlaskForm):
    """The one-click reminder (a CSRF-protected POST); `next` brings the manager back."""

    next = HiddenField()


class RatingForm(FlaskForm):
    """ "Was this page helpful?" (yes or no); `next` returns to the page."""

    helpful = SelectField(
        _l("Was this page helpful?"),
        choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
        validators=[InputRequired()],
    )
    next = HiddenField()


class ProblemForm(FlaskForm):
    """Report a problem with a page, in the learner's words."""

    comment = TextAreaField(
        _l("What is wrong with this page?"),
        validators=[
            DataRequired(_l("Describe the problem.")),
            Length(max=MAX_COMMENT, message=_l("Use at most 2000 characters.")),
        ],
    )
    next = HiddenField()


REPORT_STATUS_LABELS = {
    ReportStatus.RECEIVED: _l("Received"),
    ReportStatus.IN_PROGRESS: _l("In progress"),
    ReportStatus.HANDLED: _l("Handled"),
}


class ReportStatusForm(FlaskForm):
    """A trainer moves a report along: received, in progress, handled."""

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice(s.value, label) for s, label in REPORT_STATUS_LABELS.items()],
        validators=[InputRequired()],
    )
    next = HiddenField()
