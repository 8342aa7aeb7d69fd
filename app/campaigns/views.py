"""Campaign lists for managers, trainers and admins (the index and the calendar), and the
feature's `register(app)`.

Every view: load (scoped, so an object outside the viewer's reach is a 404) → check the action
→ one operation → commit once → redirect (or render). GET never writes. The other pages are in
`editing_views`, `campaign_page_views`, `module_views`, `audience_views` and `notice_views`."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from flask import Flask, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.campaigns import (
    audience_views,  # noqa: F401 - adds the audience editor to bp
    campaign_page_views,  # noqa: F401 - adds a campaign's page and its actions to bp
    editing_views,  # noqa: F401 - adds creating and editing a campaign to bp
    module_views,  # noqa: F401 - adds adding and removing modules to bp
    notice_views,  # noqa: F401 - adds my campaigns, notices, settings and feeds to bp
)
from app.campaigns.access import EDIT_CAMPAIGN, VIEW_CAMPAIGN, may_edit_campaign, may_view_campaign
from app.campaigns.api_views import api_bp
from app.campaigns.blueprint import STAFF, STATE_LABELS, bp, campaign_weeks, owner_choices
from app.campaigns.cli import campaigns_cli
from app.campaigns.queries.campaign_lists import calendar_events, campaign_rows
from app.campaigns.queries.learners import (
    CAMPAIGN_ASSIGNMENTS,
    my_campaign_summaries,
    xapi_registration,
)
from app.campaigns.queries.notices_feeds import unread_notice_count
from app.campaigns.scheduler.task import campaign_tick_task
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Role
from app.permissions import register_rule, roles_required
from app.platform.hooks import (
    ASSIGNMENT_SOURCES,
    HOME_PANELS,
    NAV_ENTRIES,
    OUTBOX_HEADERS,
    TICK_TASKS,
    XAPI_REGISTRATIONS,
)
from app.platform.reads import Deferred
from app.timekeeping import clock
from app.timekeeping.clock import platform_zone
from app.timekeeping.days import day_start, local_date


@bp.get("/campaigns")
@roles_required(*STAFF)
def index():
    """List the campaigns the viewer may see, by state."""
    state = request.args.get("state") or None
    rows = campaign_rows(db.session, current_user, select_language(), state=state)
    return render_template(
        "campaigns/index.html",
        rows=rows,
        state=state,
        states=STATE_LABELS,
        can_create=owner_choices() != [],
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
    tz = platform_zone()
    first = _month_start(request.args.get("from"), clock.today())
    months = [_add_months(first, i) for i in range(6)]
    events = calendar_events(
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


def _bell_context_processor() -> Callable[[], dict[str, Any]]:
    """The bell's context processor for one app: the notices page's address is built once per
    script root (it differs only behind a proxy that sets a prefix), not on every page."""
    addresses: dict[str, str] = {}

    def bell_context() -> dict[str, Any]:
        """The unread count for the bell in the header (one indexed count per signed-in page)."""
        if not getattr(current_user, "is_authenticated", False):
            return {}
        url = addresses.get(request.script_root)
        if url is None:
            url = addresses[request.script_root] = url_for("campaigns.notices")
        unread = unread_notice_count(db.session, current_user.id)
        return {"campaign_bell": {"unread": unread, "url": url}}

    return bell_context


def _list_unsubscribe(email: Any) -> dict[str, str]:
    """List-Unsubscribe headers for campaign e-mails (RFC 2369 and one-click RFC 8058)."""
    key = email.dedupe_key or ""
    if not key.startswith("campaigns:") or not email.user_id:
        return {}
    from app.campaigns.links import LinkBuilder

    url = LinkBuilder().unsubscribe_url(email.user_id)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _home_panel(user: Any, now: datetime) -> Deferred | None:
    """Home panel for learners: the campaigns they take part in, with their due dates."""
    if Role.LEARNER not in user.role_set:
        return None
    return my_campaign_summaries(user.id, select_language(), now).then(_campaigns_panel)


def _campaigns_panel(campaigns: list[Any]) -> dict[str, Any] | None:
    return {"template": "campaigns/_home_panel.html", "campaigns": campaigns} if campaigns else None


def register(app: Flask) -> None:
    """Plug campaigns in: pages, notices, feeds, API, rules, navigation, CLI, hooks, tick."""
    app.config.setdefault("CAMPAIGNS_BASE_URL", os.environ.get("PUBLIC_BASE_URL") or None)
    app.config.setdefault("CAMPAIGNS_ICAL_DOMAIN", None)
    app.jinja_env.globals["campaign_weeks"] = campaign_weeks
    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_rule(VIEW_CAMPAIGN, may_view_campaign)
    register_rule(EDIT_CAMPAIGN, may_edit_campaign)
    app.cli.add_command(campaigns_cli)
    app.context_processor(_bell_context_processor())
    OUTBOX_HEADERS.connect(app, _list_unsubscribe)
    HOME_PANELS.connect(app, _home_panel)
    # "My learning" (tracking) lists what campaigns assign, through this source.
    ASSIGNMENT_SOURCES.connect(app, CAMPAIGN_ASSIGNMENTS)
    # Statements about an assigned module carry the campaign as their xAPI registration.
    XAPI_REGISTRATIONS.connect(app, xapi_registration)
    # States, assignments, reminders, digests and expiry notices: campaigns' part of the tick.
    TICK_TASKS.connect(app, campaign_tick_task)
    NAV_ENTRIES.connect(
        app, ("campaigns.index", _l("Campaigns"), {Role.MANAGER, Role.TRAINER, Role.ADMIN})
    )
