"""A campaign's page and the actions on it: schedule, remind the overdue, take back to draft,
close, delete, copy to next year, and its calendar-feed address."""

from __future__ import annotations

from flask import (
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from app.campaigns import notice_operations as notice_ops
from app.campaigns import operations as ops
from app.campaigns import yearly_copy
from app.campaigns.access import EDIT_CAMPAIGN, may_edit_campaign
from app.campaigns.blueprint import (
    STAFF,
    STATE_HINTS,
    STATE_LABELS,
    bp,
    campaign_or_404,
    campaign_weeks,
    owner_name,
    role_labels,
)
from app.campaigns.forms import AddModuleForm, ConfirmForm
from app.campaigns.models import CalendarToken, Campaign, CampaignState, FeedKind
from app.campaigns.queries.campaign_page import campaign_figures, campaign_modules
from app.campaigns.queries.modules import published_modules
from app.campaigns.queries.notices_feeds import active_feed_tokens
from app.campaigns.scheduler.reminders import remind_all_overdue
from app.content.translation_notes import stale_languages
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import User
from app.permissions import roles_required
from app.timekeeping import clock
from app.timekeeping.clock import platform_zone


def add_module_form(*, bound: bool = True) -> AddModuleForm:
    """The add-module form; unbound when shown after another form's POST."""
    form = AddModuleForm() if bound else AddModuleForm(formdata=None)
    modules = published_modules(db.session, select_language())
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


def render_detail(
    campaign: Campaign,
    *,
    problems: list[ops.Problem] | None = None,
    module_form=None,
    status=200,
    secret=None,
):
    """The campaign's page (also re-shown with the problems of a refused action)."""
    language = select_language()
    now = clock.now()
    editable = may_edit_campaign(current_user, campaign) and campaign.state != CampaignState.CLOSED
    copy = db.session.scalar(select(Campaign).where(Campaign.previous_id == campaign.id))
    modules = campaign_modules(db.session, campaign, language)
    return (
        render_template(
            "campaigns/detail.html",
            campaign=campaign,
            name=campaign.name_in(language),
            theme=campaign.theme_in(language),
            description_html=campaign.description_html_in(language),
            weeks=campaign_weeks(campaign.starts_at, campaign.ends_at),
            owner=owner_name(campaign),
            modules=modules,
            stale=stale_languages(db.session, [m.module_id for m in modules if m.is_required]),
            # Unit names only (who is in them stays within each viewer's scope).
            audience_units=sorted(campaign.audience_units, key=lambda a: a.unit.path),
            role_labels=role_labels(campaign.audience_roles),
            people_by_hand=len(campaign.audience_people)
            if may_edit_campaign(current_user, campaign)
            else None,
            figures=campaign_figures(db.session, campaign, current_user, now),
            states=STATE_LABELS,
            state_hints=STATE_HINTS,
            editable=editable,
            can_edit=may_edit_campaign(current_user, campaign),
            problems=problems or [],
            module_form=module_form or (add_module_form(bound=False) if editable else None),
            confirm_form=ConfirmForm(),
            copy=copy,
            previous=campaign.previous,
            feeds=active_feed_tokens(db.session, campaign_id=campaign.id),
            feed_secret=secret,
            now=now,
        ),
        status,
    )


@bp.get("/campaigns/<int:campaign_id>")
@roles_required(*STAFF)
def detail(campaign_id: int):
    """Show a campaign: state, dates, rules, modules, audience, figures and actions."""
    return render_detail(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/schedule")
@roles_required(*STAFF)
def schedule(campaign_id: int):
    """Schedule a draft (checks dates, audience and modules first)."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.schedule_campaign(db.session, campaign, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    flash(_("The campaign is scheduled. Assignments go out on the assignment date."), "success")
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.post("/campaigns/<int:campaign_id>/remind-overdue")
@roles_required(*STAFF)
def remind_overdue(campaign_id: int):
    """Remind everyone overdue now: one message per person, at most once a day."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
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
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _simple(campaign, ops.unschedule_campaign, _("The campaign is a draft again."))


def _simple(campaign: Campaign, operation, message: str):
    try:
        operation(db.session, campaign, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".detail", campaign_id=campaign.id), 303)


@bp.route("/campaigns/<int:campaign_id>/close", methods=["GET", "POST"])
@roles_required(*STAFF)
def close(campaign_id: int):
    """Confirm (GET) and close (POST) a campaign."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        return render_template(
            "campaigns/confirm_close.html",
            campaign=campaign,
            name=campaign.name_in(select_language()),
            form=form,
            figures=campaign_figures(db.session, campaign, current_user, clock.now()),
        )
    return _simple(campaign, ops.close_campaign, _("The campaign is closed."))


@bp.post("/campaigns/<int:campaign_id>/delete")
@roles_required(*STAFF)
def delete(campaign_id: int):
    """Delete a draft."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.delete_draft(db.session, campaign, actor=current_user, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return render_detail(campaign, problems=exc.problems, status=400)
    db.session.commit()
    flash(_("The draft was deleted."), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/campaigns/<int:campaign_id>/copy")
@roles_required(*STAFF)
def copy_next_year(campaign_id: int):
    """Copy the campaign to next year in one step (as a draft)."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        copy = yearly_copy.copy_to_next_year(
            db.session,
            campaign,
            actor=current_user,
            now=clock.now(),
            tz=platform_zone(),
        )
    except ops.CampaignError as exc:
        db.session.rollback()
        return render_detail(campaign, problems=exc.problems, status=409)
    db.session.commit()
    flash(
        _("The campaign was copied to next year as a draft. Check the dates, then schedule it."),
        "success",
    )
    return redirect(url_for(".detail", campaign_id=copy.id), 303)


@bp.post("/campaigns/<int:campaign_id>/feed")
@roles_required(*STAFF)
def create_feed(campaign_id: int):
    """Make (or replace) the campaign's calendar-feed address; shown once."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, current_user.id)
    _token, secret = notice_ops.create_feed_token(
        db.session, user, kind=FeedKind.CAMPAIGN, campaign=campaign, now=clock.now()
    )
    db.session.commit()
    response = make_response(render_detail(campaign, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/campaigns/<int:campaign_id>/feed/<int:token_id>/revoke")
@roles_required(*STAFF)
def revoke_feed(campaign_id: int, token_id: int):
    """Revoke the campaign's calendar-feed address."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    token = db.session.get(CalendarToken, token_id)
    if token is None or token.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notice_ops.revoke_feed_token(db.session, token, now=clock.now())
    db.session.commit()
    flash(
        _("The calendar address was revoked; calendars subscribed to it stop updating."), "success"
    )
    return redirect(url_for(".detail", campaign_id=campaign.id, _anchor="feed"), 303)
