"""Creating and editing a campaign: the form, its weeks and dates, and its warnings."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.campaigns import operations as ops
from app.campaigns.access import EDIT_CAMPAIGN
from app.campaigns.blueprint import (
    STAFF,
    STATE_LABELS,
    bp,
    campaign_or_404,
    owner_choices,
    owner_name,
)
from app.campaigns.forms import CampaignForm
from app.campaigns.models import Campaign, CampaignState
from app.campaigns.schedule_rules import due_date_warning, parse_iso_week, parse_reminder_days
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.permissions import roles_required
from app.timekeeping import clock
from app.timekeeping.clock import platform_zone
from app.timekeeping.days import day_end, day_start, local_date


def _problems_to_form(form: CampaignForm, problems: list[ops.Problem]) -> list[str]:
    """Attach problems to their fields; return the ones that belong to no field."""
    loose = []
    for problem in problems:
        name = "name_" + LANGUAGES[0] if problem.field == "name" else problem.field
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = [*list(field.errors), problem.message]
        else:
            loose.append(problem.message)
    return loose


def _owner_of(value: str) -> tuple[int | None, int | None]:
    kind, _sep, raw = (value or "").partition(":")
    try:
        number = int(raw)
    except ValueError:
        return None, None
    return (
        (number, None) if kind == "unit" else (None, number) if kind == "provider" else (None, None)
    )


def _apply_weeks(form: CampaignForm) -> None:
    """A week typed (or picked) wins over the date beside it: its Monday starts the campaign,
    its Sunday ends it. The dates are filled in, so the page shows what will be saved."""
    if form.starts_week.data:
        form.starts_on.data = parse_iso_week(form.starts_week.data)[0]
    if form.ends_week.data:
        form.ends_on.data = parse_iso_week(form.ends_week.data)[1]


def _fields_from(form: CampaignForm) -> ops.CampaignFields:
    tz = platform_zone()
    unit_id, provider_id = _owner_of(form.owner.data)
    return ops.CampaignFields(
        name={lang: getattr(form, f"name_{lang}").data or "" for lang in LANGUAGES},
        theme={lang: getattr(form, f"theme_{lang}").data or "" for lang in LANGUAGES},
        description={lang: getattr(form, f"description_{lang}").data or "" for lang in LANGUAGES},
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
    tz = platform_zone()
    for lang in LANGUAGES:
        getattr(form, f"name_{lang}").data = campaign.name.get(lang, "")
        getattr(form, f"theme_{lang}").data = campaign.theme.get(lang, "")
    texts = dict(campaign.descriptions)
    unknown = texts.pop(ops.UNKNOWN_LANGUAGE, "")
    for lang in LANGUAGES:
        getattr(form, f"description_{lang}").data = texts.get(lang, "")
    if unknown:  # written before descriptions had a language: offered in the default one
        default = current_app.config.get("BABEL_DEFAULT_LOCALE") or LANGUAGES[0]
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
            languages=LANGUAGES,
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
    form.owner.choices = owner_choices()
    if not form.owner.choices:
        abort(403)
    if request.method == "GET":
        today = clock.today()
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
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    if campaign.state == CampaignState.CLOSED:
        flash(_("A closed campaign can no longer be changed."), "error")
        return redirect(url_for(".detail", campaign_id=campaign.id), 303)
    form = CampaignForm()
    form.owner.choices = owner_choices()
    current_owner = (
        f"unit:{campaign.owner_unit_id}"
        if campaign.owner_unit_id
        else f"provider:{campaign.owner_provider_id}"
    )
    if current_owner not in {choice.value for choice in form.owner.choices}:
        form.owner.choices.insert(0, SelectChoice(current_owner, owner_name(campaign)))
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
