"""Learners' view of their record: my learning, certificates, the public verification page,
and the download of their personal data. The feature plugs itself in with `register(app)`."""

from __future__ import annotations

import json
import os
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Role, User
from app.permissions import ensure, is_admin, public, register_rule, signed_in, unit_in_scope
from app.platform.audit import record_event
from app.platform.hooks import ASSIGNMENT_SOURCES, HOME_PANELS, NAV_ENTRIES, PAGE_READ, QUIZ_GRADED
from app.platform.reads import Deferred
from app.timekeeping import clock
from app.tracking import export
from app.tracking.certificates import format_code, normalise_code
from app.tracking.completion import STALE_TRANSLATION_RULE
from app.tracking.my_learning import MyLearning, learning, with_quiz_links
from app.tracking.my_learning import my_learning as learning_of
from app.tracking.page_views import on_page_view
from app.tracking.personal_record import (
    personal_completions,
    personal_page_progress,
    personal_statements,
)
from app.tracking.queries import CertificateRow, certificate_by_code
from app.tracking.quiz_results import on_quiz_graded

bp = Blueprint("tracking", __name__)

VIEW_CERTIFICATE = "tracking.view_certificate"
# My learning lists this many completed modules, the most recent, unless all are asked for.
RECENT_COMPLETED = 20


def _sources() -> list[Any]:
    return ASSIGNMENT_SOURCES.receivers()


@bp.get("/learning")
@signed_in
def my_learning():
    """Show my modules: to do (overdue first), in progress, to redo, expiring, completed."""
    learning = learning_of(
        db.session,
        current_user.id,
        language=select_language(),
        now=clock.now(),
        sources=_sources(),
    )
    show_all = request.args.get("completed") == "all"
    many = len(learning.completed) > RECENT_COMPLETED
    return render_template(
        "tracking/my_learning.html",
        learning=learning,
        completed=learning.completed if show_all else learning.completed[:RECENT_COMPLETED],
        show_all_url=url_for(".my_learning", completed="all") if many and not show_all else None,
        show_recent_url=url_for(".my_learning") if many and show_all else None,
        tables=export.CSV_TABLES,
        format_code=format_code,
    )


def _may_view_certificate(user: User, row: CertificateRow) -> bool:
    """The learner, their managers and admins may open a certificate."""
    if row.user_id == user.id or is_admin(user):
        return True
    owner = db.session.get(User, row.user_id)
    return owner is not None and unit_in_scope(user, owner.unit)


@bp.get("/learning/certificates/<code>")
@signed_in
def certificate(code: str):
    """Show a printable certificate (print styles hide everything but the certificate)."""
    row = certificate_by_code(db.session, code, language=select_language(), now=clock.now())
    ensure(VIEW_CERTIFICATE, row)
    return render_template(
        "tracking/certificate.html",
        cert=row,
        code=format_code(row.code),
        verify_url=url_for(".verify_certificate", code=format_code(row.code), _external=True),
    )


@bp.get("/verify")
@public
def verify_certificate_form():
    """Let anyone type the code printed on a certificate (GET form, no sign-in)."""
    code = request.args.get("code")
    if code is not None:
        normalised = normalise_code(code)
        if normalised is not None:
            return redirect(url_for(".verify_certificate", code=format_code(normalised)), 303)
        return _verification_page(None, typed=code[:40], status=404)
    return _verification_page(None, typed="")


@bp.get("/verify/<code>")
@public
def verify_certificate(code: str):
    """Public check of a certificate: name, module, date and whether it is valid; no more."""
    row = certificate_by_code(db.session, code[:40], language=select_language(), now=clock.now())
    return _verification_page(row, typed=code[:40], status=200 if row else 404)


def _verification_page(row: CertificateRow | None, *, typed: str, status: int = 200) -> Response:
    response = current_app.make_response(
        (
            render_template(
                "tracking/verify.html",
                cert=row,
                typed=typed,
                code=format_code(row.code) if row else None,
                checked_at=clock.now(),
            ),
            status,
        )
    )
    # Cheap to answer (one indexed look-up), so a proxy may cache it briefly and rate-limit
    # the path; never indexed by search engines, never leaking the code in a Referer.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not getattr(current_user, "is_authenticated", False):
        response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _audit_export(kind: str) -> None:
    record_event(
        db.session,
        "personal_data.exported",
        actor_id=current_user.id,
        object_type="user",
        object_id=current_user.id,
        ip_address=request.remote_addr,
        now=clock.now(),
        format=kind,
    )
    db.session.commit()


@bp.post("/learning/my-data.json")
@signed_in
def download_json():
    """Download everything recorded about my learning, as JSON (my personal data)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    now = clock.now()
    user = current_user
    document = export.personal_data(
        user=user,
        statements=personal_statements(db.session, user.id),
        completions=personal_completions(db.session, user, now=now),
        pages=personal_page_progress(db.session, user.id),
        now=now,
    )
    _audit_export("json")
    body = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return _download(body, "my-learning-record.json", "application/json")


@bp.post("/learning/my-data/<table>.csv")
@signed_in
def download_csv(table: str):
    """Download one table of my learning record as CSV (statements, completions or progress)."""
    if table not in export.CSV_TABLES:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    user = current_user
    if table == "statements":
        data = export.statements_csv(personal_statements(db.session, user.id))
    elif table == "completions":
        data = export.completions_csv(personal_completions(db.session, user, now=clock.now()))
    else:
        data = export.progress_csv(personal_page_progress(db.session, user.id))
    _audit_export(f"csv:{table}")
    return _download(data, f"my-learning-{table}.csv", "text/csv; charset=utf-8")


def _home_panel(user: User, now: datetime) -> Deferred | None:
    """Home panel for learners: what is overdue, in progress and expiring, in one glance."""
    if Role.LEARNER not in user.role_set:
        return None
    # The panel shows counts only: no quiz links, so no question about quizzes.
    reads = learning(user.id, language=select_language(), now=now, sources=_sources())
    return reads.then(_learning_panel)


def _learning_panel(result: MyLearning) -> dict[str, Any] | None:
    if result.is_empty:
        return None
    return {"template": "tracking/_home_panel.html", "learning": with_quiz_links(result, {})}


_XAPI_ENVIRONMENT = (
    "XAPI_IRI_BASE",
    "XAPI_LRS_URL",
    "XAPI_LRS_USERNAME",
    "XAPI_LRS_PASSWORD",
    "XAPI_LRS_TIMEOUT",
    "XAPI_LRS_BATCH",
    "XAPI_LRS_DELIVERY",
)


def register(app: Flask) -> None:
    """Plug tracking into the app: routes, API, CLI, listeners, navigation and home panel."""
    from app.tracking.api_views import api_bp
    from app.tracking.cli import tracking_cli

    for name in _XAPI_ENVIRONMENT:
        app.config.setdefault(name, os.environ.get(name) or None)
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    app.cli.add_command(tracking_cli)
    register_rule(VIEW_CERTIFICATE, _may_view_certificate)
    PAGE_READ.connect(app, on_page_view)
    QUIZ_GRADED.connect(app, on_quiz_graded)
    NAV_ENTRIES.connect(app, ("tracking.my_learning", _l("My learning"), {Role.LEARNER}))
    HOME_PANELS.connect(app, _home_panel)
    # The stale-translation completion rule, for every page that states it (one home).
    app.jinja_env.globals["stale_translation_rule"] = STALE_TRANSLATION_RULE
