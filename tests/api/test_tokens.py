"""API tokens: made with the secret shown once, stored hashed, listed, revoked, limited."""

from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from app.api.models import ApiToken
from app.api.tokens import (
    MAX_ACTIVE_TOKENS_PER_USER,
    TOKEN_RE,
    TokenError,
    create_token,
    hash_secret,
)
from app.extensions import db
from app.people.models import Role
from app.timekeeping.clock import now
from tests.api.conftest import assert_error, bearer, make_token
from tests.conftest import csrf_token_from, get_csrf, login_as
from tests.factories import PASSWORD, make_org, make_user

SECRET_RE = re.compile(r"cr_[A-Za-z0-9_-]{40}")


def _raw_rows(table: str) -> list[tuple]:
    with db.engine.connect() as connection:
        return list(connection.execute(sa.text(f"SELECT * FROM {table}")))


def test_a_token_is_stored_as_a_hash_and_never_as_its_secret(app):
    org = make_org()
    user = make_user(org.branch_a1)
    token, secret = create_token(db.session, user, name="BI", days=None, now=now(), actor=user)
    db.session.commit()

    assert TOKEN_RE.match(secret) and len(secret) == 43
    assert token.token_prefix == secret[:8]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() == hash_secret(secret)
    for table in ("api_tokens", "audit_events"):
        for row in _raw_rows(table):
            assert all(secret not in str(value) for value in row), table


def test_every_token_gets_a_different_secret(app):
    org = make_org()
    user = make_user(org.branch_a1)
    secrets = {make_token(user) for _ in range(5)}
    assert len(secrets) == 5


def test_the_profile_links_to_the_token_page(app, client):
    org = make_org()
    login_as(client, make_user(org.branch_a1))
    assert "/profile/api-tokens" in client.get("/profile").get_data(as_text=True)


def test_made_in_the_profile_the_secret_is_shown_once_and_never_cached(app, client):
    org = make_org()
    user = make_user(org.branch_a1)
    login_as(client, user)
    page = client.get("/profile/api-tokens")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    token = csrf_token_from(page.get_data(as_text=True))

    made = client.post(
        "/profile/api-tokens/new",
        data={"csrf_token": token, "name": "Power BI", "days": "30", "password": PASSWORD},
    )
    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    secret = SECRET_RE.search(made.get_data(as_text=True)).group(0)

    stored = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert stored.name == "Power BI"
    assert stored.token_hash == hash_secret(secret)
    assert (stored.expires_at - stored.created_at).days == 30

    listing = client.get("/profile/api-tokens").get_data(as_text=True)
    assert secret not in listing
    assert secret[:8] in listing
    assert "Power BI" in listing

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.get_json()["data"]["id"] == user.id


@pytest.mark.parametrize(
    "form",
    [
        {"name": ""},
        {"name": "x" * 101},
        {"name": "ok", "days": "0"},
        {"name": "ok", "days": "3651"},
        {"name": "ok", "days": "soon"},
    ],
)
def test_bad_token_forms_are_refused_and_make_nothing(app, client, form):
    org = make_org()
    login_as(client, make_user(org.branch_a1))
    response = client.post(
        "/profile/api-tokens/new",
        data={"csrf_token": get_csrf(client, "/profile/api-tokens"), "password": PASSWORD, **form},
    )
    assert response.status_code == 400
    assert not SECRET_RE.search(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_making_a_token_needs_the_csrf_token(app, client):
    org = make_org()
    login_as(client, make_user(org.branch_a1))
    response = client.post("/profile/api-tokens/new", data={"name": "no csrf"})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_a_revoked_token_no_longer_opens_the_api(app, client):
    org = make_org()
    user = make_user(org.branch_a1)
    secret = make_token(user, name="script")
    token_id = db.session.scalar(sa.select(ApiToken.id))
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200

    login_as(client, user)
    csrf = get_csrf(client, "/profile/api-tokens")
    response = client.post(f"/profile/api-tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 303

    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is not None
    refused = app.test_client().get("/api/v1/me", headers=bearer(secret))
    error = assert_error(refused, 401, "unauthenticated")
    assert "revoked" in error["message"]
    page = client.get("/profile/api-tokens").get_data(as_text=True)
    assert f"/profile/api-tokens/{token_id}/revoke" not in page  # nothing left to revoke


def test_revoking_needs_the_csrf_token(app, client):
    org = make_org()
    user = make_user(org.branch_a1)
    make_token(user)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    login_as(client, user)
    assert client.post(f"/profile/api-tokens/{token_id}/revoke").status_code == 400
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_nobody_revokes_or_sees_somebody_elses_token(app, client):
    org = make_org()
    owner = make_user(org.branch_a1)
    make_token(owner, name="owner's secret job")
    token_id = db.session.scalar(sa.select(ApiToken.id))
    admin = make_user(org.network, Role.ADMIN)
    login_as(client, admin)
    csrf = get_csrf(client, "/profile/api-tokens")
    assert "owner&#39;s secret job" not in client.get("/profile/api-tokens").get_data(as_text=True)
    response = client.post(f"/profile/api-tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_a_user_has_at_most_twenty_active_tokens(app):
    org = make_org()
    user = make_user(org.branch_a1)
    for n in range(MAX_ACTIVE_TOKENS_PER_USER):
        make_token(user, name=f"t{n}")
    with pytest.raises(TokenError):
        create_token(db.session, user, name="one too many", days=None, now=now())


def test_token_pages_need_a_signed_in_user(app, client):
    response = client.get("/profile/api-tokens")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
