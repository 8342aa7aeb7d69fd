"""A campaign walked from draft to closed with a controllable clock, against a real SMTP server:
assignments, reminders at 21/7/2 days, catch-up after downtime (one reminder), weekly while
overdue, a late joiner, a leaver, a digest for the manager, then next year with refreshers."""

from __future__ import annotations

from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.campaigns import audience_operations as audience_ops
from app.campaigns import module_operations as module_ops
from app.campaigns import notice_operations as notice_ops
from app.campaigns import operations as ops
from app.campaigns import yearly_copy
from app.campaigns.models import (
    Assignment,
    Campaign,
    CampaignState,
    Channel,
    Notice,
    RemovalReason,
    SentReminder,
)
from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.models import Role
from app.people.operations import deactivate_user
from tests.campaigns.builders import at, complete, make_campaign, make_module, rows, tick
from tests.factories import make_user


def subjects(smtp_server, address):
    return [m["Subject"] for m in smtp_server.messages if m["To"] == address]


def kinds(user) -> list[str]:
    """The kinds of notices a person got, in order (the same events as their e-mails)."""
    db.session.expire_all()
    return list(
        db.session.scalars(select(Notice.kind).where(Notice.user_id == user.id).order_by(Notice.id))
    )


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def html(message) -> str:
    return message.get_body(("html",)).get_content()


@pytest.fixture
def cast(app, org):
    """Modules (M1 with a declared refresher R1, M2, optional O) and people in region A."""
    m1 = make_module(
        org.provider, "tax-basics", titles={"fr": "Impôts: les bases", "de": "Steuern: Grundlagen"}
    )
    r1 = make_module(
        org.provider,
        "tax-refresher",
        titles={"fr": "Impôts: rappel", "de": "Steuern: Auffrischung"},
        refresher_of=m1,
    )
    m2 = make_module(
        org.provider, "tax-online", titles={"fr": "Déclarer en ligne", "de": "Online deklarieren"}
    )
    optional = make_module(org.provider, "tax-faq", titles={"fr": "FAQ impôts"})
    alice = make_user(org.branch_a1, Role.LEARNER, language="fr", email="alice@example.org")
    bruno = make_user(org.branch_a2, Role.LEARNER, language="de", email="bruno@example.org")
    chloe = make_user(org.branch_a2, Role.LEARNER, language="fr", email="chloe@example.org")
    outsider = make_user(org.branch_b1, Role.LEARNER, language="fr", email="outsider@example.org")
    mia = make_user(org.region_a, Role.MANAGER, language="fr", email="mia@example.org")
    return {
        "m1": m1,
        "r1": r1,
        "m2": m2,
        "optional": optional,
        "alice": alice,
        "bruno": bruno,
        "chloe": chloe,
        "outsider": outsider,
        "mia": mia,
    }


def test_draft_to_closed_and_next_year(app, org, cast, smtp_server):
    c = cast
    campaign = make_campaign(
        owner_unit=org.region_a,
        modules=[c["m1"], c["m2"]],
        optional=[c["optional"]],
        refreshers={c["m1"].id: c["r1"]},
        units=[org.region_a],
        actor=c["mia"],
    )
    audience_ops.set_audience_roles(db.session, campaign, ["learner"], now=at("2027-01-10T09:00"))
    notice_ops.set_channel(db.session, c["chloe"].id, Channel.IN_APP, now=at("2027-01-10T09:00"))
    db.session.commit()
    assert campaign.state == CampaignState.DRAFT
    description = campaign.description_html_in("fr")
    assert "<script>" not in description and "<strong>Tout</strong>" in description

    # A draft is never picked up by the scheduler.
    assert tick(at("2027-02-01T08:00"))["assigned"] == 0

    ops.schedule_campaign(db.session, campaign, actor=c["mia"], now=at("2027-01-10T09:00"))
    db.session.commit()

    # Before the assignment date: scheduled, nothing happens.
    report = tick(at("2027-01-31T22:00"))
    assert report["activated"] == 0 and report["assigned"] == 0

    # 1 February, 00:xx in Zurich: active, three learners × three modules assigned.
    report = tick(at("2027-01-31T23:05"))
    assert report["activated"] == 1 and report["assigned"] == 9
    db.session.refresh(campaign)
    assert campaign.state == CampaignState.ACTIVE
    assigned = rows(Assignment, Assignment.campaign_id == campaign.id)
    assert {a.user_id for a in assigned} == {c["alice"].id, c["bruno"].id, c["chloe"].id}
    required = [a for a in assigned if a.is_required]
    assert {a.due_at for a in required} == {campaign.due_at}
    assert all(a.due_at is None for a in assigned if not a.is_required)
    assert not any(a.is_refresher for a in assigned)  # nobody completed M1 before
    # Alice (fr) and Bruno (de) get an e-mail; Chloé chose in-app only: a notice, no e-mail.
    # Each in their own language: the campaign's name and the date as they write them.
    (alice_subject,) = subjects(smtp_server, "alice@example.org")
    assert "Déclaration d'impôt 2027" in alice_subject and "1 mars 2027" in alice_subject
    (bruno_subject,) = subjects(smtp_server, "bruno@example.org")
    assert "Steuererklärung 2027" in bruno_subject and "1. März 2027" in bruno_subject
    assert subjects(smtp_server, "chloe@example.org") == []
    assert kinds(c["alice"]) == kinds(c["bruno"]) == kinds(c["chloe"]) == ["assigned"]
    assert len(rows(Notice, Notice.user_id == c["chloe"].id)) == 1
    mail = next(m for m in smtp_server.messages if m["To"] == "alice@example.org")
    body = plain(mail)
    assert "Impôts: les bases" in body and "Déclarer en ligne" in body and "FAQ impôts" in body
    assert body.count("https://ready.example.org/modules/") == 1  # one link to the module
    assert "https://ready.example.org/modules/tax-basics" in body
    assert '<html lang="fr-CH">' in html(mail)
    unsubscribe = mail["List-Unsubscribe"].strip()  # unfolded
    assert unsubscribe.startswith("<https://ready.example.org/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe[1:-1] in body
    assert '<html lang="de-CH">' in html(
        next(m for m in smtp_server.messages if m["To"] == "bruno@example.org")
    )

    # Running again at the same moment does nothing and sends nothing (other features'
    # tick tasks, such as the readiness snapshot, still run: "tasks" counts them).
    before = len(smtp_server.messages)
    report = tick(at("2027-01-31T23:05"))
    assert {k: v for k, v in report.items() if v and k not in ("skipped", "tasks")} == {}
    assert len(smtp_server.messages) == before

    # 8 February: the 21-day reminder, and a digest for the region's manager.
    report = tick(at("2027-02-08T06:00"))
    assert report["reminders"] == 3 and report["digests"] == 1
    assert kinds(c["alice"]) == ["assigned", "reminder"]
    assert "1 mars 2027" in subjects(smtp_server, "alice@example.org")[-1]
    digest = next(m for m in smtp_server.messages if m["To"] == "mia@example.org")
    assert kinds(c["mia"]) == ["digest"]
    assert "Déclaration d'impôt 2027" in digest["Subject"] and " 3 " in digest["Subject"]
    assert "Branch A1" in plain(digest) and "https://ready.example.org/campaigns/" in plain(digest)
    assert tick(at("2027-02-09T06:00"))["reminders"] == 0

    # Alice completes both required modules: she is done and gets no more reminders.
    complete(c["alice"], c["m1"], at("2027-02-10T09:00"))
    complete(c["alice"], c["m2"], at("2027-02-10T09:30"))

    # Downtime from 9 to 28 February: one combined reminder (the 2-day one), not the 7-day too.
    report = tick(at("2027-02-28T07:00"))
    assert report["reminders"] == 2 and report["digests"] == 1
    steps = {
        (r.user_id, r.step) for r in rows(SentReminder, SentReminder.campaign_id == campaign.id)
    }
    assert (c["bruno"].id, "before:2:2027-03-01") in steps
    assert (c["bruno"].id, "before:7:2027-03-01") not in steps
    assert not any(u == c["alice"].id and s.startswith("before:2:") for u, s in steps)
    assert len(subjects(smtp_server, "alice@example.org")) == 2
    digest = [m for m in smtp_server.messages if m["To"] == "mia@example.org"][-1]
    assert " 2 " in digest["Subject"] and "Branch A1" not in plain(digest)  # Alice is done

    # A late joiner (new hire in Branch A2 on 5 March) gets the assignment, due 19 March;
    # Bruno, still not done, gets the first overdue reminder.
    dave = make_user(org.branch_a2, Role.LEARNER, language="fr", email="dave@example.org")
    report = tick(at("2027-03-05T07:00"))
    assert report["assigned"] == 3
    dave_required = rows(
        Assignment, Assignment.user_id == dave.id, Assignment.is_required.is_(True)
    )
    assert {a.due_at for a in dave_required} == {at("2027-03-19T22:59:59")}
    (dave_subject,) = subjects(smtp_server, "dave@example.org")
    assert "19 mars 2027" in dave_subject
    assert kinds(c["bruno"]) == ["assigned", "reminder", "reminder", "overdue"]
    assert "1. März 2027" in subjects(smtp_server, "bruno@example.org")[-1]

    # Bruno leaves (deactivated): his assignments end but stay as history; no more reminders.
    deactivate_user(
        db.session, db.session.get(type(c["bruno"]), c["bruno"].id), actor=None, ip=None
    )
    db.session.commit()
    report = tick(at("2027-03-09T07:00"))
    assert report["dropped"] == 3
    bruno_rows = rows(Assignment, Assignment.user_id == c["bruno"].id)
    assert len(bruno_rows) == 3
    assert {a.removal_reason for a in bruno_rows} == {RemovalReason.LEFT_AUDIENCE}
    assert kinds(c["bruno"]) == ["assigned", "reminder", "reminder", "overdue"]
    assert len(subjects(smtp_server, "bruno@example.org")) == 4
    # Dave joined after the 21-day step fired: nothing until his own 7-day step (12 March).
    assert len(subjects(smtp_server, "dave@example.org")) == 1
    tick(at("2027-03-12T07:00"))
    assert kinds(dave) == ["assigned", "reminder"]
    assert "19 mars 2027" in subjects(smtp_server, "dave@example.org")[-1]

    # Chloé, in the app only: one notice per message (overdue weeks 1 and 2), none twice.
    chloe_notices = rows(Notice, Notice.user_id == c["chloe"].id)
    assert Counter(n.kind for n in chloe_notices) == Counter(
        {"assigned": 1, "reminder": 2, "overdue": 2}
    )

    # The public end passes: the campaign closes; nobody is reminded any more.
    report = tick(at("2027-03-31T22:30"))
    assert report["closed"] == 1
    db.session.refresh(campaign)
    assert campaign.state == CampaignState.CLOSED
    sent = len(smtp_server.messages)
    tick(at("2027-04-20T07:00"))
    assert len(smtp_server.messages) == sent

    # Next year in one step: dates + 1 year, linked, same modules with their refresher.
    copy = yearly_copy.copy_to_next_year(
        db.session,
        campaign,
        actor=c["mia"],
        now=at("2027-04-02T09:00"),
        tz=ZoneInfo("Europe/Zurich"),
    )
    db.session.commit()
    assert copy.previous_id == campaign.id and copy.state == CampaignState.DRAFT
    assert copy.name["fr"] == "Déclaration d'impôt 2028"
    assert copy.due_at == at("2028-03-01T22:59:59") and copy.assign_at == at("2028-01-31T23:00")
    with pytest.raises(ops.CampaignError) as refused:
        yearly_copy.copy_to_next_year(
            db.session,
            campaign,
            actor=c["mia"],
            now=at("2027-04-02T09:00"),
            tz=ZoneInfo("Europe/Zurich"),
        )
    assert refused.value.problems[0].field == "copy"
    db.session.rollback()

    ops.schedule_campaign(db.session, copy, actor=c["mia"], now=at("2027-04-02T09:00"))
    db.session.commit()
    tick(at("2028-02-01T07:00"))
    next_year = rows(
        Assignment, Assignment.campaign_id == copy.id, Assignment.is_required.is_(True)
    )
    by_user = {(a.user_id, a.module_id): a for a in next_year}
    # Alice completed the full module last year: she gets the short refresher instead.
    assert (c["alice"].id, c["r1"].id) in by_user and by_user[
        (c["alice"].id, c["r1"].id)
    ].is_refresher
    assert (c["alice"].id, c["m1"].id) not in by_user
    # Dave and Chloé did not: the full module.
    assert (dave.id, c["m1"].id) in by_user and (c["chloe"].id, c["m1"].id) in by_user
    # Alice's module 2 still counts from last year (no expiry): no assignment notice for it.
    alice_mail = [m for m in smtp_server.messages if m["To"] == "alice@example.org"][-1]
    assert "Impôts: rappel" in plain(alice_mail) and "Déclarer en ligne" not in plain(alice_mail)

    # No e-mail was ever queued twice.
    keys = db.session.scalars(select(OutboxEmail.dedupe_key)).all()
    assert len(keys) == len(set(keys))
    assert len(smtp_server.messages) == len(keys)


def test_people_already_done_get_no_assignment_mail_and_no_reminders(app, org, smtp_server):
    module = make_module(org.provider)
    done = make_user(org.branch_a1, Role.LEARNER, email="done@example.org")
    complete(done, module, at("2027-01-05T10:00"))
    make_campaign(owner_unit=org.region_a, modules=[module], units=[org.branch_a1], schedule=True)
    tick(at("2027-02-01T07:00"))
    tick(at("2027-02-28T07:00"))
    tick(at("2027-03-20T07:00"))
    assert subjects(smtp_server, "done@example.org") == []
    assert rows(Assignment, Assignment.user_id == done.id)  # assigned (counts for readiness)


def test_an_expired_completion_does_not_count(app, org, smtp_server):
    module = make_module(org.provider, valid_days=365)
    person = make_user(org.branch_a1, Role.LEARNER, email="expired@example.org")
    complete(person, module, at("2025-12-01T10:00"), expires_at=at("2026-12-01T10:00"))
    make_campaign(owner_unit=org.region_a, modules=[module], units=[org.branch_a1], schedule=True)
    tick(at("2027-02-01T07:00"))
    assert len(subjects(smtp_server, "expired@example.org")) == 1


def test_expiry_notices_are_sent_once(app, org, smtp_server):
    module = make_module(org.provider, titles={"fr": "Procuration"}, valid_days=365)
    person = make_user(org.branch_a1, Role.LEARNER, language="fr", email="soon@example.org")
    complete(person, module, at("2026-03-20T10:00"), expires_at=at("2027-03-20T10:00"))
    assert tick(at("2027-02-10T07:00"))["expiry_notices"] == 0  # 38 days left
    assert tick(at("2027-02-20T07:00"))["expiry_notices"] == 1
    assert tick(at("2027-02-21T07:00"))["expiry_notices"] == 0
    (subject,) = subjects(smtp_server, "soon@example.org")
    assert "Procuration" in subject and "20 mars 2027" in subject
    assert kinds(person) == ["expiry"]


def test_a_widened_audience_gets_a_fair_due_date(app, org, smtp_server):
    module = make_module(org.provider)
    pilot = make_user(org.branch_a1, Role.LEARNER)
    later = make_user(org.branch_b1, Role.LEARNER)
    campaign = make_campaign(
        owner_unit=org.network, modules=[module], units=[org.branch_a1], schedule=True
    )
    tick(at("2027-02-01T07:00"))
    audience_ops.add_audience_unit(
        db.session, campaign, org.region_b, include_subunits=True, now=at("2027-02-25T09:00")
    )
    db.session.commit()
    tick(at("2027-02-25T10:00"))
    (pilot_row,) = rows(Assignment, Assignment.user_id == pilot.id)
    (later_row,) = rows(Assignment, Assignment.user_id == later.id)
    assert pilot_row.due_at == campaign.due_at
    assert later_row.due_at == at("2027-03-11T22:59:59")  # 25 Feb + 14 days, end of day


def test_a_person_who_moves_out_drops_out_and_back_in(app, org, smtp_server):
    module = make_module(org.provider)
    mover = make_user(org.branch_a1, Role.LEARNER)
    make_campaign(owner_unit=org.network, modules=[module], units=[org.branch_a1], schedule=True)
    tick(at("2027-02-01T07:00"))
    mover.unit_id = org.branch_b1.id
    db.session.commit()
    assert tick(at("2027-02-02T07:00"))["dropped"] == 1
    mover.unit_id = org.branch_a1.id
    db.session.commit()
    report = tick(at("2027-02-20T07:00"))
    assert report["rejoined"] == 1
    (row,) = rows(Assignment, Assignment.user_id == mover.id)
    assert row.removed_at is None and row.due_at == at("2027-03-06T22:59:59")


def test_people_added_and_excluded_by_hand(app, org, smtp_server):
    module = make_module(org.provider)
    inside = make_user(org.branch_a1, Role.LEARNER)
    excluded = make_user(org.branch_a1, Role.LEARNER)
    guest = make_user(org.branch_b1, Role.LEARNER)
    campaign = make_campaign(owner_unit=org.network, modules=[module], units=[org.branch_a1])
    audience_ops.set_audience_person(
        db.session, campaign, excluded, is_excluded=True, now=at("2027-01-10T09:00")
    )
    audience_ops.set_audience_person(
        db.session, campaign, guest, is_excluded=False, now=at("2027-01-10T09:00")
    )
    ops.schedule_campaign(db.session, campaign, actor=None, now=at("2027-01-10T09:00"))
    db.session.commit()
    tick(at("2027-02-01T07:00"))
    users = {a.user_id for a in rows(Assignment, Assignment.campaign_id == campaign.id)}
    assert users == {inside.id, guest.id}


def test_removing_a_required_module_from_an_active_campaign_keeps_history(app, org, smtp_server):
    m1, m2 = make_module(org.provider), make_module(org.provider)
    make_user(org.branch_a1, Role.LEARNER)
    campaign = make_campaign(
        owner_unit=org.network, modules=[m1, m2], units=[org.branch_a1], schedule=True
    )
    tick(at("2027-02-01T07:00"))
    cm = next(m for m in campaign.modules if m.module_id == m2.id)
    assert module_ops.remove_module(db.session, campaign, cm, now=at("2027-02-02T09:00")) == 1
    db.session.commit()
    (row,) = rows(Assignment, Assignment.module_id == m2.id)
    assert row.removal_reason == RemovalReason.MODULE_REMOVED
    assert tick(at("2027-02-03T07:00"))["assigned"] == 0


def test_header_injection_in_names_stays_in_one_header(app, org, smtp_server):
    module = make_module(org.provider)
    person = make_user(org.branch_a1, Role.LEARNER, email="victim@example.org")
    person.first_name = "Eve\r\nBcc: attacker@example.org"
    db.session.commit()
    make_campaign(
        owner_unit=org.network,
        modules=[module],
        units=[org.branch_a1],
        schedule=True,
        name={"en": "Tax\r\nBcc: attacker@example.org"},
    )
    tick(at("2027-02-01T07:00"))
    (message,) = smtp_server.messages
    assert message["Bcc"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["To"] == "victim@example.org"


def test_a_refusing_smtp_server_delays_mail_but_loses_none(app, org, smtp_server):
    module = make_module(org.provider)
    make_user(org.branch_a1, Role.LEARNER, email="patient@example.org")
    make_campaign(owner_unit=org.network, modules=[module], units=[org.branch_a1], schedule=True)
    smtp_server.refuse = True
    report = tick(at("2027-02-01T07:00"))
    assert report["emails"] == 1 and report["mail_failed"] == 1 and smtp_server.messages == []
    smtp_server.refuse = False
    report = tick(at("2027-02-01T07:30"))  # the back-off (1 minute) has passed
    assert report["emails"] == 0 and report["mail_sent"] == 1
    assert subjects(smtp_server, "patient@example.org") and len(smtp_server.messages) == 1


def test_scheduling_refuses_with_field_messages(app, org):
    campaign = make_campaign(owner_unit=org.network)
    with pytest.raises(ops.CampaignError) as refused:
        ops.schedule_campaign(db.session, campaign, actor=None, now=at("2027-01-10T09:00"))
    fields = {p.field for p in refused.value.problems}
    assert fields == {"modules", "audience"}
    db.session.rollback()
    with pytest.raises(ops.CampaignError) as refused:
        ops.create_campaign(
            db.session,
            __import__("tests.campaigns.builders", fromlist=["fields"]).fields(
                org.network, due_at=at("2027-01-01T00:00"), name={"fr": " "}
            ),
            actor=None,
            now=at("2027-01-10T09:00"),
        )
    assert {p.field for p in refused.value.problems} == {"due_on", "name"}
    db.session.rollback()
    assert db.session.scalar(select(Campaign.id).where(Campaign.id != campaign.id)) is None
