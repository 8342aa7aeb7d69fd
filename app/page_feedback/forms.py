"""Forms of page feedback: the reader's two small forms and the trainers' status filter."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from app.learner_requests.models import ReportStatus
from app.page_feedback.operations import MAX_COMMENT
from app.web.query_args import BadFilter, query_arg


def parse_report_status(args: Mapping[str, str]) -> ReportStatus | None:
    """Read an optional report status filter."""
    raw = query_arg(args, "status") or ""
    if not raw:
        return None
    if raw not in ReportStatus._value2member_map_:
        raise BadFilter(_("There is no status “%(value)s”.", value=raw[:40]))
    return ReportStatus(raw)


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
