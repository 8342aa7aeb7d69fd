"""The campaigns blueprint and what its staff pages share: loading a campaign within the
viewer's reach, state labels, owners, audience roles and campaign weeks."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from app.campaigns.access import VIEW_CAMPAIGN
from app.campaigns.forms import AudienceRolesForm
from app.campaigns.models import Campaign
from app.campaigns.queries.campaign_lists import load_campaign, provider_choices, unit_choices
from app.campaigns.schedule_rules import WeekSpan, week_span
from app.extensions import db
from app.people.models import Role
from app.permissions import ensure
from app.timekeeping.clock import platform_zone
from app.timekeeping.days import local_date

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


def campaign_or_404(campaign_id: int, action: str = VIEW_CAMPAIGN) -> Campaign:
    """The campaign if the viewer may see it and do `action` on it (else 404 / 403)."""
    campaign = load_campaign(db.session, current_user, campaign_id)
    ensure(action, campaign)
    return campaign  # type: ignore[return-value]


def owner_choices() -> list[SelectChoice]:
    """Owners the viewer may choose: units they manage, providers they train for."""
    choices = [
        SelectChoice(f"unit:{u.id}", ("\u2003" * u.depth) + u.name)
        for u in unit_choices(db.session, current_user)
    ]
    choices += [
        SelectChoice(f"provider:{pid}", _("%(name)s (content provider)", name=name))
        for pid, name in provider_choices(db.session, current_user)
    ]
    return choices


def campaign_weeks(starts_at: datetime, ends_at: datetime) -> WeekSpan:
    """The ISO weeks of a campaign period, on the platform's calendar (for the pages)."""
    tz = platform_zone()
    return week_span(local_date(starts_at, tz), local_date(ends_at, tz))


def owner_name(campaign: Campaign) -> str:
    """The name of the campaign's owner (a unit or a content provider)."""
    if campaign.owner_unit is not None:
        return campaign.owner_unit.name
    if campaign.owner_provider is not None:
        return campaign.owner_provider.name
    return ""


def role_labels(roles: list[str]) -> str:
    """The audience roles in words, for the pages."""
    labels = {choice.value: choice.label for choice in AudienceRolesForm.roles.kwargs["choices"]}
    return ", ".join(str(labels.get(role, role)) for role in roles)
