"""Campaign pages for managers, trainers and admins, and the feature's `register(app)`.

Every view: load (scoped, so an object outside the viewer's reach is a 404) → check the action
→ one operation → commit once → redirect (or render). GET never writes.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.campaigns import operations as ops
from app.campaigns import queries
from app.campaigns.access import (
    EDIT_CAMPAIGN,
    VIEW_CAMPAIGN,
    may_edit_campaign,
    may_target_unit,
    may_view_campaign,
)
from app.campaigns.forms import (
    LANGUAGE_ORDER,
    AddModuleForm,
    AudiencePersonForm,
    AudienceRolesForm,
    AudienceUnitForm,
    CampaignForm,
    ConfirmForm,
)
from app.campaigns.models import (
    CalendarToken,
    Campaign,
    CampaignAudiencePerson,
    CampaignAudienceUnit,
    CampaignModule,
    CampaignState,
    FeedKind,
)
from app.campaigns.schedule_rules import (
    WeekSpan,
    due_date_warning,
    parse_iso_week,
    parse_reminder_days,
    week_span,
)
from app.campaigns.scheduler import remind_all_overdue
from app.content.models import Module
from app.content.translation_notes import stale_languages
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Role, Unit, User
from app.people.operations import find_user_by_email
from app.permissions import ensure, register_rule, roles_required
from app.platform.hooks import (
    ASSIGNMENT_SOURCES,
    HOME_PANELS,
    NAV_ENTRIES,
    OUTBOX_HEADERS,
    XAPI_REGISTRATIONS,
)
from app.timekeeping import clock
from app.timekeeping.days import day_end, day_start, local_date, zone

bp = Blueprint("campaigns", __name__)

STAFF = (Role.MANAGER, Role.TRAINER, Role.ADMIN)

STATE_LABELS = {
    "draft": _l("Draft"),
    "scheduled": _l("Scheduled"),
    "active": _l("Active"),
    "closed": _l("Closed"),
}
STATE_HINTS = {
    "draft": _l(
        "Being prepared: nothing is sent. Schedule it when the audience and modules are set."
    ),
    "scheduled": _l("Assignments go out automatically on the assignment date."),
    "active": _l("Assignments are out; reminders follow the plan; people who join get it too."),
    "closed": _l("Over: no more assignments or reminders. The history is kept."),
}


def _tz():
    return zone(current_app.config.get("BABEL_DEFAULT_TIMEZONE"))


def _load(campaign_id: int, action: str = VIEW_CAMPAIGN) -> Campaign:
    campaign = queries.load_campaign(db.session, current_user, campaign_id)
    ensure(action, campaign)
    return campaign  # type: ignore[return-value]


def _problems_to_form(form: CampaignForm, problems: list[ops.Problem]) -> list[str]:
    """Attach problems to their fields; return the ones that belong to no field."""
    loose = []
    for problem in problems:
        name = "name_" + LANGUAGE_ORDER[0] if problem.field == "name" else problem.field
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), problem.message]
        else:
            loose.append(problem.message)
    return loose


# --- list, calendar ----------------------------------------------------------------------------


@bp.get("/campaigns")
@roles_required(*STAFF)
def index():
    """List the campaigns the viewer may see, by state."""
    state = request.args.get("state") or None
    rows = queries.campaign_rows(db.session, current_user, select_language(), state=state)
    return render_template(
        "campaigns/index.html",
        rows=rows,
        state=state,
        states=STATE_LABELS,
        can_create=_owner_choices() != [],
    )


def _month_start(value: str | None, today: date) -> date:
    try:
        year, month = (int(p) for p in (value or "").split("-"))
        return (
            date(year, month, 1)
            if 1 <= month <= 12 and 2000 <= year <= 2200
            else today.replace(day=1)
        )
    except ValueError:
        return today.replace(day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@bp.get("/campaigns/calendar")
@roles_required(*STAFF)
def calendar():
    """Campaign dates by month (six months from the chosen one), as accessible tables."""
    tz = _tz()
    first = _month_start(request.args.get("from"), local_date(clock.now(), tz))
    months = [_add_months(first, i) for i in range(6)]
    events = queries.calendar_events(
        db.session,
        current_user,
        select_language(),
        day_start(first, tz),
        day_start(_add_months(first, 6), tz),
    )
    by_month: dict[date, list[Any]] = {m: [] for m in months}
    for event in events:
        day = local_date(event.at, tz)
        by_month[day.replace(day=1)].append((day, event))
    return render_template(
        "campaigns/calendar.html",
        by_month=by_month,
        previous=_add_months(first, -6).strftime("%Y-%m"),
        following=_add_months(first, 6).strftime("%Y-%m"),
        states=STATE_LABELS,
    )


# --- create and edit -------------------------------------------------------------------------


def _owner_choices() -> list[SelectChoice]:
    """Owners the viewer may choose: units they manage, providers they train for."""
    choices = [
        SelectChoice(f"unit:{u.id}", ("\u2003" * u.depth) + u.name)
        for u in queries.unit_choices(db.session, current_user)
    ]
    choices += [
        SelectChoice(f"provider:{pid}", _("%(name)s (content provider)", name=name))
        for pid, name in queries.provider_choices(db.session, current_user)
    ]
    return choices


def _owner_of(value: str) -> tuple[int | None, int | None]:
    kind, _sep, raw = (value or "").partition(":")
    try:
        number = int(raw)
    except ValueError:
        return None, None
    return (
        (number, None) if kind == "unit" else (None, number) if kind == "provider" else (None, None)
    )


def campaign_weeks(starts_at: datetime, ends_at: datetime) -> WeekSpan:
    """The ISO weeks of a campaign period, on the platform's calendar (for the pages)."""
    tz = _tz()
    return week_span(local_date(starts_at, tz), local_date(ends_at, tz))


def _apply_weeks(form: CampaignForm) -> None:
    """A week typed (or picked) wins over the date beside it: its Monday starts the campaign,
    its Sunday ends it. The dates are filled in, so the page shows what will be saved."""
    if form.starts_week.data:
        form.starts_on.data = parse_iso_week(form.starts_week.data)[0]
    if form.ends_week.data:
        form.ends_on.data = parse_iso_week(form.ends_week.data)[1]


def _fields_from(form: CampaignForm) -> ops.CampaignFields:
    tz = _tz()
    unit_id, provider_id = _owner_of(form.owner.data)
    return ops.CampaignFields(
        name={lang: getattr(form, f"name_{lang}").data or "" for lang in LANGUAGE_ORDER},
        theme={lang: getattr(form, f"theme_{lang}").data or "" for lang in LANGUAGE_ORDER},
        description={
            lang: getattr(form, f"description_{lang}").data or "" for lang in LANGUAGE_ORDER
        },
        owner_unit_id=unit_id,
        owner_provider_id=provider_id,
        assign_at=day_start(form.assign_on.data, tz),
        due_at=day_end(form.due_on.data, tz),
        starts_at=day_start(form.starts_on.data, tz),
        ends_at=day_end(form.ends_on.data, tz),
        readiness_percent=form.readiness_percent.data,
        readiness_min_per_branch=form.readiness_min_per_branch.data,
        reminder_days=parse_reminder_days(form.reminder_days.data or ""),
        remind_weekly_overdue=bool(form.remind_weekly_overdue.data),
        send_digests=bool(form.send_digests.data),
        late_joiner_days=form.late_joiner_days.data or 0,
        is_yearly=bool(form.is_yearly.data),
    )


def _fill(form: CampaignForm, campaign: Campaign) -> None:
    tz = _tz()
    for lang in LANGUAGE_ORDER:
        getattr(form, f"name_{lang}").data = campaign.name.get(lang, "")
        getattr(form, f"theme_{lang}").data = campaign.theme.get(lang, "")
    texts = dict(campaign.descriptions)
    unknown = texts.pop(ops.UNKNOWN_LANGUAGE, "")
    for lang in LANGUAGE_ORDER:
        getattr(form, f"description_{lang}").data = texts.get(lang, "")
    if unknown:  # written before descriptions had a language: offered in the default one
        default = current_app.config.get("BABEL_DEFAULT_LOCALE") or LANGUAGE_ORDER[0]
        field = getattr(form, f"description_{default}", form.description_fields()[0])
        field.data = "\n\n".join(t for t in (field.data, unknown) if t)
    form.owner.data = (
        f"unit:{campaign.owner_unit_id}"
        if campaign.owner_unit_id
        else f"provider:{campaign.owner_provider_id}"
    )
    form.assign_on.data = local_date(campaign.assign_at, tz)
    form.due_on.data = local_date(campaign.due_at, tz)
    form.starts_on.data = local_date(campaign.starts_at, tz)
    form.ends_on.data = local_date(campaign.ends_at, tz)
    form.readiness_percent.data = campaign.readiness_percent
    form.readiness_min_per_branch.data = campaign.readiness_min_per_branch
    form.reminder_days.data = ", ".join(str(d) for d in campaign.reminder_days)
    form.remind_weekly_overdue.data = campaign.remind_weekly_overdue
    form.send_digests.data = campaign.send_digests
    form.late_joiner_days.data = campaign.late_joiner_days
    form.is_yearly.data = campaign.is_yearly


def _render_form(
    form: CampaignForm,
    campaign: Campaign | None,
    loose: list[str],
    status: int = 200,
    *,
    warning: str | None = None,
):
    errors = [(f.id, e) for f in form for e in (f.errors or [])]
    return (
        render_template(
            "campaigns/form.html",
            form=form,
            campaign=campaign,
            errors=errors,
            loose=loose,
            languages=LANGUAGE_ORDER,
            states=STATE_LABELS,
            warning=warning,
            reminder_lead=max(_form_reminder_days(form), default=0),
        ),
        status,
    )


def _form_reminder_days(form: CampaignForm) -> list[int]:
    """The reminder days typed in the form ([] when they do not parse)."""
    try:
        return parse_reminder_days(form.reminder_days.data or "")
    except ValueError:
        return []


def _unconfirmed_warning(
    form: CampaignForm, fields: ops.CampaignFields, campaign: Campaign | None
) -> str | None:
    """A due date in the past or inside the reminder lead time needs the box ticked; an
    unchanged due date is not asked about again."""
    if form.confirm_dates.data or ops.field_problems(fields):
        return None  # field problems come first; the warning follows once they are fixed
    if campaign is not None and fields.due_at == campaign.due_at:
        return None
    return due_date_warning(fields.due_at, fields.reminder_days, now=clock.now())


@bp.route("/campaigns/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new():
    """Create a draft campaign."""
    form = CampaignForm()
    form.owner.choices = _owner_choices()
    if not form.owner.choices:
        abort(403)
    if request.method == "GET":
        tz = _tz()
        today = local_date(clock.now(), tz)
        form.assign_on.data = today + timedelta(days=7)
        form.due_on.data = today + timedelta(days=49)
        form.starts_on.data = today + timedelta(days=49)
        form.ends_on.data = today + timedelta(days=79)
        form.readiness_percent.data = 80
        return _render_form(form, None, [])
    if not form.validate_on_submit():
        return _render_form(form, None, [], 400)
    _apply_weeks(form)
    fields = _fields_from(form)
    warning = _unconfirmed_warning(form, fields, None)
    if warning:
        return _render_form(form, None, [], 200, warning=warning)
    try:
        campaign = ops.create_campaign(db.session, fields, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_form(form, None, _problems_to_form(form, exc.problems), 400)
    db.session.commit()
    flash(
        _("The campaign was created as a draft. Add modules and an audience, then schedule it."),
        "success",
    )
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit(campaign_id: int):
    """Change a campaign within the rules of its state."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if campaign.state == CampaignState.CLOSED:
        flash(_("A closed campaign can no longer be changed."), "error")
        return redirect(url_for(".detail", campaign_id=campaign.id), 303)
    form = CampaignForm()
    form.owner.choices = _owner_choices()
    current_owner = (
        f"unit:{campaign.owner_unit_id}"
        if campaign.owner_unit_id
        else f"provider:{campaign.owner_provider_id}"
    )
    if current_owner not in {choice.value for choice in form.owner.choices}:
        form.owner.choices.insert(0, SelectChoice(current_owner, _owner_name(campaign)))
    if request.method == "GET":
        _fill(form, campaign)
        return _render_form(form, campaign, [])
    if not form.validate_on_submit():
        return _render_form(form, campaign, [], 400)
    _apply_weeks(form)
    fields = _fields_from(form)
    warning = _unconfirmed_warning(form, fields, campaign)
    if warning:
        return _render_form(form, campaign, [], 200, warning=warning)
    try:
        ops.update_campaign(db.session, campaign, fields, now=clock.now(), actor=current_user)
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_form(form, campaign, _problems_to_form(form, exc.problems), 400)
    db.session.commit()
    flash(_("The campaign was saved."), "success")
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


def _owner_name(campaign: Campaign) -> str:
    if campaign.owner_unit is not None:
        return campaign.owner_unit.name
    if campaign.owner_provider is not None:
        return campaign.owner_provider.name
    return ""


# --- the campaign page -----------------------------------------------------------------------


def _module_form(*, bound: bool = True) -> AddModuleForm:
    """The add-module form; unbound when shown after another form's POST."""
    form = AddModuleForm() if bound else AddModuleForm(formdata=None)
    modules = queries.published_modules(db.session, select_language())
    form.module.choices = [SelectChoice(0, _("Choose a module"))] + [
        SelectChoice(m.id, f"{m.title_in(select_language())} ({m.slug})") for m in modules
    ]
    form.refresher.choices = [
        SelectChoice(-1, _("Automatic: the module's declared refresher, if it has one")),
        SelectChoice(0, _("None: everyone does the full module")),
    ] + [
        SelectChoice(m.id, f"{m.title_in(select_language())} ({m.slug})")
        for m in modules
        if m.refresher_of_id
    ]
    return form


def _role_labels(roles: list[str]) -> str:
    """The audience roles in words, for the pages."""
    labels = {choice.value: choice.label for choice in AudienceRolesForm.roles.kwargs["choices"]}
    return ", ".join(str(labels.get(role, role)) for role in roles)


def _render_detail(
    campaign: Campaign,
    *,
    problems: list[ops.Problem] | None = None,
    module_form=None,
    status=200,
    secret=None,
):
    language = select_language()
    now = clock.now()
    editable = may_edit_campaign(current_user, campaign) and campaign.state != CampaignState.CLOSED
    copy = db.session.scalar(select(Campaign).where(Campaign.previous_id == campaign.id))
    modules = queries.campaign_modules(db.session, campaign, language)
    return (
        render_template(
            "campaigns/detail.html",
            campaign=campaign,
            name=campaign.name_in(language),
            theme=campaign.theme_in(language),
            description_html=campaign.description_html_in(language),
            weeks=campaign_weeks(campaign.starts_at, campaign.ends_at),
            owner=_owner_name(campaign),
            modules=modules,
            stale=stale_languages(db.session, [m.module_id for m in modules if m.is_required]),
            # Unit names only (who is in them stays within each viewer's scope).
            audience_units=sorted(campaign.audience_units, key=lambda a: a.unit.path),
            role_labels=_role_labels(campaign.audience_roles),
            people_by_hand=len(campaign.audience_people)
            if may_edit_campaign(current_user, campaign)
            else None,
            figures=queries.campaign_figures(db.session, campaign, current_user, now),
            states=STATE_LABELS,
            state_hints=STATE_HINTS,
            editable=editable,
            can_edit=may_edit_campaign(current_user, campaign),
            problems=problems or [],
            module_form=module_form or (_module_form(bound=False) if editable else None),
            confirm_form=ConfirmForm(),
            copy=copy,
            previous=campaign.previous,
            feeds=queries.active_feed_tokens(db.session, campaign_id=campaign.id),
            feed_secret=secret,
            now=now,
        ),
        status,
    )


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(*STAFF)
def detail(campaign_id: int):
    """Show a campaign: state, dates, rules, modules, audience, figures and actions."""
    return _render_detail(_load(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/schedule")
@roles_required(*STAFF)
def schedule(campaign_id: int):
    """Schedule a draft (checks dates, audience and modules first)."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.schedule_campaign(db.session, campaign, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    flash(_("The campaign is scheduled. Assignments go out on the assignment date."), "success")
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/campaigns/<int:campaign_id>/remind-overdue")
@roles_required(*STAFF)
def remind_overdue(campaign_id: int):
    """Remind everyone overdue now: one message per person, at most once a day."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if campaign.state != CampaignState.ACTIVE:
        flash(_("Only an active campaign has people to remind."), "error")
        return redirect(url_for(".detail", campaign_id=campaign.id), 303)
    reminded = remind_all_overdue(db.session, campaign, clock.now())
    db.session.commit()
    if reminded:
        flash(
            ngettext(
                "%(num)d overdue person was reminded.",
                "%(num)d overdue people were reminded.",
                reminded,
            ),
            "success",
        )
    else:
        flash(
            _("Nobody was reminded: nobody is overdue, or everyone overdue was reminded today."),
            "info",
        )
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/campaigns/<int:campaign_id>/unschedule")
@roles_required(*STAFF)
def unschedule(campaign_id: int):
    """Take a scheduled campaign back to draft."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _simple(campaign, ops.unschedule_campaign, _("The campaign is a draft again."))


def _simple(campaign: Campaign, operation, message: str):
    try:
        operation(db.session, campaign, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.route("/campaigns/<int:campaign_id>/close", methods=["GET", "POST"])
@roles_required(*STAFF)
def close(campaign_id: int):
    """Confirm (GET) and close (POST) a campaign."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template(
            "campaigns/confirm_close.html",
            campaign=campaign,
            name=campaign.name_in(select_language()),
            form=form,
            figures=queries.campaign_figures(db.session, campaign, current_user, clock.now()),
        )
    return _simple(campaign, ops.close_campaign, _("The campaign is closed."))


@bp.post("/campaigns/<int:campaign_id>/delete")
@roles_required(*STAFF)
def delete(campaign_id: int):
    """Delete a draft."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.delete_draft(db.session, campaign, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    flash(_("The draft was deleted."), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/campaigns/<int:campaign_id>/copy")
@roles_required(*STAFF)
def copy_next_year(campaign_id: int):
    """Copy the campaign to next year in one step (as a draft)."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        copy = ops.copy_to_next_year(
            db.session,
            campaign,
            actor=current_user,
            now=clock.now(),
            timezone=current_app.config.get("BABEL_DEFAULT_TIMEZONE"),
        )
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_detail(campaign, problems=exc.problems, status=409)
    db.session.commit()
    flash(
        _("The campaign was copied to next year as a draft. Check the dates, then schedule it."),
        "success",
    )
    return redirect(url_for(".detail", campaign_id=copy.id), 303)


# --- modules ---------------------------------------------------------------------------------


@bp.post("/campaigns/<int:campaign_id>/modules")
@roles_required(*STAFF)
def add_module(campaign_id: int):
    """Add a module to the campaign."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    form = _module_form()
    if not form.validate_on_submit():
        return _render_detail(campaign, module_form=form, status=400)
    module = db.session.get(Module, form.module.data)
    refresher_id = form.refresher.data
    if refresher_id == -1:
        refresher_id = ops.declared_refresher_id(db.session, module.id) if module else None
    refresher = db.session.get(Module, refresher_id) if refresher_id else None
    if module is None:
        abort(404)
    try:
        ops.add_module(
            db.session,
            campaign,
            module,
            is_required=bool(form.is_required.data),
            refresher=refresher,
            now=clock.now(),
        )
    except ops.CampaignError as exc:
        db.session.rollback()
        for problem in exc.problems:
            target = form.refresher if problem.field == "refresher" else form.module
            target.errors = [*list(target.errors), problem.message]
        return _render_detail(campaign, module_form=form, status=400)
    db.session.commit()
    flash(_("The module was added."), "success")
    return redirect(url_for(".detail", campaign_id=campaign.id, _anchor="modules"), 303)


def _campaign_module(campaign: Campaign, cm_id: int) -> CampaignModule:
    cm = db.session.get(CampaignModule, cm_id)
    if cm is None or cm.campaign_id != campaign.id or cm.removed_at is not None:
        abort(404)
    return cm


@bp.route("/campaigns/<int:campaign_id>/modules/<int:cm_id>/remove", methods=["GET", "POST"])
@roles_required(*STAFF)
def remove_module(campaign_id: int, cm_id: int):
    """Remove a module; from an active campaign a required one needs a confirmation that says
    how many people in which units lose the assignment (GET shows it, POST acts)."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    cm = _campaign_module(campaign, cm_id)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "campaigns/confirm_remove_module.html",
            campaign=campaign,
            name=campaign.name_in(select_language()),
            module=queries.module_infos(db.session, [cm.module_id]).get(cm.module_id),
            cm=cm,
            impact=queries.removal_impact(db.session, current_user, campaign, cm),
            form=form,
            language=select_language(),
        )
    if not form.validate_on_submit():
        abort(400)
    needs_confirmation = campaign.state == CampaignState.ACTIVE and cm.is_required
    if needs_confirmation and request.form.get("confirmed") != "yes":
        return redirect(url_for(".remove_module", campaign_id=campaign.id, cm_id=cm.id), 303)
    try:
        ended = ops.remove_module(db.session, campaign, cm, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return _render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    if ended:
        flash(
            _(
                "The module was removed; %(count)s assignments ended (their history is kept).",
                count=ended,
            ),
            "success",
        )
    else:
        flash(_("The module was removed."), "success")
    return redirect(url_for(".detail", campaign_id=campaign.id, _anchor="modules"), 303)


# --- audience --------------------------------------------------------------------------------


def _audience_forms(
    *, bound: bool = True
) -> tuple[AudienceUnitForm, AudienceRolesForm, AudiencePersonForm]:
    """The audience forms; unbound when shown after another form's POST."""
    data = {} if bound else {"formdata": None}
    unit_form = AudienceUnitForm(prefix="unit", **data)
    unit_form.unit.choices = [SelectChoice(0, _("Choose a unit"))] + [
        SelectChoice(u.id, ("\u2003" * u.depth) + u.name)
        for u in queries.unit_choices(db.session, current_user)
    ]
    return (
        unit_form,
        AudienceRolesForm(prefix="roles", **data),
        AudiencePersonForm(prefix="person", **data),
    )


def _render_audience(campaign: Campaign, forms=None, status: int = 200):
    # Only the form that was sent (and failed) keeps what was typed; the others start afresh.
    fresh = list(_audience_forms(bound=False))
    fresh[1].roles.data = list(campaign.audience_roles)
    for index, form in enumerate(forms or ()):
        if form.is_submitted() and any(name.startswith(form._prefix) for name in request.form):
            fresh[index] = form
    unit_form, roles_form, person_form = fresh
    editable = may_edit_campaign(current_user, campaign) and campaign.state != CampaignState.CLOSED
    return (
        render_template(
            "campaigns/audience.html",
            campaign=campaign,
            name=campaign.name_in(select_language()),
            preview=queries.audience_preview(db.session, current_user, campaign),
            entries=sorted(campaign.audience_units, key=lambda a: a.unit.path),
            # Only people inside the viewer's scope are named (scope by rank, issue 11).
            people=sorted(
                (
                    p
                    for p in campaign.audience_people
                    if queries.audience_person_visible(current_user, campaign, p.user)
                ),
                key=lambda p: (p.is_excluded, p.user.last_name),
            ),
            unit_form=unit_form,
            roles_form=roles_form,
            person_form=person_form,
            confirm_form=ConfirmForm(),
            editable=editable,
            can_pick_units=len(unit_form.unit.choices) > 1,
            role_labels=_role_labels(campaign.audience_roles),
            states=STATE_LABELS,
        ),
        status,
    )


@bp.get("/campaigns/<int:campaign_id>/audience")
@roles_required(*STAFF)
def audience(campaign_id: int):
    """The audience editor and a preview of who is in it (counts per unit)."""
    return _render_audience(_load(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/audience/units")
@roles_required(*STAFF)
def add_audience_unit(campaign_id: int):
    """Put a unit in the audience (only a unit in the editor's scope)."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    forms = _audience_forms()
    form = forms[0]
    if not form.validate_on_submit():
        return _render_audience(campaign, forms, 400)
    unit = db.session.get(Unit, form.unit.data)
    if not may_target_unit(current_user, unit):
        abort(404)
    return _audience_change(
        campaign,
        forms,
        lambda: ops.add_audience_unit(
            db.session,
            campaign,
            unit,
            include_subunits=bool(form.include_subunits.data),
            now=clock.now(),
        ),
        _("%(unit)s is in the audience.", unit=unit.name),
    )


def _audience_change(campaign: Campaign, forms, operation, message: str):
    try:
        operation()
    except ops.CampaignError as exc:
        db.session.rollback()
        for problem in exc.problems:
            flash(str(problem.message), "error")
        return _render_audience(campaign, forms, 400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".audience", campaign_id=campaign.id), 303)


@bp.post("/campaigns/<int:campaign_id>/audience/units/<int:entry_id>/remove")
@roles_required(*STAFF)
def remove_audience_unit(campaign_id: int, entry_id: int):
    """Take a unit out of the audience."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    entry = db.session.get(CampaignAudienceUnit, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _audience_change(
        campaign,
        None,
        lambda: ops.remove_audience_unit(db.session, campaign, entry, now=clock.now()),
        _("%(unit)s is no longer in the audience.", unit=entry.unit.name),
    )


@bp.post("/campaigns/<int:campaign_id>/audience/roles")
@roles_required(*STAFF)
def set_audience_roles(campaign_id: int):
    """Narrow the unit audience to some roles."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    forms = _audience_forms()
    form = forms[1]
    if not form.validate_on_submit():
        return _render_audience(campaign, forms, 400)
    return _audience_change(
        campaign,
        forms,
        lambda: ops.set_audience_roles(
            db.session, campaign, list(form.roles.data or []), now=clock.now()
        ),
        _("The roles were saved."),
    )


@bp.post("/campaigns/<int:campaign_id>/audience/people")
@roles_required(*STAFF)
def add_audience_person(campaign_id: int):
    """Add or exclude a person by hand (only a person in the editor's scope)."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    forms = _audience_forms()
    form = forms[2]
    if not form.validate_on_submit():
        return _render_audience(campaign, forms, 400)
    person = find_user_by_email(db.session, form.email.data)
    if person is None or not may_target_unit(current_user, person.unit):
        # The same answer whether the person does not exist or is out of reach.
        form.email.errors = [
            *list(form.email.errors),
            _("E-mail address: nobody with this address in your units."),
        ]
        return _render_audience(campaign, forms, 400)
    excluded = form.action.data == "exclude"
    return _audience_change(
        campaign,
        forms,
        lambda: ops.set_audience_person(
            db.session, campaign, person, is_excluded=excluded, now=clock.now()
        ),
        _("%(name)s is excluded.", name=person.display_name)
        if excluded
        else _("%(name)s was added.", name=person.display_name),
    )


@bp.post("/campaigns/<int:campaign_id>/audience/people/<int:entry_id>/remove")
@roles_required(*STAFF)
def remove_audience_person(campaign_id: int, entry_id: int):
    """Forget a by-hand choice about a person."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    entry = db.session.get(CampaignAudiencePerson, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _audience_change(
        campaign,
        None,
        lambda: ops.remove_audience_person(db.session, campaign, entry, now=clock.now()),
        _("The choice about %(name)s was removed.", name=entry.user.display_name),
    )


# --- campaign calendar feed ------------------------------------------------------------------


@bp.post("/campaigns/<int:campaign_id>/feed")
@roles_required(*STAFF)
def create_feed(campaign_id: int):
    """Make (or replace) the campaign's calendar-feed address; shown once."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, current_user.id)
    _token, secret = ops.create_feed_token(
        db.session, user, kind=FeedKind.CAMPAIGN, campaign=campaign, now=clock.now()
    )
    db.session.commit()
    response = make_response(_render_detail(campaign, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/campaigns/<int:campaign_id>/feed/<int:token_id>/revoke")
@roles_required(*STAFF)
def revoke_feed(campaign_id: int, token_id: int):
    """Revoke the campaign's calendar-feed address."""
    campaign = _load(campaign_id, EDIT_CAMPAIGN)
    token = db.session.get(CalendarToken, token_id)
    if token is None or token.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    ops.revoke_feed_token(db.session, token, now=clock.now())
    db.session.commit()
    flash(
        _("The calendar address was revoked; calendars subscribed to it stop updating."), "success"
    )
    return redirect(url_for(".detail", campaign_id=campaign.id, _anchor="feed"), 303)


# --- registration ----------------------------------------------------------------------------


def _bell_context() -> dict[str, Any]:
    """The unread count for the bell in the header (one indexed count per signed-in page)."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    return {"campaign_bell": {"unread": queries.unread_notice_count(db.session, current_user.id)}}


def _list_unsubscribe(email: Any) -> dict[str, str]:
    """List-Unsubscribe headers for campaign e-mails (RFC 2369 and one-click RFC 8058)."""
    key = email.dedupe_key or ""
    if not key.startswith("campaigns:") or not email.user_id:
        return {}
    from app.campaigns.links import LinkBuilder

    url = LinkBuilder().unsubscribe_url(email.user_id)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _home_panel(user: Any) -> dict[str, Any] | None:
    """Home panel for learners: the campaigns they take part in, with their due dates."""
    if Role.LEARNER not in user.role_set:
        return None
    campaigns = queries.my_campaigns(db.session, user, select_language(), clock.now())
    if not campaigns:
        return None
    return {"template": "campaigns/_home_panel.html", "campaigns": campaigns}


def register(app: Flask) -> None:
    """Plug campaigns in: pages, notices, feeds, API, rules, navigation, CLI, hooks."""
    from app.campaigns import notice_views  # noqa: F401  (adds its routes to `bp`)
    from app.campaigns.cli import campaigns_cli

    app.config.setdefault("CAMPAIGNS_BASE_URL", os.environ.get("PUBLIC_BASE_URL") or None)
    app.config.setdefault("CAMPAIGNS_ICAL_DOMAIN", None)
    app.jinja_env.globals["campaign_weeks"] = campaign_weeks
    app.register_blueprint(bp)
    try:
        from app.campaigns.api_views import api_bp
    except ModuleNotFoundError as exc:  # the API feature is not installed
        if not (exc.name or "").startswith("app.api"):
            raise
    else:
        app.register_blueprint(api_bp)
    register_rule(VIEW_CAMPAIGN, may_view_campaign)
    register_rule(EDIT_CAMPAIGN, may_edit_campaign)
    app.cli.add_command(campaigns_cli)
    app.context_processor(_bell_context)
    OUTBOX_HEADERS.connect(app, _list_unsubscribe)
    HOME_PANELS.connect(app, _home_panel)
    # "My learning" (tracking) lists what campaigns assign, through this source.
    from app.campaigns.queries import assignments_for_user, xapi_registration

    ASSIGNMENT_SOURCES.connect(app, assignments_for_user)
    # Statements about an assigned module carry the campaign as their xAPI registration.
    XAPI_REGISTRATIONS.connect(app, xapi_registration)
    NAV_ENTRIES.connect(
        app, ("campaigns.index", _l("Campaigns"), {Role.MANAGER, Role.TRAINER, Role.ADMIN})
    )
