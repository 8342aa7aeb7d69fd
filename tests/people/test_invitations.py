"""Invitations: e-mailed in the person's language, single use, expiring, resendable, and how a
shared branch tablet is set up without anyone knowing another person's password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.hr_models import Invitation
from app.people.invitations import (
    InvitationError,
    make_invitation_token,
    read_invitation,
    send_invitation,
)
from app.people.models import Role, User
from app.platform.audit import AuditEvent
from tests.conftest import csrf_token_from, login_as
from tests.factories import PASSWORD, make_org, make_user

NEW_PASSWORD = "lantern orchard velvet pebble"
LINK_RE = re.compile(r"(https?://\S+/invitation/[\w.\-]+)")


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def admin(org):
    return make_user(org.network, Role.ADMIN)


def newcomer(org, language: str | None = "de", email: str | None = None) -> User:
    return make_user(org.branch_a1, password=None, language=language, email=email)


def invite(person: User, *, now=None) -> Invitation:
    invitation = send_invitation(db.session, person, actor=None, ip=None, now=now)
    db.session.commit()
    return invitation


def last_link(person: User) -> str:
    mail = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.user_id == person.id).order_by(OutboxEmail.id.desc())
    ).first()
    assert mail is not None, "no invitation e-mail"
    return LINK_RE.search(mail.body_text).group(1)


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    page = client.get(path_of(link))
    assert page.status_code == 200, page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(
        path_of(link), data={"csrf_token": token, "password": password, "confirm": password}
    )


def test_an_imported_person_gets_an_invitation_in_their_language(org, runner, tmp_path):
    path = tmp_path / "hr.csv"
    path.write_text(
        "HR number;First name;Last name;E-mail;Unit code;Language\n"
        "1;Hanna;Huber;hanna@example.org;a1;de\n"
        "2;Léa;Roy;lea@example.org;a2;fr\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    mails = {m.to_address: m for m in db.session.scalars(select(OutboxEmail))}
    assert set(mails) == {"hanna@example.org", "lea@example.org"}
    assert '<html lang="de">' in mails["hanna@example.org"].body_html
    assert '<html lang="fr">' in mails["lea@example.org"].body_html
    assert "Hanna" in mails["hanna@example.org"].body_text
    assert LINK_RE.search(mails["lea@example.org"].body_text)


def test_accepting_sets_the_password_and_signs_in(client, org):
    person = newcomer(org)
    invite(person)
    answer = choose_password(client, last_link(person))
    assert answer.status_code == 303
    assert client.get("/profile").status_code == 200  # signed in
    db.session.expire_all()
    assert person.password_hash and person.password_hash.startswith("$argon2id$")
    invitation = db.session.scalar(select(Invitation).where(Invitation.user_id == person.id))
    assert invitation.accepted_at is not None
    assert db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "invitation.accepted", AuditEvent.object_id == person.id
        )
    )


def test_the_password_policy_applies(client, org):
    person = newcomer(org)
    invite(person)
    answer = choose_password(client, last_link(person), password="short")
    assert answer.status_code == 400
    db.session.expire_all()
    assert person.password_hash is None


def test_a_used_link_says_so_and_offers_a_way_on(client, org):
    person = newcomer(org)
    invite(person)
    link = last_link(person)
    assert choose_password(client, link).status_code == 303
    client.post(
        "/logout",
        data={"csrf_token": csrf_token_from(client.get("/profile").get_data(as_text=True))},
    )
    again = client.get(path_of(link))
    html = again.get_data(as_text=True)
    assert again.status_code == 410
    # Signing in chose the person's language (German) for this browser; it outlives sign-out.
    assert '<html lang="de-CH">' in html
    assert "bereits verwendet" in html and "/reset" in html


def test_an_expired_link_says_so_and_a_new_one_can_be_asked_for(client, org, app):
    person = newcomer(org)
    invite(person, now=utcnow() - timedelta(days=app.config.get("INVITATION_VALID_DAYS", 7) + 1))
    link = last_link(person)
    page = client.get(path_of(link))
    html = page.get_data(as_text=True)
    assert page.status_code == 410 and "has expired" in html
    refused = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.refused"))
    assert refused.object_id == person.id and refused.details["reason"] == "expired"
    renew = client.post(path_of(link) + "/renew", data={"csrf_token": csrf_token_from(html)})
    assert renew.status_code == 303
    new_link = last_link(person)
    assert new_link != link
    assert choose_password(client, new_link).status_code == 303
    # Asking again right away sends nothing more (no mailbox flooding through old links).
    count = db.session.query(OutboxEmail).filter_by(user_id=person.id).count()
    client.post(path_of(link) + "/renew", data={"csrf_token": csrf_token_from(html)})
    assert db.session.query(OutboxEmail).filter_by(user_id=person.id).count() == count


def test_only_the_latest_invitation_works(client, org):
    person = newcomer(org)
    invite(person)
    first = last_link(person)
    invite(person)
    second = last_link(person)
    page = client.get(path_of(first))
    assert page.status_code == 410 and "newer invitation" in page.get_data(as_text=True)
    assert choose_password(client, second).status_code == 303


def test_tampered_links_are_refused(org):
    person = newcomer(org)
    invitation = invite(person)
    token = make_invitation_token("another-secret", invitation)
    with pytest.raises(InvitationError) as caught:
        read_invitation(db.session, "test-secret-key-" + "x" * 40, token)
    assert caught.value.reason == "invalid"


def test_expiry_follows_the_configured_days(org):
    current_app.config["INVITATION_VALID_DAYS"] = 2
    person = newcomer(org)
    invitation = invite(person)
    assert invitation.expires_at - invitation.sent_at == timedelta(days=2)
    secret = current_app.config["SECRET_KEY"]
    token = make_invitation_token(secret, invitation)
    read_invitation(db.session, secret, token, now=invitation.sent_at + timedelta(days=1))
    with pytest.raises(InvitationError) as caught:
        read_invitation(db.session, secret, token, now=invitation.sent_at + timedelta(days=2))
    assert caught.value.reason == "expired"


def test_admin_resends_from_the_person_page(client, org, admin):
    person = newcomer(org)
    login_as(client, admin)
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert f"/people/{person.id}/invite" in page
    answer = client.post(f"/people/{person.id}/invite", data={"csrf_token": csrf_token_from(page)})
    assert answer.status_code == 303
    assert last_link(person)
    has_password = make_user(org.branch_a1)
    page = client.get(f"/people/{has_password.id}").get_data(as_text=True)
    assert f"/people/{has_password.id}/invite" not in page
    answer = client.post(
        f"/people/{has_password.id}/invite", data={"csrf_token": csrf_token_from(page)}
    )
    assert answer.status_code == 303
    assert "already has a password" in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_resend_is_refused_outside_the_scope_and_to_learners(client, org):
    person = newcomer(org)
    other_branch_manager = make_user(org.branch_b1, Role.MANAGER)
    login_as(client, other_branch_manager)
    token = csrf_token_from(client.get("/profile").get_data(as_text=True))
    assert client.post(f"/people/{person.id}/invite", data={"csrf_token": token}).status_code == 404
    learner = make_user(org.branch_a1)
    login_as(client, learner)
    assert client.post(f"/people/{person.id}/invite", data={"csrf_token": token}).status_code == 403


def test_cli_invite(org, runner):
    person = newcomer(org, email="cli@example.org")
    result = runner.invoke(args=["users", "invite", "cli@example.org"])
    assert result.exit_code == 0 and "invitation queued" in result.output
    assert last_link(person)
    make_user(org.branch_a1, email="set@example.org")
    result = runner.invoke(args=["users", "invite", "set@example.org"])
    assert result.exit_code == 1 and "already has a password" in result.output


def test_people_added_on_the_admin_pages_are_invited(client, org, admin):
    login_as(client, admin)
    page = client.get("/admin/people/new").get_data(as_text=True)
    answer = client.post(
        "/admin/people/new",
        data={
            "csrf_token": csrf_token_from(page),
            "first_name": "Nina",
            "last_name": "Neu",
            "email": "nina@example.org",
            "preferred_language": "fr",
            "hr_number": "",
            "unit": str(org.branch_a1.id),
        },
    )
    assert answer.status_code == 303, answer.get_data(as_text=True)
    nina = db.session.scalar(select(User).where(User.email == "nina@example.org"))
    assert last_link(nina)


def test_a_shared_branch_tablet_is_set_up_person_by_person(client, org):
    """Each person opens their own link on the tablet and chooses their own password; the
    tablet's previous user is signed out, and nobody ever learns another's password."""
    anna, ben = newcomer(org, email="anna@example.org"), newcomer(org, email="ben@example.org")
    invite(anna)
    invite(ben)
    assert choose_password(client, last_link(anna), "anna chooses her own words").status_code == 303
    assert "anna@example.org" in client.get("/profile").get_data(as_text=True)
    assert choose_password(client, last_link(ben), "ben picks something else").status_code == 303
    profile = client.get("/profile").get_data(as_text=True)
    assert "ben@example.org" in profile and "anna@example.org" not in profile
    db.session.expire_all()
    assert anna.password_hash != ben.password_hash
    # Each can sign in with their own password only.
    from app.people.operations import authenticate

    params = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    assert authenticate(db.session, "anna@example.org", "anna chooses her own words", params)
    assert not authenticate(db.session, "anna@example.org", "ben picks something else", params)
    assert PASSWORD  # the factories' default password was never set for them
    assert not authenticate(db.session, "ben@example.org", PASSWORD, params)


def test_links_use_the_public_base_url_not_the_request_host(client, app, org, admin):
    app.config["PUBLIC_BASE_URL"] = "https://readiness.example.ch/app"
    person = newcomer(org)
    login_as(client, admin)
    page = client.get(f"/people/{person.id}").get_data(as_text=True)
    forged = client.post(
        f"/people/{person.id}/invite",
        data={"csrf_token": csrf_token_from(page)},
        headers={"Host": "evil.example"},
    )
    assert forged.status_code == 400  # refused before anything is sent
    assert db.session.query(OutboxEmail).filter_by(user_id=person.id).count() == 0
    answer = client.post(f"/people/{person.id}/invite", data={"csrf_token": csrf_token_from(page)})
    assert answer.status_code == 303
    # The request came to http://localhost; the link names the configured public address.
    assert last_link(person).startswith("https://readiness.example.ch/app/invitation/")
