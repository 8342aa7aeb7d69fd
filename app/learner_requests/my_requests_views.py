"""Pages of the person who asked: my requests and their timelines, a follow-up, asking a
question and requesting a module.

Every page loads the request through a scoped lookup (the person's own), so another person's
request is a 404, never a 403 that confirms it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.learner_requests import access, asking, queries
from app.learner_requests import operations as ops
from app.learner_requests.forms import FollowUpForm, NewModuleForm, QuestionForm
from app.learner_requests.pages import (
    bp,
    me,
    page_language,
    render_form,
    render_timeline,
    seen_event,
    show_refusal,
)
from app.learner_requests.words import (
    KIND_LABELS,
    status_label,
)
from app.people.models import Provider
from app.permissions import ensure, may, signed_in
from app.timekeeping import clock

VIEW_MODULE = "content.view_module"


@bp.get("/")
@signed_in
def mine():
    """My requests and where each stands."""
    return render_template(
        "learner_requests/mine.html",
        rows=queries.my_requests(db.session, current_user.id, page_language()),
        kind_labels=KIND_LABELS,
        status_label=status_label,
    )


@bp.get("/<int:request_id>")
@signed_in
def detail(request_id: int):
    """One of my requests: the tracker, the timeline with the trainers' answers, a follow-up."""
    found = queries.own_request(db.session, current_user.id, request_id)
    ensure(access.VIEW_REQUEST, found)
    return render_timeline("learner_requests/detail.html", found, FollowUpForm(formdata=None))


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
        return render_timeline("learner_requests/detail.html", found, form, 400)
    try:
        ops.add_follow_up(
            db.session,
            found,
            user=me(),
            text=form.text.data,
            now=clock.now(),
            seen=seen_event(form),
        )
    except ops.RequestRefused as error:
        db.session.rollback()
        show_refusal(form, error)
        return render_timeline("learner_requests/detail.html", found, form, 400)
    db.session.commit()
    flash(_("Your follow-up was added. The trainers see it with your request."), "success")
    return redirect(url_for(".detail", request_id=found.id), 303)


class _NotInList(ValueError):
    """The module or provider chosen in a request form is not one the form offers."""

    def __init__(self, field: Any, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _request_page(
    form: Any,
    template: str,
    *,
    chosen: Callable[[Any], Any],
    store: Callable[[Any, Any], Any],
    received: str,
) -> Any:
    """The flow of a request form: show it, check it, store the request once, show its timeline.

    `chosen(form)` returns the module or provider the request goes to (None: all trainers) or
    raises _NotInList; `store(form, target)` stores the request through `operations`.
    """
    if request.method == "GET":
        return render_form(template, form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return render_form(template, form, 400)
    try:
        target = chosen(form)
    except _NotInList as error:
        error.field.errors = [error.message]
        return render_form(template, form, 400)
    try:
        found = store(form, target)
    except ops.RequestRefused as error:
        db.session.rollback()
        show_refusal(form, error)
        return render_form(template, form, 400)
    db.session.commit()
    flash(received, "success")
    return redirect(url_for(".detail", request_id=found.id), 303)


def _chosen_module(form: QuestionForm) -> Any:
    """The module a question is about (None: a general question), if the asker may see it."""
    if not form.module.data:
        return None
    module = queries.askable_module(db.session, form.module.data)
    if module is None or not may(current_user, VIEW_MODULE, module):
        raise _NotInList(form.module, _("Choose a module from the list."))
    return module


def _chosen_provider(form: NewModuleForm) -> Provider | None:
    """The provider a module request goes to (None: every provider's trainers)."""
    raw = form.provider.data
    if not raw:
        return None
    provider = db.session.get(Provider, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if provider is None:
        raise _NotInList(form.provider, _("Choose a provider from the list."))
    return provider


@bp.route("/ask", methods=["GET", "POST"])
@signed_in
def ask():
    """Ask the trainers a question, about a module (`?module=slug`) or in general."""
    form = QuestionForm()
    form.module.choices = [("", _("No particular module (all trainers)"))] + (
        queries.module_choices(db.session, page_language())
    )
    if request.method == "GET":
        form.module.data = (request.args.get("module") or "")[:100]
    return _request_page(
        form,
        "learner_requests/ask.html",
        chosen=_chosen_module,
        store=lambda form, module: asking.ask_question(
            db.session,
            user=me(),
            module=module,
            subject=form.subject.data,
            text=form.text.data,
            now=clock.now(),
        ),
        received=_("Your question was received. You can follow it here."),
    )


@bp.route("/new-module", methods=["GET", "POST"])
@signed_in
def new_module():
    """Ask for a module that does not exist yet: topic, why, for whom."""
    form = NewModuleForm()
    form.provider.choices = [("", _("I do not know (all trainers)"))] + [
        (str(pid), name) for pid, name in queries.provider_choices(db.session)
    ]
    return _request_page(
        form,
        "learner_requests/new_module.html",
        chosen=_chosen_provider,
        store=lambda form, provider: asking.request_module(
            db.session,
            user=me(),
            provider=provider,
            topic=form.topic.data,
            why=form.why.data,
            audience=form.audience.data,
            now=clock.now(),
        ),
        received=_("Your request for a new module was received. You can follow it here."),
    )
