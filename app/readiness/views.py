"""Managers' readiness pages: campaigns, drill-down by unit and person, overdue lists,
reminders and exports. The feature plugs itself in with `register(app)`.

Every request loads the campaign and the unit or person through scoped queries first (an
unknown id and one outside the manager's units both answer 404), then builds the page.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
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

from app.campaigns.models import Campaign
from app.content.module_titles import module_titles
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Role, User
from app.people.safe_redirect import safe_next_path
from app.permissions import roles_required
from app.platform.audit import record_event
from app.platform.hooks import NAV_ENTRIES, TICK_TASKS
from app.readiness import presenters, report_tables
from app.readiness.forecast import BENCHMARK_MAE_POINTS, METHOD_SENTENCE, MIN_DATA_DAYS
from app.readiness.forms import (
    ReminderForm,
    UnitFilters,
    parse_page,
    parse_unit_filters,
    parse_unit_id,
)
from app.readiness.operations import reminder_key, send_reminder, snapshot_tick_task
from app.readiness.queries.overdue import (
    campaign_module_ids,
    count_overdue,
    overdue_people,
    reminder_sent,
    stream_overdue_people,
)
from app.readiness.queries.people import person_modules, scoped_person
from app.readiness.queries.scope import (
    CampaignInfo,
    UnitNode,
    breadcrumb,
    campaign_for,
    scope_root_units,
    scoped_unit,
    visible_campaigns,
)
from app.readiness.rules import STATUS_LABELS
from app.timekeeping import clock
from app.web import charts as web_charts
from app.web import table_export
from app.web.errors import bad_request_page
from app.web.query_args import BadFilter

bp = Blueprint("readiness", __name__, url_prefix="/readiness")

MANAGERS = (Role.MANAGER, Role.ADMIN)
OVERDUE_PER_PAGE = 50
REPORT_TABLES = ("units", "people", "overdue", "heatmap", "trend", "scores")


@bp.errorhandler(BadFilter)
def bad_filter(error: BadFilter):
    """A filter or page number the page cannot use: 400 with the reason."""
    return bad_request_page(str(error))


def _campaign(campaign_id: int) -> CampaignInfo:
    campaign = campaign_for(db.session, current_user, campaign_id)
    if campaign is None:
        abort(404)
    return campaign


def _unit(unit_id: int | None) -> UnitNode | None:
    if unit_id is None:
        return None
    unit = scoped_unit(db.session, current_user, unit_id)
    if unit is None:
        abort(404)
    return unit


def _default_unit() -> UnitNode | None:
    """A manager of one unit starts at that unit; several tops start at their sum."""
    roots = scope_root_units(db.session, current_user)
    return roots[0] if len(roots) == 1 else None


def _reminder_key_for(campaign: CampaignInfo):
    day = clock.now().astimezone(clock.platform_zone()).date()
    return lambda user_id: reminder_key(campaign.id, user_id, day)


# --- pages ------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*MANAGERS)
def dashboard():
    """The campaigns whose readiness the manager may follow."""
    return render_template(
        "readiness/dashboard.html",
        campaigns=visible_campaigns(db.session, current_user),
        language=select_language(),
        tz=clock.platform_zone(),
    )


def _report(campaign_id: int, unit_id: int | None):
    campaign = _campaign(campaign_id)
    unit = _unit(unit_id) if unit_id is not None else _default_unit()
    filters = parse_unit_filters(request.args)
    language = select_language()
    page = presenters.report_page(
        db.session,
        current_user,
        campaign,
        unit=unit,
        filters=filters,
        now=clock.now(),
        tz=clock.platform_zone(),
        language=language,
        reminder_key=_reminder_key_for(campaign),
        trend_all=filters.trend_all,
    )
    crumbs = breadcrumb(db.session, current_user, unit) if unit is not None else []
    return render_template(
        "readiness/report.html",
        page=page,
        campaign=campaign,
        unit=unit,
        crumbs=crumbs,
        filters=filters,
        language=language,
        statuses=[(s, _(label)) for s, label in STATUS_LABELS.items()],
        status_label=presenters.status_label,
        method_sentence=_(
            METHOD_SENTENCE,
            error=BENCHMARK_MAE_POINTS,
            days=MIN_DATA_DAYS,
        ),
        max_chart_rows=presenters.MAX_CHART_ROWS,
        kind_label=presenters.kind_label,
        reminder_form=ReminderForm(),
        export_form=FlaskForm(),
        tables=REPORT_TABLES,
    )


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(*MANAGERS)
def campaign(campaign_id: int):
    """A campaign's readiness at the top of the manager's units."""
    return _report(campaign_id, None)


@bp.get("/campaigns/<int:campaign_id>/units/<int:unit_id>")
@roles_required(*MANAGERS)
def unit(campaign_id: int, unit_id: int):
    """A campaign's readiness in one unit: its sub-units, its people, charts and who is late."""
    return _report(campaign_id, unit_id)


@bp.get("/campaigns/<int:campaign_id>/people/<int:user_id>")
@roles_required(*MANAGERS)
def person(campaign_id: int, user_id: int):
    """One person's modules in a campaign: done, expired, in progress, late."""
    campaign = _campaign(campaign_id)
    summary = scoped_person(db.session, current_user, campaign.id, user_id)
    if summary is None:
        abort(404)
    now = clock.now()
    modules = person_modules(db.session, campaign.id, summary.id, now)
    titles = module_titles(
        db.session,
        {m.module_id for m in modules} | {m.assigned_module_id for m in modules},
        select_language(),
    )
    key = reminder_key(campaign.id, summary.id, now.astimezone(clock.platform_zone()).date())
    missing = [m for m in modules if m.is_required and m.removed_at is None and not m.counts]
    return render_template(
        "readiness/person.html",
        campaign=campaign,
        person=summary,
        modules=modules,
        titles=titles,
        missing=missing,
        late=[m for m in missing if m.is_late(now)],
        reminded_today=reminder_sent(db.session, key),
        crumbs=breadcrumb(db.session, current_user, summary.unit),
        reminder_form=ReminderForm(),
        language=select_language(),
        now=now,
    )


@bp.post("/campaigns/<int:campaign_id>/people/<int:user_id>/remind")
@roles_required(*MANAGERS)
def remind(campaign_id: int, user_id: int):
    """Send one person a reminder of what is missing (once a day), through the outbox."""
    campaign = _campaign(campaign_id)
    summary = scoped_person(db.session, current_user, campaign.id, user_id)
    if summary is None:
        abort(404)
    form = ReminderForm()
    if not form.validate_on_submit():
        abort(400)
    back = safe_next_path(
        form.next.data, url_for(".person", campaign_id=campaign.id, user_id=summary.id)
    )
    now = clock.now()
    modules = person_modules(db.session, campaign.id, summary.id, now)
    missing = [m for m in modules if m.is_required and m.removed_at is None and not m.counts]
    if not summary.is_active or not missing:
        flash(_("%(name)s has nothing left to do in this campaign.", name=summary.name), "success")
        return redirect(back, 303)
    due_dates = [m.due_at for m in missing if m.due_at is not None]
    sent = send_reminder(
        db.session,
        campaign=db.session.get(Campaign, campaign.id),
        person=db.session.get(User, summary.id),
        module_ids=[m.assigned_module_id for m in missing],
        due_at=min(due_dates) if due_dates else None,
        actor=current_user,
        now=now,
        day=now.astimezone(clock.platform_zone()).date(),
        ip=request.remote_addr,
    )
    db.session.commit()
    if sent:
        flash(_("A reminder has been sent to %(name)s.", name=summary.name), "success")
    else:
        flash(_("%(name)s was already reminded today.", name=summary.name), "warning")
    return redirect(back, 303)


@bp.get("/campaigns/<int:campaign_id>/overdue")
@roles_required(*MANAGERS)
def overdue(campaign_id: int):
    """Everyone overdue in the manager's units (or one unit), with what is missing."""
    campaign = _campaign(campaign_id)
    unit = _unit(parse_unit_id(request.args))
    page_number = parse_page(request.args)
    people, total = overdue_people(
        db.session,
        current_user,
        campaign.id,
        clock.now(),
        root_path=unit.path if unit is not None else None,
        offset=(page_number - 1) * OVERDUE_PER_PAGE,
        limit=OVERDUE_PER_PAGE,
        reminder_key=_reminder_key_for(campaign),
    )
    titles = module_titles(
        db.session, {m for p in people for m in p.missing_module_ids}, select_language()
    )
    return render_template(
        "readiness/overdue.html",
        campaign=campaign,
        unit=unit,
        crumbs=breadcrumb(db.session, current_user, unit) if unit is not None else [],
        people=people,
        total=total,
        titles=titles,
        page_number=page_number,
        pages=max((total + OVERDUE_PER_PAGE - 1) // OVERDUE_PER_PAGE, 1),
        reminder_form=ReminderForm(),
        export_form=FlaskForm(),
        language=select_language(),
    )


@bp.post("/campaigns/<int:campaign_id>/export/<table>.<file_format>")
@roles_required(*MANAGERS)
def export(campaign_id: int, table: str, file_format: str):
    """Download one table of a readiness page as CSV or XLSX (audited)."""
    campaign = _campaign(campaign_id)
    if table not in REPORT_TABLES or file_format not in table_export.FORMATS:
        abort(404)
    unit_id = parse_unit_id(request.args)
    unit = _unit(unit_id) if unit_id is not None else _default_unit()
    filters = parse_unit_filters(request.args)
    if not FlaskForm().validate_on_submit():
        abort(400)
    now = clock.now()
    language = select_language()
    name = f"readiness-{campaign.id}-{unit.code if unit else 'all'}-{table}"
    if table == "overdue":
        # Streamed: the people are read from the database while the file goes out.
        root_path = unit.path if unit is not None else None
        rows = count_overdue(db.session, current_user, campaign.id, now, root_path=root_path)
        titles = module_titles(db.session, campaign_module_ids(db.session, campaign.id), language)
        people = stream_overdue_people(
            db.session, current_user, campaign.id, now, root_path=root_path
        )
        data = report_tables.overdue_table(people, titles, name, clock.platform_zone())
    else:
        page = presenters.report_page(
            db.session,
            current_user,
            campaign,
            unit=unit,
            filters=filters,
            now=now,
            tz=clock.platform_zone(),
            language=language,
            reminder_key=_reminder_key_for(campaign),
        )
        data = _report_table(page, table, name, language)
        rows = len(data.rows)  # type: ignore[arg-type]
    record_event(
        db.session,
        "readiness.exported",
        actor_id=current_user.id,
        object_type="campaign",
        object_id=campaign.id,
        ip_address=request.remote_addr,
        now=now,
        table=table,
        format=file_format,
        unit_id=unit.id if unit is not None else "",
        rows=rows,
    )
    db.session.commit()
    return table_export.download(data, file_format)


def _report_table(page: presenters.ReportPage, table: str, name: str, language: str):
    if table == "units":
        return report_tables.units_table(page, name)
    if table == "people":
        return report_tables.people_table(page, name)
    if table == "heatmap":
        return report_tables.heat_table(page, name)
    if table == "trend":
        return report_tables.trend_table(page, name)
    return report_tables.scores_table(page, name, language)


def export_args(unit: UnitNode | None, filters: UnitFilters | None = None) -> dict[str, Any]:
    """Query-string arguments an export form repeats from the page it is on."""
    args: dict[str, Any] = dict(filters.as_args()) if filters is not None else {}
    if unit is not None:
        args["unit"] = unit.id
    return args


# --- wiring -----------------------------------------------------------------------------------


def register(app: Flask) -> None:
    """Register the blueprints, navigation, home panel, scheduler task and template helpers."""
    from app.readiness import api, assets, provider_views

    app.register_blueprint(bp)
    app.register_blueprint(api.api_bp)
    assets.install(app)
    provider_views.install(app)
    NAV_ENTRIES.connect(app, ("readiness.dashboard", _l("Readiness"), {Role.MANAGER, Role.ADMIN}))
    TICK_TASKS.connect(app, snapshot_tick_task)
    app.jinja_env.globals.update(
        readiness_export_args=export_args, score_bin_labels=web_charts.bin_labels
    )
