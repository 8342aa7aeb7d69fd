"""Pages of the counter assist log: the counter (log, undo), managers' branches, trainers' topics.

The counter works without JavaScript: one form, tap a topic (a radio button drawn as a tile),
then tap how it ended (a submit button) — two taps, made safe by an undo that lasts a minute
and a submit key that makes a double tap one assist. The feature plugs in with `register(app)`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.i18n.request_language import select_language, select_locale
from app.people.models import Role, User
from app.permissions import ensure, may, register_rule, roles_required
from app.platform.audit import record_event
from app.platform.hooks import HOME_PANELS, NAV_ENTRIES
from app.platform.reads import Deferred
from app.readiness.queries.scope import CampaignInfo, campaign_for, visible_campaigns
from app.readiness.rules import STATUS_LABELS
from app.timekeeping import clock
from app.timekeeping.clock import platform_zone
from app.web.csv_export import csv_bytes, csv_dialect_for

from . import access, operations, queries, reports
from .models import AssistOutcome, CounterAssist
from .vocabulary import OUTCOME_LABELS

bp = Blueprint("assists", __name__, url_prefix="/assists")

HELPERS = (Role.LEARNER,)
MANAGERS = (Role.MANAGER, Role.ADMIN)
TRAINERS = (Role.TRAINER, Role.ADMIN)
WEEK_CHOICES = (4, 8, 12, 26)
DEFAULT_WEEKS = 8


def outcome_label(outcome: AssistOutcome | str) -> str:
    """The outcome in the reader's language."""
    return _(OUTCOME_LABELS[AssistOutcome(outcome)])


def _counter_page(*, error: str | None = None, status: int = 200, chosen: str = "") -> Any:
    now = clock.now()
    language = select_language()
    logged: CounterAssist | None = None
    logged_id = request.args.get("logged", type=int)
    if logged_id is not None:
        found = db.session.get(CounterAssist, logged_id)
        logged = (
            found if found is not None and may(current_user, access.VIEW_ASSIST, found) else None
        )
    html = render_template(
        "assists/counter.html",
        topics=queries.learner_topics(db.session, current_user.id, language, now),
        outcomes=list(AssistOutcome),
        form=FlaskForm(),
        submit_key=uuid.uuid4().hex,
        logged=logged,
        can_undo=logged is not None and operations.can_undo(logged, now),
        this_week=queries.assists_this_week(
            db.session, current_user.id, queries.iso_week(now, platform_zone())
        ),
        error=error,
        chosen=chosen,
        outcome_label=outcome_label,
    )
    return html, status


@bp.get("/counter")
@roles_required(*HELPERS)
def counter():
    """The counter page: my topics as big tiles, then how it ended."""
    return _counter_page()


@bp.post("/counter/log")
@roles_required(*HELPERS)
def log():
    """Log one assist (CSRF-checked), then show the counter again with the confirmation."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        assist = operations.log_assist(
            db.session,
            current_user,
            topic=request.form.get("topic"),
            outcome=request.form.get("outcome"),
            submit_key=request.form.get("submit_key"),
            language=select_language(),
            now=clock.now(),
            tz=platform_zone(),
        )
    except operations.AssistError as error:
        db.session.rollback()
        message = _(error.message, **error.params)
        return _counter_page(error=message, status=400, chosen=request.form.get("topic", ""))
    db.session.commit()
    return redirect(url_for(".counter", logged=assist.id), 303)


@bp.post("/<int:assist_id>/undo")
@roles_required(*HELPERS)
def undo(assist_id: int):
    """Undo one's own assist within a minute (anyone else's answers 404)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    assist = db.session.get(CounterAssist, assist_id)
    ensure(access.UNDO_ASSIST, assist)  # anyone else's answers 404, and the try is audited
    try:
        operations.undo_assist(db.session, current_user, assist, now=clock.now())
    except operations.AssistError as error:
        db.session.rollback()
        flash(_(error.message, **error.params), "error")
        return redirect(url_for(".counter"), 303)
    db.session.commit()
    flash(_("Undone: that assist no longer counts."), "success")
    return redirect(url_for(".counter"), 303)


# --- managers ---------------------------------------------------------------------------------


def _weeks_arg() -> int:
    weeks = request.args.get("weeks", DEFAULT_WEEKS, type=int)
    return weeks if weeks in WEEK_CHOICES else DEFAULT_WEEKS


def _chosen_campaign(campaigns: list[CampaignInfo]) -> CampaignInfo | None:
    """The campaign asked for (404 if the manager may not see it), else the active one."""
    campaign_id = request.args.get("campaign", type=int)
    if campaign_id is not None:
        campaign = campaign_for(db.session, current_user, campaign_id)
        if campaign is None:
            abort(404)
        return campaign
    active = [c for c in campaigns if c.state == "active"]
    return (active or campaigns or [None])[0]


def _branch_report() -> tuple[reports.BranchReport, list[CampaignInfo], int]:
    now = clock.now()
    tz = platform_zone()
    campaigns = visible_campaigns(db.session, current_user)
    campaign = _chosen_campaign(campaigns)
    weeks = _weeks_arg()
    report = reports.branch_report(
        db.session,
        current_user,
        campaign,
        queries.last_weeks(now, tz, weeks),
        now=now,
        tz=tz,
    )
    return report, campaigns, weeks


@bp.get("/branches")
@roles_required(*MANAGERS)
def branches():
    """Assists per branch and week in my units, beside each branch's readiness."""
    report, campaigns, weeks = _branch_report()
    return render_template(
        "assists/branches.html",
        report=report,
        campaigns=campaigns,
        weeks=weeks,
        week_choices=WEEK_CHOICES,
        language=select_language(),
        status_label=lambda status: _(STATUS_LABELS[status]),
        outcome_label=outcome_label,
        outcomes=list(AssistOutcome),
        export_form=FlaskForm(),
    )


@bp.post("/branches.csv")
@roles_required(*MANAGERS)
def export():
    """Download assists per branch × ISO week × topic × outcome as CSV (audited)."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    report, _campaigns, weeks = _branch_report()
    shares = {row.unit.id: row.share for row in report.rows}
    dialect = csv_dialect_for(select_locale())
    header = (
        "week",
        "unit_code",
        "unit_name",
        "topic",
        "outcome",
        "assists",
        "campaign_id",
        "readiness_percent",
    )
    campaign_id = report.campaign.id if report.campaign else None
    rows = [
        (
            c.week,
            c.unit_code,
            c.unit_name,
            c.topic,
            c.outcome.value,
            c.count,
            campaign_id,
            round(100 * shares[c.unit_id], 1) if shares.get(c.unit_id) is not None else None,
        )
        for c in report.counts
    ]
    now = clock.now()
    record_event(
        db.session,
        "assists.exported",
        actor_id=current_user.id,
        ip_address=request.remote_addr,
        now=now,
        weeks=weeks,
        rows=len(rows),
    )
    db.session.commit()
    response = Response(csv_bytes(header, rows, dialect=dialect), mimetype="text/csv")
    name = f"assists-{queries.iso_week(now, platform_zone())}-{weeks}w.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- trainers ---------------------------------------------------------------------------------


@bp.get("/topics")
@roles_required(*TRAINERS)
def topics():
    """The topics asked most at the counter, across all branches (counts only)."""
    weeks = _weeks_arg()
    ranking = queries.topic_ranking(
        db.session, queries.last_weeks(clock.now(), platform_zone(), weeks)
    )
    return render_template(
        "assists/topics.html",
        ranking=ranking,
        weeks=weeks,
        week_choices=WEEK_CHOICES,
    )


# --- wiring -----------------------------------------------------------------------------------


def _home_panel(user: User, now: datetime) -> Deferred | None:
    """Home panel for counter staff: a big way to the counter page and this week's count."""
    if Role.LEARNER not in user.role_set:
        return None
    week = queries.iso_week(now, platform_zone())
    return queries.assists_in_week(user.id, week).then(
        lambda count: {"template": "assists/_home_panel.html", "this_week": count}
    )


def register(app: Flask) -> None:
    """Register the blueprints, the navigation entries and the learners' home panel."""
    from app.assists.api import api_bp

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    NAV_ENTRIES.connect_all(
        app,
        [
            ("assists.counter", _l("Counter"), {Role.LEARNER}),
            ("assists.branches", _l("Assists"), {Role.MANAGER, Role.ADMIN}),
            ("assists.topics", _l("Counter topics"), {Role.TRAINER}),
        ],
    )
    HOME_PANELS.connect(app, _home_panel)
    register_rule(access.VIEW_ASSIST, access.is_own_assist)
    register_rule(access.UNDO_ASSIST, access.is_own_assist)
