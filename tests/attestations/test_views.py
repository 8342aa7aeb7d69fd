"""The confirmation form in the reader, wrong passwords, the signed record and its public check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.people.models import Role
from app.platform.audit import AuditEvent
from app.tracking.models import Certificate, Statement
from app.tracking.statements import Verb
from tests.attestations.helpers import make_attestation
from tests.conftest import csrf_token_from, login_as
from tests.factories import PASSWORD, make_org, make_user
from tests.tracking.helpers import T0, add_version, make_module, read_pages


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, Role.LEARNER, language="en")


@pytest.fixture
def attestation(org):
    return make_attestation(org.provider, pages=2, slug="home-office")


def last_page(client, slug: str = "home-office", number: int = 2):
    response = client.get(f"/modules/{slug}/pages/{number}?lang=fr")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def confirm(client, built, password: str, *, html: str | None = None, version=None, **extra):
    html = html or last_page(client)
    data = {
        "csrf_token": csrf_token_from(html),
        "version_id": (version or built.current).id,
        "language": "fr",
        "page": 2,
        "password": password,
        **extra,
    }
    return client.post(f"/attestations/{built.module.slug}/confirm", data=data)


def attested_count() -> int:
    return db.session.scalar(
        select(func.count(Statement.id)).where(Statement.verb == Verb.ATTESTED)
    )


def test_the_last_page_of_an_attestation_shows_the_confirmation_form(
    client, org, learner, attestation
):
    plain = make_module(org.provider, slug="plain", languages={"fr": 1})
    login_as(client, learner)
    html = last_page(client)
    assert 'action="/attestations/home-office/confirm"' in html
    assert 'autocomplete="current-password"' in html
    assert "page-next" not in html  # no "Finish" that would bypass the confirmation
    first = client.get("/modules/home-office/pages/1?lang=fr").get_data(as_text=True)
    assert "/attestations/home-office/confirm" not in first
    other = client.get(f"/modules/{plain.module.slug}/pages/1").get_data(as_text=True)
    assert "/confirm" not in other and "page-next" in other


def test_a_wrong_password_says_so_on_the_form_and_records_nothing(client, learner, attestation):
    read_pages(learner, attestation.page_ids("fr")[:1])
    login_as(client, learner)
    statements_before = db.session.scalar(select(func.count(Statement.id)))
    response = confirm(client, attestation, "not my password")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This password is not correct. Nothing was recorded." in html
    assert 'aria-invalid="true"' in html
    assert db.session.scalar(select(func.count(Statement.id))) == statements_before
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
    # Counted like a failed sign-in (the throttle) and audited.
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "password_check.failed")
    ).all()
    assert [event.details.get("purpose") for event in failed] == ["attestation"]


def test_too_many_wrong_passwords_are_throttled(app, client, learner, attestation):
    read_pages(learner, attestation.page_ids("fr")[:1])
    login_as(client, learner)
    html = last_page(client)
    limit = app.config["LOGIN_LIMIT_PER_PAIR"]
    codes = [
        confirm(client, attestation, f"wrong {n}", html=html).status_code for n in range(limit)
    ]
    assert codes == [400] * limit
    response = confirm(client, attestation, PASSWORD, html=html)
    assert response.status_code == 429
    assert "Too many attempts with a wrong password" in response.get_data(as_text=True)
    assert attested_count() == 0


def test_the_right_password_records_and_leads_to_the_signed_record(client, learner, attestation):
    read_pages(learner, attestation.page_ids("fr")[:1])
    login_as(client, learner)
    response = confirm(client, attestation, PASSWORD)
    assert response.status_code == 303
    assert "/attestations/records/" in response.headers["Location"]
    assert attested_count() == 1
    record = client.get(response.headers["Location"])
    assert record.status_code == 200
    html = record.get_data(as_text=True)
    assert learner.display_name in html
    assert attestation.current.content_hash in html
    assert "Your confirmation has been recorded." in html
    code = db.session.scalar(select(Certificate.code))
    # Anyone may check it, without signing in.
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    public = client.get(f"/attestations/verify/{code}")
    assert public.status_code == 200
    text = public.get_data(as_text=True)
    assert "Valid confirmation" in text and learner.display_name in text
    assert public.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/attestations/verify/AAAA-BBBB-CCCC").status_code == 404
    assert client.get(f"/attestations/verify?code={code.lower()}").status_code == 303


def test_a_double_submit_confirms_once(client, learner, attestation):
    read_pages(learner, attestation.page_ids("fr")[:1])
    login_as(client, learner)
    html = last_page(client)
    first = confirm(client, attestation, PASSWORD, html=html)
    second = confirm(client, attestation, PASSWORD, html=html)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert attested_count() == 1


def test_confirming_an_old_version_after_a_new_major_is_refused(client, learner, attestation):
    read_pages(learner, attestation.page_ids("fr")[:1])
    login_as(client, learner)
    html = last_page(client)
    old = attestation.current
    add_version(attestation, languages={"fr": 2}, is_major=True, published_at=T0 + timedelta(1))
    response = confirm(client, attestation, PASSWORD, html=html, version=old)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/modules/home-office/pages/1")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This text has a new version since you opened it." in page
    assert attested_count() == 0


def test_confirming_without_reading_the_other_pages_is_refused(client, learner, attestation):
    login_as(client, learner)
    response = confirm(client, attestation, PASSWORD)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Please read every page of the text before you confirm it." in page
    assert attested_count() == 0


def test_a_confirmation_needs_the_csrf_token(client, learner, attestation):
    read_pages(learner, attestation.page_ids("fr")[:1])
    login_as(client, learner)
    response = client.post(
        "/attestations/home-office/confirm",
        data={
            "version_id": attestation.current.id,
            "language": "fr",
            "page": 2,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert attested_count() == 0


def test_an_empty_password_is_named(client, learner, attestation):
    login_as(client, learner)
    response = confirm(client, attestation, "")
    assert response.status_code == 400
    assert "Type your password to confirm." in response.get_data(as_text=True)


def test_a_plain_module_has_no_confirmation(client, org, learner):
    plain = make_module(org.provider, slug="plain", languages={"fr": 1})
    login_as(client, learner)
    html = client.get("/modules/plain/pages/1").get_data(as_text=True)
    response = client.post(
        "/attestations/plain/confirm",
        data={
            "csrf_token": csrf_token_from(html),
            "version_id": plain.current.id,
            "language": "fr",
            "page": 1,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 404


def test_the_home_page_lists_texts_to_confirm(client, learner, attestation):
    login_as(client, learner)
    html = client.get("/home").get_data(as_text=True)
    assert "Texts to confirm" in html and "/modules/home-office" in html
