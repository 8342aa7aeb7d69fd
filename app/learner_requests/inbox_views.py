"""The trainers' inbox of requests: the list, one request, and an answer and new status saved
in one step.

A request is loaded through a scoped lookup (the ones a trainer handles), so any other
request is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.learner_requests import access, queries
from app.learner_requests import operations as ops
from app.learner_requests.forms import RespondForm
from app.learner_requests.models import ReportStatus, RequestKind
from app.learner_requests.pages import (
    HANDLERS,
    bp,
    deliver_mail,
    me,
    page_language,
    render_timeline,
    seen_event,
    show_refusal,
)
from app.learner_requests.words import (
    KIND_LABELS,
    status_choices,
    status_label,
)
from app.permissions import ensure, roles_required
from app.timekeeping import clock


class _BadFilter(ValueError):
    """A filter of the inbox's address that names nothing the list knows."""


def _parse_filter(name: str, allowed: type[Any]) -> Any:
    raw = request.args.get(name) or ""
    if not raw:
        return None
    if raw not in allowed._value2member_map_:
        raise _BadFilter(
            _("The filter “%(name)s” cannot be “%(value)s”.", name=name, value=raw[:40])
        )
    return allowed(raw)


@bp.get("/inbox")
@roles_required(*HANDLERS)
def inbox():
    """Requests for my providers' modules, and the unrouted ones: open first, oldest first."""
    try:
        status = _parse_filter("status", ReportStatus)
        kind = _parse_filter("kind", RequestKind)
    except _BadFilter as error:
        flash(str(error), "error")
        return redirect(url_for(".inbox"), 303)
    return render_template(
        "learner_requests/inbox.html",
        rows=queries.inbox(db.session, current_user, page_language(), status=status, kind=kind),
        status=status,
        kind=kind,
        kind_labels=KIND_LABELS,
        status_label=status_label,
        statuses=list(ReportStatus),
    )


def _to_handle(request_id: int, *, for_update: bool = False) -> Any:
    found = queries.request_to_handle(db.session, current_user, request_id, for_update=for_update)
    ensure(access.HANDLE_REQUEST, found)
    return found


def _respond_form(found: Any, *, submitted: bool) -> RespondForm:
    """The answer form; its status list offers every state but the current one."""
    form = RespondForm() if submitted else RespondForm(formdata=None)
    keep = _("Keep: %(status)s", status=status_label(found.status, found.kind))
    form.status.choices = [("", keep)] + [
        (value, label) for value, label in status_choices(found.kind) if value != found.status.value
    ]
    return form


@bp.get("/inbox/<int:request_id>")
@roles_required(*HANDLERS)
def handle(request_id: int):
    """A request to answer: what was asked, its timeline, the answer form."""
    found = _to_handle(request_id)
    return render_timeline(
        "learner_requests/handle.html", found, _respond_form(found, submitted=False)
    )


@bp.post("/inbox/<int:request_id>/respond")
@roles_required(*HANDLERS)
def respond(request_id: int):
    """Save an answer and/or a new status in one step; the person who asked is told."""
    found = _to_handle(request_id, for_update=True)
    form = _respond_form(found, submitted=True)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return render_timeline("learner_requests/handle.html", found, form, 400)
    raw = form.status.data or ""
    if raw and raw not in ReportStatus._value2member_map_:
        form.status.errors = [_("Choose a status from the list.")]
        return render_timeline("learner_requests/handle.html", found, form, 400)
    try:
        ops.respond(
            db.session,
            found,
            actor=me(),
            answer=form.answer.data,
            status=ReportStatus(raw) if raw else None,
            now=clock.now(),
            ip=request.remote_addr,
            seen=seen_event(form),
        )
    except ops.RequestRefused as error:
        db.session.rollback()
        show_refusal(form, error)
        return render_timeline("learner_requests/handle.html", found, form, 400)
    db.session.commit()
    deliver_mail()
    flash(_("Saved. The person who asked has been told."), "success")
    return redirect(url_for(".handle", request_id=found.id), 303)
