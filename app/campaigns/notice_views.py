"""Pages every person uses: my campaigns, notices (the bell), notification settings with the
personal calendar feed, and the public unsubscribe link and calendar feeds (token in the URL).

Imported by `app.campaigns.views.register` so that its routes join the `campaigns` blueprint.
"""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.campaigns import notice_operations as notice_ops
from app.campaigns import phrases
from app.campaigns.blueprint import bp
from app.campaigns.calendar import DayEvent, build_calendar, campaign_uid, due_uid
from app.campaigns.forms import ConfirmForm, PreferencesForm
from app.campaigns.links import base_url, feed_secret_hash, user_from_unsubscribe_token
from app.campaigns.models import (
    CalendarToken,
    Campaign,
    Channel,
    FeedKind,
)
from app.campaigns.queries.learners import my_campaigns
from app.campaigns.queries.notices_feeds import (
    active_feed_tokens,
    notice_of,
    notices_page,
    notification_channel,
    personal_feed_items,
    token_by_hash,
    unread_notice_count,
)
from app.extensions import csrf, db
from app.i18n.request_language import select_language
from app.people.models import User
from app.permissions import public, signed_in
from app.timekeeping import clock
from app.timekeeping.clock import platform_zone
from app.timekeeping.days import local_date

NOTICES_PER_PAGE = 30
FEED_CACHE = "private, max-age=300"


# --- my campaigns ------------------------------------------------------------------------------


@bp.get("/my-campaigns")
@signed_in
def mine():
    """The campaigns I take part in: what they are about, my modules, by when."""
    return render_template(
        "campaigns/mine.html",
        campaigns=my_campaigns(db.session, current_user, select_language(), clock.now()),
        now=clock.now(),
    )


# --- notices -----------------------------------------------------------------------------------


@bp.get("/notices")
@signed_in
def notices():
    """My notices, newest first, with their text in my language."""
    try:
        page = max(1, min(int(request.args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    rows, total = notices_page(db.session, current_user.id, page=page, per_page=NOTICES_PER_PAGE)
    items = [
        {
            "id": n.id,
            "text": phrases.summary(n.kind, n.params or {}),
            "created_at": n.created_at,
            "is_unread": n.read_at is None,
            "has_link": bool(n.url),
        }
        for n in rows
    ]
    return render_template(
        "campaigns/notices.html",
        items=items,
        page=page,
        pages=max(1, -(-total // NOTICES_PER_PAGE)),
        form=ConfirmForm(),
        unread=unread_notice_count(db.session, current_user.id),
    )


def _own_notice(notice_id: int):
    notice = notice_of(db.session, current_user.id, notice_id)
    if notice is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return notice


def _safe_target(url: str | None) -> str:
    """Only our own addresses: a notice never sends anyone elsewhere."""
    base = base_url() + "/"
    if url and url.startswith(base):
        return "/" + url[len(base) :]
    return url_for(".notices")


@bp.post("/notices/<int:notice_id>/read")
@signed_in
def notice_read(notice_id: int):
    """Mark a notice as read."""
    notice = _own_notice(notice_id)
    notice_ops.mark_notice_read(db.session, notice, now=clock.now())
    db.session.commit()
    return redirect(url_for(".notices"), 303)


@bp.post("/notices/<int:notice_id>/open")
@signed_in
def notice_open(notice_id: int):
    """Mark a notice as read and go where it points."""
    notice = _own_notice(notice_id)
    notice_ops.mark_notice_read(db.session, notice, now=clock.now())
    db.session.commit()
    return redirect(_safe_target(notice.url), 303)


@bp.post("/notices/read-all")
@signed_in
def notices_read_all():
    """Mark all my notices as read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notice_ops.mark_all_notices_read(db.session, current_user.id, now=clock.now())
    db.session.commit()
    flash(_("All notices are marked as read."), "success")
    return redirect(url_for(".notices"), 303)


# --- settings and the personal feed -------------------------------------------------------------


def _current_channel() -> str:
    return notification_channel(db.session, current_user.id).value


def _render_settings(form: PreferencesForm, *, secret: str | None = None, status: int = 200):
    response = make_response(
        render_template(
            "campaigns/settings.html",
            form=form,
            confirm_form=ConfirmForm(),
            feeds=active_feed_tokens(db.session, user_id=current_user.id),
            feed_url=url_for(".ical_personal", token=secret, _external=True) if secret else None,
        ),
        status,
    )
    if secret:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/notices/settings", methods=["GET", "POST"])
@signed_in
def settings():
    """Choose e-mail and in-app notices, or in-app only; manage my calendar feed."""
    form = PreferencesForm()
    if request.method == "GET":
        form.channel.data = _current_channel()
        return _render_settings(form)
    if not form.validate_on_submit():
        return _render_settings(form, status=400)
    notice_ops.set_channel(db.session, current_user.id, Channel(form.channel.data), now=clock.now())
    db.session.commit()
    flash(_("Your choice was saved."), "success")
    return redirect(url_for(".settings"), 303)


@bp.post("/notices/settings/feed")
@signed_in
def create_personal_feed():
    """Make (or replace) my calendar-feed address; it is shown once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, current_user.id)
    _token, secret = notice_ops.create_feed_token(
        db.session, user, kind=FeedKind.PERSONAL, now=clock.now()
    )
    db.session.commit()
    form = PreferencesForm(formdata=None, channel=_current_channel())
    return _render_settings(form, secret=secret)


@bp.post("/notices/settings/feed/<int:token_id>/revoke")
@signed_in
def revoke_personal_feed(token_id: int):
    """Revoke my calendar-feed address."""
    token = db.session.get(CalendarToken, token_id)
    if token is None or token.kind != FeedKind.PERSONAL or token.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notice_ops.revoke_feed_token(db.session, token, now=clock.now())
    db.session.commit()
    flash(_("The calendar address was revoked."), "success")
    return redirect(url_for(".settings"), 303)


# --- unsubscribe (public: the signed token is the key) ---------------------------------------


def _masked(email: str) -> str:
    local, _sep, domain = email.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@public
def unsubscribe(token: str):
    """Stop e-mails without signing in: GET asks, POST (also mail clients' one-click) acts."""
    user_id = user_from_unsubscribe_token(token)
    user = db.session.get(User, user_id) if user_id else None
    if user is None:
        abort(404)
    if request.method == "GET":
        return render_template(
            "campaigns/unsubscribe.html", token=token, email=_masked(user.email), done=False
        )
    notice_ops.set_channel(db.session, user.id, Channel.IN_APP, now=clock.now(), via_link=True)
    db.session.commit()
    return render_template(
        "campaigns/unsubscribe.html", token=token, email=_masked(user.email), done=True
    )


# The token in the URL authenticates the request (mail clients post without a CSRF token,
# RFC 8058); a forged request would need the victim's secret token, so CSRF cannot apply.
csrf.exempt(unsubscribe)


# --- calendar feeds (public: the unguessable token is the key) -----------------------------


def _feed_token(token: str, kind: FeedKind) -> CalendarToken:
    if not token or len(token) > 100:
        abort(404)
    found = token_by_hash(db.session, feed_secret_hash(token), kind)
    if found is None:
        abort(404)
    return found


def _uid_domain() -> str:
    config = current_app.config
    return config.get("CAMPAIGNS_ICAL_DOMAIN") or config.get("SERVER_NAME") or "counter-ready"


def _ics(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = FEED_CACHE
    return response


@bp.get("/calendar/<token>.ics")
@public
def ical_personal(token: str):
    """My due dates as an iCalendar feed (an all-day event per module and campaign)."""
    feed = _feed_token(token, FeedKind.PERSONAL)
    user = db.session.get(User, feed.user_id)
    if user is None or not user.is_active:
        abort(404)
    language = user.preferred_language or current_app.config["BABEL_DEFAULT_LOCALE"]
    tz, domain = platform_zone(), _uid_domain()
    items = personal_feed_items(db.session, user.id, clock.now())
    with force_locale(f"{language}_CH"):
        events = [
            DayEvent(
                uid=due_uid(i.campaign_id, i.module_id, i.user_id, domain),
                day=local_date(i.due_at, tz),
                summary=_("Due: %(module)s (%(campaign)s)", module=i.module, campaign=i.campaign),
                url=url_for("content.module_page", slug=i.slug, _external=True) if i.slug else None,
            )
            for i in items
        ]
        name = _("My due dates")
    return _ics(build_calendar(name, events, stamp=clock.now(), tz=tz), "my-due-dates.ics")


@bp.get("/calendar/campaign/<token>.ics")
@public
def ical_campaign(token: str):
    """A campaign's key dates as an iCalendar feed: assignments, due date, public period."""
    feed = _feed_token(token, FeedKind.CAMPAIGN)
    campaign = db.session.get(Campaign, feed.campaign_id)
    if campaign is None:
        abort(404)
    tz, domain = platform_zone(), _uid_domain()
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    name = campaign.name_in(language)
    url = url_for(".detail", campaign_id=campaign.id, _external=True)
    with force_locale(f"{language}_CH"):
        events = [
            DayEvent(
                campaign_uid(campaign.id, "assign", domain),
                local_date(campaign.assign_at, tz),
                _("Assignments go out: %(campaign)s", campaign=name),
                url,
            ),
            DayEvent(
                campaign_uid(campaign.id, "due", domain),
                local_date(campaign.due_at, tz),
                _("Staff ready: %(campaign)s", campaign=name),
                url,
            ),
            DayEvent(
                campaign_uid(campaign.id, "period", domain),
                local_date(campaign.starts_at, tz),
                name,
                url,
                description=campaign.theme_in(language) or None,
                last_day=local_date(campaign.ends_at, tz),
            ),
        ]
    return _ics(
        build_calendar(name, events, stamp=clock.now(), tz=tz), f"campaign-{campaign.id}.ics"
    )
