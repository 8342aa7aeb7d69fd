"""The bell and the notices page, the e-mail/in-app choice, unsubscribe links that work without
signing in (and refuse tampered tokens), and iCalendar feeds that parse, keep stable UIDs and
answer 404 to a wrong or revoked token."""

from __future__ import annotations

import re
from datetime import date

import pytest
from icalendar import Calendar
from sqlalchemy import select

from app.campaigns.links import unsubscribe_token
from app.campaigns.models import Channel, Notice, NotificationPreference
from app.extensions import db
from app.people.models import Role
from tests.campaigns.builders import at, make_campaign, make_module, tick
from tests.conftest import csrf_token_from, login_as
from tests.factories import make_user


def page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def assigned(app, org):
    """A learner with two assignments in an active campaign, and its notices."""
    learner = make_user(org.branch_a1, Role.LEARNER, language="fr", email="lea@example.org")
    m1 = make_module(org.provider, "tax-basics", titles={"fr": "Impôts"})
    m2 = make_module(org.provider, "tax-online", titles={"fr": "En ligne"})
    campaign = make_campaign(
        owner_unit=org.region_a, modules=[m1, m2], units=[org.branch_a1], schedule=True
    )
    tick(at("2027-02-01T07:00"))
    tick(at("2027-02-08T07:00"))
    return {"learner": learner, "campaign": campaign, "modules": (m1, m2)}


def test_the_bell_shows_the_unread_count_and_notices_can_be_read(app, client, assigned):
    login_as(client, assigned["learner"])
    home = page(client.get("/home"))
    bell = re.search(r'<a class="notice-bell[^"]*" href="/notices"\s+aria-label="([^"]+)"', home)
    assert bell and "2" in bell.group(1)
    html = page(client.get("/notices"))
    assert html.count('class="notice is-unread"') == 2
    csrf = csrf_token_from(html)
    first = db.session.scalar(select(Notice).order_by(Notice.id))
    response = client.post(f"/notices/{first.id}/open", data={"csrf_token": csrf})
    assert response.status_code == 303 and response.headers["Location"] == "/modules/tax-basics"
    assert page(client.get("/notices")).count('class="notice is-unread"') == 1
    client.post("/notices/read-all", data={"csrf_token": csrf})
    html = page(client.get("/home"))
    assert 'class="notice-bell"' in html and 'class="bell-count"' not in html


def test_other_peoples_notices_are_not_found(app, client, org, assigned):
    other = make_user(org.branch_a1, Role.LEARNER)
    login_as(client, other)
    csrf = csrf_token_from(page(client.get("/notices")))
    notice = db.session.scalar(select(Notice))
    assert client.post(f"/notices/{notice.id}/read", data={"csrf_token": csrf}).status_code == 404
    db.session.refresh(notice)
    assert notice.read_at is None


def test_choosing_in_app_only_stops_e_mails(app, client, org, smtp_server):
    learner = make_user(org.branch_a1, Role.LEARNER, email="quiet@example.org")
    login_as(client, learner)
    csrf = csrf_token_from(page(client.get("/notices/settings")))
    response = client.post("/notices/settings", data={"csrf_token": csrf, "channel": "in_app"})
    assert response.status_code == 303
    make_campaign(
        owner_unit=org.region_a,
        modules=[make_module(org.provider)],
        units=[org.branch_a1],
        schedule=True,
    )
    tick(at("2027-02-01T07:00"))
    assert smtp_server.messages == []
    assert db.session.scalar(select(Notice.kind).where(Notice.user_id == learner.id)) == "assigned"


def test_unsubscribe_works_without_signing_in(app, client, assigned, smtp_server):
    learner = assigned["learner"]
    link = next(m for m in smtp_server.messages if m["To"] == "lea@example.org")[
        "List-Unsubscribe"
    ].strip()
    path = link.strip("<>").removeprefix("https://ready.example.org")
    html = page(client.get(path))
    assert "l…@example.org" in html and "lea@example.org" not in html
    # GET never writes.
    assert db.session.scalar(select(NotificationPreference)) is None
    # The one-click POST of a mail client (RFC 8058): no session, no CSRF token.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    preference = db.session.scalar(
        select(NotificationPreference).where(NotificationPreference.user_id == learner.id)
    )
    assert preference.channel == Channel.IN_APP and preference.unsubscribed_at is not None
    before = len(smtp_server.messages)
    tick(at("2027-02-22T07:00"))
    assert len(smtp_server.messages) == before  # the 7-day reminder arrives in the app only


def test_tampered_or_foreign_tokens_are_refused(app, client, assigned):
    learner = assigned["learner"]
    with app.app_context():
        good = unsubscribe_token(learner.id)
    user_part, signature = good.split(".", 1)
    forged = f"{learner.id + 1}.{signature}"  # somebody else, with Léa's signature
    from itsdangerous import Signer

    other_salt = Signer(app.config["SECRET_KEY"], salt="password-reset").sign(user_part).decode()
    wrong_key = Signer("another-secret", salt="campaigns.unsubscribe").sign(user_part).decode()
    for bad in (forged, good[:-2] + "xx", other_salt, wrong_key, user_part, "x" * 300):
        assert client.get(f"/unsubscribe/{bad}").status_code == 404
        assert client.post(f"/unsubscribe/{bad}").status_code == 404
    assert db.session.scalar(select(NotificationPreference)) is None


def _feed_url(client, path: str, action: str) -> str:
    csrf = csrf_token_from(page(client.get(path)))
    html = page(client.post(action, data={"csrf_token": csrf}))
    match = re.search(r'<code class="break">([^<]+)</code>', html)
    assert match, "the feed address is shown once"
    return match.group(1).replace("http://localhost", "")


def test_the_personal_feed_is_valid_and_its_uids_are_stable(app, client, assigned):
    login_as(client, assigned["learner"])
    url = _feed_url(client, "/notices/settings", "/notices/settings/feed")
    anonymous = app.test_client()
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    calendar = Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    campaign = assigned["campaign"]
    m1, m2 = assigned["modules"]
    learner = assigned["learner"]
    uids = {str(e["UID"]) for e in events}
    assert uids == {
        f"campaign-{campaign.id}-module-{m.id}-user-{learner.id}@counter-ready" for m in (m1, m2)
    }
    for event in events:
        assert event.decoded("DTSTART") == date(2027, 3, 1)  # a DATE: an all-day due date
        assert "DTSTAMP" in event and "SUMMARY" in event
        assert str(event["URL"]).startswith("http://localhost/modules/tax-")
    # A new address replaces the old one (which now answers 404); the UIDs stay the same.
    second = _feed_url(client, "/notices/settings", "/notices/settings/feed")
    assert anonymous.get(url).status_code == 404
    again = Calendar.from_ical(anonymous.get(second).get_data())
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == uids


def test_wrong_and_revoked_feed_tokens_answer_404(app, client, assigned):
    from app.campaigns.models import CalendarToken

    login_as(client, assigned["learner"])
    url = _feed_url(client, "/notices/settings", "/notices/settings/feed")
    anonymous = app.test_client()
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404
    assert anonymous.get(url.replace(".ics", "x.ics")).status_code == 404
    token = db.session.scalar(select(CalendarToken))
    csrf = csrf_token_from(page(client.get("/notices/settings")))
    client.post(f"/notices/settings/feed/{token.id}/revoke", data={"csrf_token": csrf})
    assert anonymous.get(url).status_code == 404
    # A personal token does not open a campaign feed.
    assert anonymous.get(url.replace("/calendar/", "/calendar/campaign/")).status_code == 404


def test_the_campaign_feed(app, client, org, assigned):
    manager = make_user(org.region_a, Role.MANAGER)
    campaign = assigned["campaign"]
    login_as(client, manager)
    url = _feed_url(client, f"/campaigns/{campaign.id}", f"/campaigns/{campaign.id}/feed")
    calendar = Calendar.from_ical(app.test_client().get(url).get_data())
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"campaign-{campaign.id}-{what}@counter-ready" for what in ("assign", "due", "period")
    }
    period = events[f"campaign-{campaign.id}-period@counter-ready"]
    assert period.decoded("DTSTART") == date(2027, 3, 1)
    assert period.decoded("DTEND") == date(2027, 4, 1)  # exclusive: through 31 March
    assert events[f"campaign-{campaign.id}-assign@counter-ready"].decoded("DTSTART") == date(
        2027, 2, 1
    )
