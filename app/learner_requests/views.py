"""Pages of requests: my requests and their timelines, asking a question, requesting a module,
and the trainers' inbox where an answer and a new status are saved in one step.

Every page loads the request through a scoped lookup (the person's own, or the ones a trainer
handles), so another person's request is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.campaigns import phrases
from app.extensions import db
from app.i18n.request_language import select_language
from app.learner_requests import access, queries
from app.learner_requests import operations as ops
from app.learner_requests.forms import FollowUpForm, NewModuleForm, QuestionForm, RespondForm
from app.learner_requests.models import EventKind
from app.learner_requests.words import (
    KIND_LABELS,
    NOTICE_KIND,
    RequestWords,
    status_choices,
    status_label,
)
from app.people.models import Provider, Role, User
from app.permissions import ensure, may, register_rule, roles_required, signed_in
from app.platform.hooks import HOME_PANELS, NAV_ENTRIES
from app.readiness.models import ReportStatus, RequestKind
from app.timekeeping import clock

bp = Blueprint("requests", __name__, url_prefix="/requests")

HANDLERS = (Role.TRAINER, Role.ADMIN)
VIEW_MODULE = "content.view_module"


def _deliver_mail() -> None:
    """Send the outbox's new e-mail after the commit (not before: a rollback sends nothing)."""
    from app.notifications.delivery import deliver_after_request

    deliver_after_request()


def _refusal_text(error: ops.RequestRefused) -> str:
    return _(error.message, **error.params)


def _show_refusal(form: Any, error: ops.RequestRefused) -> None:
    """Put an operation's refusal at its field (or flash it when it names none)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, _refusal_text(error)]
    else:
        flash(_refusal_text(error), "error")


def _form_errors(form: Any) -> list[tuple[str, str]]:
    """(field id, message) of every error, for the error summary at the top of the form."""
    return [
        (field.id, str(message))
        for field in form
        if field.type != "CSRFTokenField"
        for message in field.errors
    ]


def _language() -> str:
    return select_language()


def _me() -> User:
    user = db.session.get(User, current_user.id)
    if user is None:  # pragma: no cover - the session names a user who exists
        abort(404)
    return user


# --- the person who asked -------------------------------------------------------------------


@bp.get("/")
@signed_in
def mine():
    """My requests and where each stands."""
    return render_template(
        "learner_requests/mine.html",
        rows=queries.my_requests(db.session, current_user.id, _language()),
        kind_labels=KIND_LABELS,
        status_label=status_label,
    )


@bp.get("/<int:request_id>")
@signed_in
def detail(request_id: int):
    """One of my requests: the tracker, the timeline with the trainers' answers, a follow-up."""
    found = queries.own_request(db.session, current_user.id, request_id)
    ensure(access.VIEW_REQUEST, found)
    return _render_detail(found, FollowUpForm(formdata=None))


def _seen(form: Any) -> int | None:
    """The newest event the form was shown with (None when the form did not say)."""
    raw = form.seen.data or ""
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _render_detail(found: Any, form: FollowUpForm, status: int = 200) -> Any:
    events = queries.timeline(db.session, found)
    form.seen.data = str(events[-1].id if events else 0)
    return (
        render_template(
            "learner_requests/detail.html",
            row=queries.request_row(db.session, found.id, _language()),
            events=events,
            steps=queries.steps(found, events),
            form=form,
            errors=_form_errors(form),
            kind_labels=KIND_LABELS,
            status_label=status_label,
            EventKind=EventKind,
            RequestKind=RequestKind,
        ),
        status,
    )


@bp.post("/<int:request_id>/follow-up")
@signed_in
def follow_up(request_id: int):
    """Add something to my request (a handled one opens again)."""
    found = queries.own_request(db.session, current_user.id, request_id, for_update=True)
    ensure(access.VIEW_REQUEST, found)
    form = FollowUpForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_detail(found, form, 400)
    try:
        ops.add_follow_up(
            db.session,
            found,
            user=_me(),
            text=form.text.data,
            now=clock.now(),
            seen=_seen(form),
        )
    except ops.RequestRefused as error:
        db.session.rollback()
        _show_refusal(form, error)
        return _render_detail(found, form, 400)
    db.session.commit()
    flash(_("Your follow-up was added. The trainers see it with your request."), "success")
    return redirect(url_for(".detail", request_id=found.id), 303)


def _render_form(template: str, form: Any, status: int = 200, **context: Any) -> Any:
    return render_template(template, form=form, errors=_form_errors(form), **context), status


@bp.route("/ask", methods=["GET", "POST"])
@signed_in
def ask():
    """Ask the trainers a question, about a module (`?module=slug`) or in general."""
    form = QuestionForm()
    form.module.choices = [("", _("No particular module (all trainers)"))] + (
        queries.module_choices(db.session, _language())
    )
    if request.method == "GET":
        form.module.data = (request.args.get("module") or "")[:100]
        return _render_form("learner_requests/ask.html", form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_form("learner_requests/ask.html", form, 400)
    module = None
    if form.module.data:
        module = queries.askable_module(db.session, form.module.data)
        if module is None or not may(current_user, VIEW_MODULE, module):
            form.module.errors = [_("Choose a module from the list.")]
            return _render_form("learner_requests/ask.html", form, 400)
    try:
        found = ops.ask_question(
            db.session,
            user=_me(),
            module=module,
            subject=form.subject.data,
            text=form.text.data,
            now=clock.now(),
        )
    except ops.RequestRefused as error:
        db.session.rollback()
        _show_refusal(form, error)
        return _render_form("learner_requests/ask.html", form, 400)
    db.session.commit()
    flash(_("Your question was received. You can follow it here."), "success")
    return redirect(url_for(".detail", request_id=found.id), 303)


@bp.route("/new-module", methods=["GET", "POST"])
@signed_in
def new_module():
    """Ask for a module that does not exist yet: topic, why, for whom."""
    form = NewModuleForm()
    form.provider.choices = [("", _("I do not know (all trainers)"))] + [
        (str(pid), name) for pid, name in queries.provider_choices(db.session)
    ]
    if request.method == "GET":
        return _render_form("learner_requests/new_module.html", form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_form("learner_requests/new_module.html", form, 400)
    provider = None
    if form.provider.data:
        raw = form.provider.data
        provider = db.session.get(Provider, int(raw)) if raw.isdigit() and len(raw) < 12 else None
        if provider is None:
            form.provider.errors = [_("Choose a provider from the list.")]
            return _render_form("learner_requests/new_module.html", form, 400)
    try:
        found = ops.request_module(
            db.session,
            user=_me(),
            provider=provider,
            topic=form.topic.data,
            why=form.why.data,
            audience=form.audience.data,
            now=clock.now(),
        )
    except ops.RequestRefused as error:
        db.session.rollback()
        _show_refusal(form, error)
        return _render_form("learner_requests/new_module.html", form, 400)
    db.session.commit()
    flash(_("Your request for a new module was received. You can follow it here."), "success")
    return redirect(url_for(".detail", request_id=found.id), 303)


# --- the trainers -----------------------------------------------------------------------------


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
        rows=queries.inbox(db.session, current_user, _language(), status=status, kind=kind),
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


def _render_handle(found: Any, form: RespondForm, status: int = 200) -> Any:
    events = queries.timeline(db.session, found)
    form.seen.data = str(events[-1].id if events else 0)
    return (
        render_template(
            "learner_requests/handle.html",
            row=queries.request_row(db.session, found.id, _language()),
            events=events,
            steps=queries.steps(found, events),
            form=form,
            errors=_form_errors(form),
            kind_labels=KIND_LABELS,
            status_label=status_label,
            EventKind=EventKind,
            RequestKind=RequestKind,
        ),
        status,
    )


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
    return _render_handle(found, _respond_form(found, submitted=False))


@bp.post("/inbox/<int:request_id>/respond")
@roles_required(*HANDLERS)
def respond(request_id: int):
    """Save an answer and/or a new status in one step; the person who asked is told."""
    found = _to_handle(request_id, for_update=True)
    form = _respond_form(found, submitted=True)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_handle(found, form, 400)
    raw = form.status.data or ""
    if raw and raw not in ReportStatus._value2member_map_:
        form.status.errors = [_("Choose a status from the list.")]
        return _render_handle(found, form, 400)
    try:
        ops.respond(
            db.session,
            found,
            actor=_me(),
            answer=form.answer.data,
            status=ReportStatus(raw) if raw else None,
            now=clock.now(),
            ip=request.remote_addr,
            seen=_seen(form),
        )
    except ops.RequestRefused as error:
        db.session.rollback()
        _show_refusal(form, error)
        return _render_handle(found, form, 400)
    db.session.commit()
    _deliver_mail()
    flash(_("Saved. The person who asked has been told."), "success")
    return redirect(url_for(".handle", request_id=found.id), 303)


# --- plugging in ------------------------------------------------------------------------------


def _home_panel(user: User) -> dict[str, Any] | None:
    """Home panel: my requests not yet handled, and (trainers) how many wait for an answer."""
    rows = [r for r in queries.my_requests(db.session, user.id, _language()) if r.is_open]
    waiting = queries.open_inbox_count(db.session, user) if access.is_request_handler(user) else 0
    if not rows and not waiting:
        return None
    return {
        "template": "learner_requests/_home_panel.html",
        "rows": rows[:5],
        "more": len(rows) > 5,
        "waiting": waiting,
        "status_label": status_label,
    }


def register(app: Flask) -> None:
    """Register the blueprint, permission rules, notice words, navigation and home panel."""
    app.register_blueprint(bp)
    register_rule(access.VIEW_REQUEST, access.may_view_request)
    register_rule(access.HANDLE_REQUEST, access.may_handle_request)
    phrases.register_kind(NOTICE_KIND, RequestWords)
    everyone = {Role.LEARNER, Role.TRAINER, Role.MANAGER, Role.ADMIN}
    NAV_ENTRIES.connect_all(
        app,
        [
            ("requests.mine", _l("My requests"), everyone),
            ("requests.inbox", _l("Requests to answer"), set(HANDLERS)),
        ],
    )
    HOME_PANELS.connect(app, _home_panel)
