"""Learners' feedback on module pages: "was this page helpful?" and problem reports.

The reader page (content feature) includes `readiness/_page_feedback.html` with `page_id`;
its two small forms post here and come back to the page.
"""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.people.models import User
from app.people.safe_redirect import safe_next_path
from app.permissions import may, signed_in
from app.readiness.forms import ProblemForm, RatingForm
from app.readiness.operations import FeedbackRefused, rate_page, report_problem
from app.readiness.queries import FeedbackPage, feedback_page
from app.readiness.views import bp
from app.timekeeping import clock

VIEW_MODULE = "content.view_module"


def _readable_page(page_id: int) -> FeedbackPage:
    """The page if the learner may read its module (else 404)."""
    page = feedback_page(db.session, page_id)
    if page is None or not may(current_user, VIEW_MODULE, page):
        abort(404)
    return page


def _back(next_path: str | None, page: FeedbackPage) -> str:
    default = url_for("content.module_page", slug=page.slug)
    return safe_next_path(next_path, default)


@bp.post("/pages/<int:page_id>/rating")
@signed_in
def rate(page_id: int):
    """Record "was this page helpful?" (yes or no; a second answer replaces the first)."""
    page = _readable_page(page_id)
    form = RatingForm()
    if not form.validate_on_submit():
        abort(400)
    rate_page(
        db.session,
        user=db.session.get(User, current_user.id),
        page=page,
        is_helpful=form.helpful.data == "yes",
        now=clock.now(),
    )
    db.session.commit()
    flash(_("Thank you for your feedback."), "success")
    return redirect(_back(form.next.data, page), 303)


@bp.post("/pages/<int:page_id>/report")
@signed_in
def report(page_id: int):
    """Report a problem with a page; the learner follows it under "My requests"."""
    page = _readable_page(page_id)
    form = ProblemForm()
    if not form.validate_on_submit():
        errors = [e for field in (form.comment, form.csrf_token) for e in field.errors]
        flash(" ".join(str(e) for e in errors) or _("The report could not be sent."), "error")
        return redirect(_back(form.next.data, page), 303)
    try:
        report_problem(
            db.session,
            user=db.session.get(User, current_user.id),
            page=page,
            comment=form.comment.data,
            now=clock.now(),
        )
    except FeedbackRefused as exc:
        db.session.rollback()
        flash(_(exc.message, **exc.params), "error")
        return redirect(_back(form.next.data, page), 303)
    db.session.commit()
    flash(
        _("Thank you: your report was received. You can follow it under “My requests”."),
        "success",
    )
    return redirect(_back(form.next.data, page), 303)


@bp.get("/my-reports")
@signed_in
def mine():
    """The old address of "My reports": problem reports are now listed with every request."""
    return redirect(url_for("requests.mine"), 301)


def install(app: Flask) -> None:
    """Nothing to add: the home panel of open reports became the one of open requests
    (app.learner_requests). Kept because `readiness.register` imports this module (and so
    its routes) through this call."""
