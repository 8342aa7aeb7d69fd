"""Page feedback's pages: the reader's two small forms, and the trainers' feedback lists.

The reader shows the forms through the hook `READER_PANELS`; they post here and come back to
the page. A trainer sees the feedback on the modules of their providers (admins: all);
anything else is 404. The addresses stay under /readiness, where the feature began.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from app.content.module_titles import module_titles
from app.extensions import db
from app.i18n.request_language import select_language
from app.learner_requests.models import ReportStatus
from app.page_feedback.forms import (
    REPORT_STATUS_LABELS,
    ProblemForm,
    RatingForm,
    ReportStatusForm,
    parse_report_status,
)
from app.page_feedback.operations import (
    FeedbackRefused,
    rate_page,
    report_problem,
    set_report_status,
)
from app.page_feedback.queries import (
    FeedbackPage,
    feedback_by_module,
    feedback_by_page,
    feedback_page,
    module_in_trainer_scope,
    module_reports,
    report_in_trainer_scope,
)
from app.people.models import Role, User
from app.people.safe_redirect import safe_next_path
from app.permissions import may, roles_required, signed_in
from app.platform.audit import record_event
from app.platform.hooks import NAV_ENTRIES, READER_PANELS
from app.timekeeping import clock
from app.web import table_export
from app.web.errors import bad_request_page
from app.web.query_args import BadFilter

bp = Blueprint("page_feedback", __name__, url_prefix="/readiness")

TRAINERS = (Role.TRAINER, Role.ADMIN)
VIEW_MODULE = "content.view_module"
TABLES = ("pages", "reports")


@bp.errorhandler(BadFilter)
def bad_filter(error: BadFilter):
    """A status filter the page cannot use: 400 with the reason."""
    return bad_request_page(str(error))


def reader_panel(page: Any) -> dict[str, Any]:
    """The feedback panel under a reader page (a receiver of `READER_PANELS`)."""
    return {
        "template": "page_feedback/_reader_panel.html",
        "page_id": page.page_id,
        "module_slug": page.slug,
    }


# --- learners ---------------------------------------------------------------------------------


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


# --- trainers ---------------------------------------------------------------------------------


@bp.get("/feedback")
@roles_required(*TRAINERS)
def feedback():
    """Feedback per module the trainer looks after: helpful or not, open reports."""
    rows = feedback_by_module(db.session, current_user)
    titles = module_titles(db.session, [r.module_id for r in rows], select_language())
    return render_template("page_feedback/feedback.html", rows=rows, titles=titles)


def _module(module_id: int) -> Any:
    module = module_in_trainer_scope(db.session, current_user, module_id)
    if module is None:
        abort(404)
    return module


@bp.get("/feedback/modules/<int:module_id>")
@roles_required(*TRAINERS)
def module_feedback(module_id: int):
    """A module's feedback per page, and its problem reports with their status."""
    module = _module(module_id)
    status = parse_report_status(request.args)
    titles = module_titles(db.session, [module.id], select_language())
    return render_template(
        "page_feedback/module_feedback.html",
        module=module,
        title=titles[module.id].title if module.id in titles else module.slug,
        pages=feedback_by_page(db.session, module.id),
        reports=module_reports(db.session, module.id, status=status),
        status=status,
        status_labels=REPORT_STATUS_LABELS,
        form=ReportStatusForm(formdata=None),
        export_form=FlaskForm(),
    )


@bp.post("/feedback/reports/<int:report_id>/status")
@roles_required(*TRAINERS)
def report_status(report_id: int):
    """Mark a report received, in progress or handled (the learner sees it)."""
    report = report_in_trainer_scope(db.session, current_user, report_id)
    if report is None:
        abort(404)
    form = ReportStatusForm()
    if not form.validate_on_submit():
        abort(400)
    changed = set_report_status(
        db.session,
        report,
        ReportStatus(form.status.data),
        actor=current_user,
        now=clock.now(),
        ip=request.remote_addr,
    )
    db.session.commit()
    if changed:
        flash(
            _("The report is now “%(status)s”.", status=REPORT_STATUS_LABELS[report.status]),
            "success",
        )
    back = url_for(".module_feedback", module_id=report.module_id)
    return redirect(safe_next_path(form.next.data, back), 303)


def _pages_table(name: str, module_id: int) -> table_export.Table:
    """Ratings and report counts per page of a module."""
    return table_export.Table(
        name,
        [
            _("Version"),
            _("Language"),
            _("Page"),
            _("Title"),
            _("Helpful"),
            _("Not helpful"),
            _("Reports"),
        ],
        [
            [p.version_number, p.language, p.position, p.title, p.helpful, p.not_helpful, p.reports]
            for p in feedback_by_page(db.session, module_id)
        ],
    )


def _reports_table(name: str, module_id: int) -> table_export.Table:
    """A module's problem reports with their status."""
    return table_export.Table(
        name,
        [_("Version"), _("Language"), _("Page"), _("Comment"), _("Status"), _("Sent")],
        [
            [
                r.version_number,
                r.language,
                r.page_position,
                r.comment,
                str(REPORT_STATUS_LABELS[r.status]),
                r.created_at,
            ]
            for r in module_reports(db.session, module_id, limit=100_000)
        ],
    )


@bp.post("/feedback/modules/<int:module_id>/export/<table>.<file_format>")
@roles_required(*TRAINERS)
def feedback_export(module_id: int, table: str, file_format: str):
    """Download a module's page ratings or problem reports (CSV or XLSX)."""
    module = _module(module_id)
    if table not in TABLES or file_format not in table_export.FORMATS:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    name = f"feedback-{module.slug}-{table}"
    build = _pages_table if table == "pages" else _reports_table
    data = build(name, module.id)
    record_event(
        db.session,
        "readiness.exported",
        actor_id=current_user.id,
        object_type="module",
        object_id=module.id,
        ip_address=request.remote_addr,
        now=clock.now(),
        table=f"feedback:{table}",
        format=file_format,
    )
    db.session.commit()
    return table_export.download(data, file_format)


def register(app: Flask) -> None:
    """Register the pages, the reader's feedback panel and the trainers' navigation entry."""
    app.register_blueprint(bp)
    READER_PANELS.connect(app, reader_panel)
    NAV_ENTRIES.connect(app, ("page_feedback.feedback", _l("Learner feedback"), set(TRAINERS)))
