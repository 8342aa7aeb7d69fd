"""Campaign editing (issue 12): ISO weeks beside dates, a due date that needs a second look,
descriptions per language, learners by default, "remind all overdue" once a day, and a
personal calendar feed without finished modules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.campaigns import audience_operations as audience_ops
from app.campaigns import operations as ops
from app.campaigns.audience import audience_select
from app.campaigns.models import Campaign, Notice, SentReminder
from app.campaigns.queries.notices_feeds import personal_feed_items
from app.campaigns.schedule_rules import (
    due_date_warning,
    iso_week_text,
    parse_iso_week,
    week_span,
)
from app.campaigns.scheduler.reminders import overdue_now_step, remind_all_overdue
from app.content.models import Module
from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.models import Role
from app.timekeeping import clock
from tests.campaigns.builders import at, complete, make_campaign, make_module, rows, tick
from tests.campaigns.test_views import FORM, page, token
from tests.conftest import login_as
from tests.factories import make_user

# -- ISO weeks and due-date checks, pure ----------------------------------------------------------


def test_iso_weeks_are_read_as_input_type_week_writes_them():
    assert parse_iso_week("2027-W46") == (date(2027, 11, 15), date(2027, 11, 21))
    assert parse_iso_week(" 2027w46 ") == (date(2027, 11, 15), date(2027, 11, 21))
    assert parse_iso_week("2026-W53")[0] == date(2026, 12, 28)  # 2026 has 53 weeks
    for bad in ("2027-W53", "2027-W0", "2027-46", "week 46", ""):
        with pytest.raises(ValueError):
            parse_iso_week(bad)
    assert iso_week_text(date(2027, 11, 15)) == "2027-W46"
    assert iso_week_text(date(2027, 1, 1)) == "2026-W53"


def test_week_spans():
    span = week_span(date(2027, 11, 15), date(2027, 11, 28))
    assert (span.first_week, span.last_week, span.first_year) == (46, 47, 2027)
    assert span.is_one_year and not span.is_one_week
    assert week_span(date(2027, 11, 15), date(2027, 11, 21)).is_one_week
    across = week_span(date(2027, 12, 27), date(2028, 1, 9))
    assert (across.first_year, across.first_week, across.last_year, across.last_week) == (
        2027,
        52,
        2028,
        1,
    )


def test_due_date_warnings():
    now = at("2027-03-01T09:00")
    assert due_date_warning(at("2027-02-28T22:59"), [21, 7], now=now) == "past"
    assert due_date_warning(at("2027-03-10T22:59"), [21, 7], now=now) == "lead_time"
    assert due_date_warning(at("2027-03-30T22:59"), [21, 7], now=now) is None
    assert due_date_warning(at("2027-03-10T22:59"), [], now=now) is None


# -- the form ----------------------------------------------------------------------------------


@pytest.fixture
def mia(app, org):
    return make_user(org.region_a, Role.MANAGER, email="mia@example.org")


def _form(**changes) -> dict:
    return {**FORM, **changes}


def test_weeks_46_47_fill_the_dates_and_show_in_the_header(app, client, org, mia):
    login_as(client, mia)
    form = _form(
        owner=f"unit:{org.region_a.id}",
        assign_on="2027-10-01",
        due_on="2027-11-14",
        starts_on="2027-01-01",  # the weeks win over these dates
        ends_on="2027-01-02",
        starts_week="2027-W46",
        ends_week="2027-W47",
        csrf_token=token(client, "/campaigns/new"),
    )
    response = client.post("/campaigns/new", data=form)
    assert response.status_code == 303, page(response)
    campaign = db.session.scalar(select(Campaign))
    assert campaign.starts_at == at("2027-11-14T23:00")  # Monday 15 November, Zurich
    assert campaign.ends_at == at("2027-11-28T22:59:59")  # end of Sunday 28 November
    detail = page(client.get(response.headers["Location"]))
    assert "Weeks 46-47 2027" in detail and "(weeks 46-47 2027)" in detail
    assert "weeks 46-47 2027" in page(client.get("/campaigns"))
    assert "Now: weeks 46-47 2027." in page(client.get(f"/campaigns/{campaign.id}/edit"))


def test_a_week_that_does_not_exist_is_named(app, client, org, mia):
    login_as(client, mia)
    form = _form(
        owner=f"unit:{org.region_a.id}",
        starts_week="2027-W53",
        csrf_token=token(client, "/campaigns/new"),
    )
    response = client.post("/campaigns/new", data=form)
    assert response.status_code == 400
    assert "First week of the campaign: write a year and a week number" in page(response)
    assert db.session.scalar(select(Campaign)) is None


def _today_plus(days: int) -> str:
    return (clock.now().date() + timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    ("assign", "due", "says"),
    [
        (-60, -30, "The due date is in the past"),
        (0, 10, "The due date leaves less than the 21 days of notice"),
    ],
)
def test_a_doubtful_due_date_asks_for_confirmation(app, client, org, mia, assign, due, says):
    login_as(client, mia)
    form = _form(
        owner=f"unit:{org.region_a.id}",
        assign_on=_today_plus(assign),
        due_on=_today_plus(due),
        starts_on=_today_plus(due),
        ends_on=_today_plus(due + 30),
        csrf_token=token(client, "/campaigns/new"),
    )
    response = client.post("/campaigns/new", data=form)
    html = page(response)
    assert response.status_code == 200 and says in html and 'id="due-warning"' in html
    assert 'name="confirm_dates"' in html
    assert db.session.scalar(select(Campaign)) is None
    response = client.post("/campaigns/new", data={**form, "confirm_dates": "y"})
    assert response.status_code == 303
    assert db.session.scalar(select(Campaign)) is not None


def test_an_unchanged_due_date_is_not_asked_about_again(app, client, org, mia):
    campaign = make_campaign(owner_unit=org.region_a)  # due 1 March 2027
    app.config["CLOCK_OFFSET"] = at("2027-03-05T09:00") - clock.now()  # now it is past
    login_as(client, mia)
    path = f"/campaigns/{campaign.id}/edit"
    form = _form(owner=f"unit:{org.region_a.id}", theme_fr="Avril", csrf_token=token(client, path))
    response = client.post(path, data=form)
    assert response.status_code == 303, page(response)


def test_descriptions_per_language_fall_back_through_the_campaign_text_rule(app, client, org, mia):
    login_as(client, mia)
    form = _form(
        owner=f"unit:{org.region_a.id}",
        description_fr="Tout sur **mars**.",
        description_de="Alles über den **März**.",
        csrf_token=token(client, "/campaigns/new"),
    )
    location = client.post("/campaigns/new", data=form).headers["Location"]
    campaign = db.session.scalar(select(Campaign))
    assert set(campaign.descriptions) == {"fr", "de"}
    assert campaign.description_html_in("de") == "<p>Alles über den <strong>März</strong>.</p>"
    # The documented order (app.i18n.languages): the reader's language, then de, fr, it, en.
    assert "<strong>März</strong>" in campaign.description_html_in("it")
    assert "<strong>mars</strong>" in campaign.description_html_in("fr")
    mia.preferred_language = "fr"
    db.session.commit()
    assert "Tout sur" in page(client.get(location))
    mia.preferred_language = "en"
    db.session.commit()
    assert "Alles über den" in page(client.get(location))


def test_a_description_without_language_is_kept_and_shown(app, org):
    campaign = make_campaign(owner_unit=org.region_a, description="Seulement **ceci**.")
    assert campaign.descriptions == {ops.UNKNOWN_LANGUAGE: "Seulement **ceci**."}
    assert "<strong>ceci</strong>" in campaign.description_html_in("de")


# -- the audience ------------------------------------------------------------------------------


def _audience(campaign) -> set[int]:
    return {
        row.user_id
        for row in db.session.execute(audience_select(campaign.id, campaign.audience_roles))
    }


def test_widening_a_pilot_to_the_region_reaches_learners_not_region_staff(app, org):
    pilot = [make_user(org.branch_a1) for _ in range(2)]
    others = [make_user(org.branch_a2) for _ in range(3)]
    manager = make_user(org.region_a, Role.MANAGER)
    branch_manager = make_user(org.branch_a2, Role.MANAGER)
    trainer = make_user(org.region_a, Role.TRAINER, provider=org.provider)
    campaign = make_campaign(owner_unit=org.region_a, units=[org.branch_a1])
    assert campaign.audience_roles == [Role.LEARNER.value]
    assert _audience(campaign) == {u.id for u in pilot}
    audience_ops.add_audience_unit(
        db.session, campaign, org.region_a, include_subunits=True, now=at("2027-01-11T09:00")
    )
    db.session.commit()
    assert _audience(campaign) == {u.id for u in pilot + others}
    # Only when asked: everyone in the units, staff included.
    audience_ops.set_audience_roles(db.session, campaign, [], now=at("2027-01-11T09:00"))
    db.session.commit()
    staff = {manager.id, branch_manager.id, trainer.id}
    assert staff <= _audience(campaign)


# -- remind all overdue ------------------------------------------------------------------------


@pytest.fixture
def overdue(app, org):
    """An active campaign (due 1 March 2027) with two learners behind and one done."""
    modules = [make_module(org.provider) for _ in range(2)]
    alice = make_user(org.branch_a1, email="alice@example.org")
    bruno = make_user(org.branch_a1, email="bruno@example.org")
    clara = make_user(org.branch_a2, email="clara@example.org")
    campaign = make_campaign(
        owner_unit=org.region_a, modules=modules, units=[org.region_a], schedule=True
    )
    tick(at("2027-02-01T07:00"), deliver=False)
    for module in modules:
        complete(clara, module, at("2027-02-10T09:00"))
    return campaign, {"alice": alice, "bruno": bruno, "clara": clara}


def _mails(user) -> int:
    return len(rows(OutboxEmail, OutboxEmail.user_id == user.id))


def test_remind_all_overdue_sends_one_message_per_person_once_a_day(app, overdue):
    campaign, people = overdue
    before = {name: _mails(user) for name, user in people.items()}
    campaign = db.session.get(Campaign, campaign.id)
    assert remind_all_overdue(db.session, campaign, at("2027-03-03T09:00")) == 2
    db.session.commit()
    after = {name: _mails(user) - before[name] for name, user in people.items()}
    assert after == {"alice": 1, "bruno": 1, "clara": 0}  # one digest each, both modules in it
    mail = db.session.scalar(
        select(OutboxEmail)
        .where(OutboxEmail.user_id == people["alice"].id)
        .order_by(OutboxEmail.id.desc())
    )
    assert mail.body_text.count("(fr)") >= 2 or mail.body_text.count("Module") >= 2
    # Pressed again the same day (or in a second tab): nothing more.
    assert remind_all_overdue(db.session, campaign, at("2027-03-03T16:00")) == 0
    db.session.commit()
    assert _mails(people["alice"]) - before["alice"] == 1
    # The next day it may go out again.
    assert remind_all_overdue(db.session, campaign, at("2027-03-04T09:00")) == 2
    db.session.commit()
    keys = {r.step for r in rows(SentReminder, SentReminder.user_id == people["alice"].id)}
    assert {overdue_now_step(date(2027, 3, 3)), overdue_now_step(date(2027, 3, 4))} <= keys


def test_no_manual_reminder_on_a_day_the_tick_already_reminded(app, overdue):
    campaign, people = overdue
    report = tick(at("2027-03-02T07:00"), deliver=False)  # the first weekly overdue reminder
    assert report["reminders"] == 2
    campaign = db.session.get(Campaign, campaign.id)
    assert remind_all_overdue(db.session, campaign, at("2027-03-02T10:00")) == 0


def test_the_tick_holds_its_step_on_a_day_someone_reminded_by_hand(app, overdue):
    campaign, people = overdue
    campaign = db.session.get(Campaign, campaign.id)
    assert remind_all_overdue(db.session, campaign, at("2027-03-02T06:30")) == 2
    db.session.commit()
    assert tick(at("2027-03-02T07:00"), deliver=False)["reminders"] == 0
    assert tick(at("2027-03-03T07:00"), deliver=False)["reminders"] == 2  # a day later


def _modules_in_latest_notice(user, kind: str) -> list[str] | None:
    notices = rows(Notice, Notice.user_id == user.id, Notice.kind == kind)
    return max(notices, key=lambda n: n.id).params["modules"] if notices else None


def test_a_reminder_lists_only_what_its_reader_still_has_to_do(app, overdue):
    """The tick's reminder and the button's each name the reader's own outstanding modules,
    in the campaign's order, whoever else is reminded in the same run."""
    campaign, people = overdue
    first = min(db.session.get(Campaign, campaign.id).modules, key=lambda cm: cm.position)
    complete(people["alice"], db.session.get(Module, first.module_id), at("2027-02-20T09:00"))
    assert tick(at("2027-03-02T07:00"), deliver=False)["reminders"] == 2
    tick_lists = {name: _modules_in_latest_notice(u, "overdue") for name, u in people.items()}
    assert len(tick_lists["bruno"]) == 2
    assert tick_lists["alice"] == tick_lists["bruno"][1:]
    assert tick_lists["clara"] is None  # done: not reminded
    campaign = db.session.get(Campaign, campaign.id)
    assert remind_all_overdue(db.session, campaign, at("2027-03-03T09:00")) == 2
    db.session.commit()
    by_hand = {name: _modules_in_latest_notice(u, "overdue") for name, u in people.items()}
    assert by_hand == tick_lists


def test_the_button_needs_edit_rights_and_csrf(app, client, org, overdue):
    campaign, people = overdue
    path = f"/campaigns/{campaign.id}/remind-overdue"
    mia = make_user(org.region_a, Role.MANAGER)
    login_as(client, mia)
    assert client.post(path).status_code == 400  # no CSRF token
    app.config["CLOCK_OFFSET"] = at("2027-03-03T09:00") - clock.now()
    response = client.post(path, data={"csrf_token": token(client, f"/campaigns/{campaign.id}")})
    assert response.status_code == 303
    assert "2 overdue people were reminded." in page(client.get(f"/campaigns/{campaign.id}"))
    login_as(client, people["alice"])
    assert client.post(path, data={"csrf_token": "x"}).status_code in (400, 403, 404)


# -- the personal calendar feed ------------------------------------------------------------------


def test_the_personal_feed_lists_no_finished_module(app, org, overdue):
    campaign, people = overdue
    alice = people["alice"]
    now = at("2027-02-15T09:00")
    assert len(personal_feed_items(db.session, alice.id, now)) == 2
    module_id = personal_feed_items(db.session, alice.id, now)[0].module_id
    from app.content.models import Module

    complete(alice, db.session.get(Module, module_id), at("2027-02-14T09:00"))
    left = personal_feed_items(db.session, alice.id, now)
    assert [item.module_id for item in left] != [module_id] and len(left) == 1
    assert personal_feed_items(db.session, people["clara"].id, now) == []
