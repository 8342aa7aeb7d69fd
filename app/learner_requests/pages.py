"""What every request page shares: the blueprint, the signed-in person, a request's timeline
page, and how a form shows its errors and an operation's refusal."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.i18n.request_language import select_language
from app.learner_requests import operations as ops
from app.learner_requests import queries
from app.learner_requests.models import EventKind, RequestKind
from app.learner_requests.words import (
    KIND_LABELS,
    status_label,
)
from app.people.models import Role, User

bp = Blueprint("requests", __name__, url_prefix="/requests")

HANDLERS = (Role.TRAINER, Role.ADMIN)


def deliver_mail() -> None:
    """Send the outbox's new e-mail after the commit (not before: a rollback sends nothing)."""
    from app.notifications.delivery import deliver_after_request

    deliver_after_request()


def refusal_text(error: ops.RequestRefused) -> str:
    """An operation's refusal, translated."""
    return _(error.message, **error.params)


def show_refusal(form: Any, error: ops.RequestRefused) -> None:
    """Put an operation's refusal at its field (or flash it when it names none)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, refusal_text(error)]
    else:
        flash(refusal_text(error), "error")


def form_errors(form: Any) -> list[tuple[str, str]]:
    """(field id, message) of every error, for the error summary at the top of the form."""
    return [
        (field.id, str(message))
        for field in form
        if field.type != "CSRFTokenField"
        for message in field.errors
    ]


def page_language() -> str:
    """The language the pages show requests in."""
    return select_language()


def me() -> User:
    """The signed-in person, loaded in this request's session."""
    user = db.session.get(User, current_user.id)
    if user is None:  # pragma: no cover - the session names a user who exists
        abort(404)
    return user


def seen_event(form: Any) -> int | None:
    """The newest event the form was shown with (None when the form did not say)."""
    raw = form.seen.data or ""
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def render_form(template: str, form: Any, status: int = 200, **context: Any) -> Any:
    """A form page with its error summary."""
    return render_template(template, form=form, errors=form_errors(form), **context), status


def render_timeline(template: str, found: Any, form: Any, status: int = 200) -> Any:
    """A request with its tracker and timeline, and a form that remembers the newest event."""
    events = queries.timeline(db.session, found)
    form.seen.data = str(events[-1].id if events else 0)
    return (
        render_template(
            template,
            row=queries.request_row(db.session, found.id, page_language()),
            events=events,
            steps=queries.steps(found, events),
            form=form,
            errors=form_errors(form),
            kind_labels=KIND_LABELS,
            status_label=status_label,
            EventKind=EventKind,
            RequestKind=RequestKind,
        ),
        status,
    )
