"""API tokens die with the sessions: they expire by default, need the password to be made,
and a password change, a reset, a deactivation or "sign out everywhere" revokes them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.api.models import ApiToken
from app.extensions import db
from app.people.models import User
from app.people.operations import deactivate_user
from app.people.reset_tokens import make_reset_token
from app.platform.audit import AuditEvent
from tests.api.conftest import assert_error, bearer, make_token
from tests.conftest import get_csrf, login_as
from tests.factories import PASSWORD, make_org, make_user

SECRET_RE = re.compile(r"cr_[A-Za-z0-9_-]{40}")
NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture
def user(app):
    return make_user(make_org().branch_a1, email="bi@example.org")


def make_in_profile(client, password: str = PASSWORD, **fields):
    data = {"csrf_token": get_csrf(client, "/profile/api-tokens"), "name": "Power BI"}
    data.update(fields)
    data["password"] = password
    return client.post("/profile/api-tokens/new", data=data)


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def me(client, secret: str):
    return client.get("/api/v1/me", headers=bearer(secret))


# --- lifetime -------------------------------------------------------------------------------


def test_a_token_made_without_a_lifetime_expires_after_90_days(app, client, user):
    login_as(client, user)
    made = make_in_profile(client)
    assert made.status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.expires_at - token.created_at) == timedelta(days=90)
    assert "90 days" in client.get("/profile/api-tokens").get_data(as_text=True)


def test_the_default_lifetime_is_a_setting(app, client, user):
    app.config["API_TOKEN_DAYS"] = 7
    login_as(client, user)
    make_in_profile(client)
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.expires_at - token.created_at) == timedelta(days=7)


def test_an_expired_token_gets_the_json_401(app, client, user):
    secret = make_token(user, days=90)
    assert me(client, secret).status_code == 200
    app.config["CLOCK_OFFSET"] = timedelta(days=90, seconds=1)
    error = assert_error(me(client, secret), 401, "unauthenticated")
    assert "expired" in error["message"]


# --- the password again ---------------------------------------------------------------------


def test_making_a_token_asks_for_the_password_again(app, client, user):
    login_as(client, user)
    missing = make_in_profile(client, password="")
    assert missing.status_code == 400
    assert "Enter your password to make a token." in missing.get_data(as_text=True)
    wrong = make_in_profile(client, password="not my password")
    assert wrong.status_code == 400
    assert "The password is not correct." in wrong.get_data(as_text=True)
    assert not SECRET_RE.search(wrong.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
    assert [e.details["purpose"] for e in audit("password_check.failed")] == ["api_token"]
    made = make_in_profile(client)
    assert made.status_code == 200
    assert len(audit("api_token.created")) == 1


def test_the_password_check_for_a_token_is_throttled(app, client, user):
    login_as(client, user)
    for _ in range(5):
        assert make_in_profile(client, password="guessing again").status_code == 400
    refused = make_in_profile(client)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Please wait" in refused.get_data(as_text=True)
    assert not SECRET_RE.search(refused.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


# --- revocation -----------------------------------------------------------------------------


def assert_revoked(client, secret: str, reason: str) -> None:
    error = assert_error(me(client, secret), 401, "unauthenticated")
    assert "revoked" in error["message"]
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_prefix == secret[:8]))
    db.session.refresh(token)
    assert token.revoked_reason == reason
    revocations = [e for e in audit("api_token.revoked") if e.object_id == token.id]
    assert len(revocations) == 1 and revocations[0].details["reason"] == reason


def test_a_password_change_revokes_the_tokens(app, client, user):
    secrets = [make_token(user, name="one"), make_token(user, name="two")]
    login_as(client, user)
    changed = client.post(
        "/profile",
        data={
            "pw-csrf_token": get_csrf(client, "/profile"),
            "pw-current": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
            "pw-submit": "1",
        },
    )
    assert changed.status_code == 302
    for secret in secrets:
        assert_revoked(app.test_client(), secret, "password_changed")
    assert client.get("/profile").status_code == 200  # this session goes on


def test_a_password_reset_revokes_the_tokens(app, client, user):
    secret = make_token(user)
    path = f"/reset/{make_reset_token(app.config['SECRET_KEY'], user)}"
    token = get_csrf(client, path)
    data = {"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(path, data=data).status_code == 302
    assert_revoked(client, secret, "password_changed")


def test_deactivation_revokes_the_tokens(app, client, user):
    secret = make_token(user)
    deactivate_user(db.session, user, actor=None, ip=None)
    db.session.commit()
    assert_revoked(client, secret, "sessions_ended")


def test_sign_out_everywhere_ends_sessions_and_revokes_tokens(app, user):
    secret = make_token(user)
    laptop, phone = app.test_client(), app.test_client()
    login_as(laptop, user)
    login_as(phone, user)
    page = phone.get("/profile").get_data(as_text=True)
    assert 'action="/profile/sign-out-everywhere"' in page
    response = phone.post(
        "/profile/sign-out-everywhere", data={"everywhere-csrf_token": get_csrf(phone, "/profile")}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/login")
    assert phone.get("/profile").status_code == 302
    assert laptop.get("/profile").status_code == 302  # the other device's cookie is dead too
    assert_revoked(app.test_client(), secret, "signed_out_everywhere")
    [event] = audit("sessions.ended_everywhere")
    assert event.actor_id == user.id and event.details["tokens_revoked"] == 1


def test_sign_out_everywhere_needs_post_and_csrf(app, client, user):
    secret = make_token(user)
    login_as(client, user)
    assert client.get("/profile/sign-out-everywhere").status_code == 405
    assert client.post("/profile/sign-out-everywhere", data={}).status_code == 400
    assert me(client, secret).status_code == 200
    assert client.get("/profile").status_code == 200


def test_a_plain_sign_out_keeps_the_tokens(app, client, user):
    secret = make_token(user)
    login_as(client, user)
    client.post("/logout", data={"csrf_token": get_csrf(client, "/profile")})
    assert client.get("/profile").status_code == 302
    assert me(app.test_client(), secret).status_code == 200
    assert db.session.get(User, user.id).is_active


def test_a_person_without_a_local_password_is_told_why_no_token_can_be_made(app, client, user):
    user.password_hash = None
    db.session.commit()
    login_as(client, user)
    response = make_in_profile(client, password="anything at all")
    assert response.status_code == 400
    assert "single sign-on" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
