"""A campaign's audience: units, roles and people by hand, with a preview of who is in it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.campaigns import audience_operations as audience_ops
from app.campaigns import operations as ops
from app.campaigns.access import EDIT_CAMPAIGN, may_edit_campaign, may_target_unit
from app.campaigns.blueprint import STAFF, STATE_LABELS, bp, campaign_or_404, role_labels
from app.campaigns.forms import AudiencePersonForm, AudienceRolesForm, AudienceUnitForm, ConfirmForm
from app.campaigns.models import (
    Campaign,
    CampaignAudiencePerson,
    CampaignAudienceUnit,
    CampaignState,
)
from app.campaigns.queries.campaign_lists import unit_choices
from app.campaigns.queries.campaign_page import audience_person_visible, audience_preview
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Unit
from app.people.operations import find_user_by_email
from app.permissions import roles_required
from app.timekeeping import clock


def _audience_forms(
    *, bound: bool = True
) -> tuple[AudienceUnitForm, AudienceRolesForm, AudiencePersonForm]:
    """The audience forms; unbound when shown after another form's POST."""
    data = {} if bound else {"formdata": None}
    unit_form = AudienceUnitForm(prefix="unit", **data)
    unit_form.unit.choices = [SelectChoice(0, _("Choose a unit"))] + [
        SelectChoice(u.id, ("\u2003" * u.depth) + u.name)
        for u in unit_choices(db.session, current_user)
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
            preview=audience_preview(db.session, current_user, campaign),
            entries=sorted(campaign.audience_units, key=lambda a: a.unit.path),
            # Only people inside the viewer's scope are named (scope by rank, issue 11).
            people=sorted(
                (
                    p
                    for p in campaign.audience_people
                    if audience_person_visible(current_user, campaign, p.user)
                ),
                key=lambda p: (p.is_excluded, p.user.last_name),
            ),
            unit_form=unit_form,
            roles_form=roles_form,
            person_form=person_form,
            confirm_form=ConfirmForm(),
            editable=editable,
            can_pick_units=len(unit_form.unit.choices) > 1,
            role_labels=role_labels(campaign.audience_roles),
            states=STATE_LABELS,
        ),
        status,
    )


@bp.get("/campaigns/<int:campaign_id>/audience")
@roles_required(*STAFF)
def audience(campaign_id: int):
    """The audience editor and a preview of who is in it (counts per unit)."""
    return _render_audience(campaign_or_404(campaign_id))


@bp.post("/campaigns/<int:campaign_id>/audience/units")
@roles_required(*STAFF)
def add_audience_unit(campaign_id: int):
    """Put a unit in the audience (only a unit in the editor's scope)."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
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
        lambda: audience_ops.add_audience_unit(
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
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    entry = db.session.get(CampaignAudienceUnit, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _audience_change(
        campaign,
        None,
        lambda: audience_ops.remove_audience_unit(db.session, campaign, entry, now=clock.now()),
        _("%(unit)s is no longer in the audience.", unit=entry.unit.name),
    )


@bp.post("/campaigns/<int:campaign_id>/audience/roles")
@roles_required(*STAFF)
def set_audience_roles(campaign_id: int):
    """Narrow the unit audience to some roles."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    forms = _audience_forms()
    form = forms[1]
    if not form.validate_on_submit():
        return _render_audience(campaign, forms, 400)
    return _audience_change(
        campaign,
        forms,
        lambda: audience_ops.set_audience_roles(
            db.session, campaign, list(form.roles.data or []), now=clock.now()
        ),
        _("The roles were saved."),
    )


@bp.post("/campaigns/<int:campaign_id>/audience/people")
@roles_required(*STAFF)
def add_audience_person(campaign_id: int):
    """Add or exclude a person by hand (only a person in the editor's scope)."""
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
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
        lambda: audience_ops.set_audience_person(
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
    campaign = campaign_or_404(campaign_id, EDIT_CAMPAIGN)
    entry = db.session.get(CampaignAudiencePerson, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return _audience_change(
        campaign,
        None,
        lambda: audience_ops.remove_audience_person(db.session, campaign, entry, now=clock.now()),
        _("The choice about %(name)s was removed.", name=entry.user.display_name),
    )
