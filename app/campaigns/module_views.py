"""Adding modules to a campaign and removing them (with who loses an assignment)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.campaigns import module_operations as module_ops
from app.campaigns import operations as ops
from app.campaigns.access import EDIT_CAMPAIGN
from app.campaigns.blueprint import STAFF, bp, campaign_or_404
from app.campaigns.campaign_page_views import add_module_form, render_detail
from app.campaigns.forms import ConfirmForm
from app.campaigns.models import Campaign, CampaignModule, CampaignState
from app.campaigns.queries.campaign_page import removal_impact
from app.campaigns.queries.modules import module_infos
from app.content.models import Module
from app.extensions import db
from app.i18n.request_language import select_language
from app.permissions import roles_required
from app.timekeeping import clock


@bp.post("/campaigns/<int:campaign_id>/modules")
@roles_required(*STAFF)
def add_module(campaign_id: int):
    """Add a module to the campaign."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    form = add_module_form()
    if not form.validate_on_submit():
        return render_detail(campaign, module_form=form, status=400)
    module = db.session.get(Module, form.module.data)
    refresher_id = form.refresher.data
    if refresher_id == -1:
        refresher_id = module_ops.declared_refresher_id(db.session, module.id) if module else None
    refresher = db.session.get(Module, refresher_id) if refresher_id else None
    if module is None:
        abort(404)
    try:
        module_ops.add_module(
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
        return render_detail(campaign, module_form=form, status=400)
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
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    cm = _campaign_module(campaign, cm_id)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "campaigns/confirm_remove_module.html",
            campaign=campaign,
            name=campaign.name_in(select_language()),
            module=module_infos(db.session, [cm.module_id]).get(cm.module_id),
            cm=cm,
            impact=removal_impact(db.session, current_user, campaign, cm),
            form=form,
            language=select_language(),
        )
    if not form.validate_on_submit():
        abort(400)
    needs_confirmation = campaign.state == CampaignState.ACTIVE and cm.is_required
    if needs_confirmation and request.form.get("confirmed") != "yes":
        return redirect(url_for(".remove_module", campaign_id=campaign.id, cm_id=cm.id), 303)
    try:
        ended = module_ops.remove_module(db.session, campaign, cm, now=clock.now())
    except ops.CampaignError as exc:
        db.session.rollback()
        return render_detail(campaign, problems=exc.problems, status=400)
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
