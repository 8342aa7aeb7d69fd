"""Bearer-token authentication: only the token opens /api/v1, never the session cookie."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.api.models import ApiToken
from app.api.tokens import revoke_token
from app.extensions import db
from app.people.models import Role
from app.people.operations import deactivate_user
from app.permissions import public
from app.timekeeping.clock import now
from tests.api.conftest import assert_error, bearer, make_token
from tests.conftest import login_as
from tests.factories import make_org, make_user


def _token() -> ApiToken:
    db.session.expire_all()
    return db.session.scalar(sa.select(ApiToken))


def test_no_token_is_401_with_a_bearer_challenge(app, api):
    response = api.get("/api/v1/me")
    error = assert_error(response, 401, "unauthenticated")
    assert "Authorization" in error["message"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer cr_short",
        "Basic dXNlcjpwYXNz",
        "Bearer cr_" + "A" * 40,  # well formed, but no such token
        "Token cr_" + "A" * 40,
        "Bearer " + "A" * 43,
    ],
)
def test_a_wrong_token_is_401_invalid_token(app, client, header):
    make_token(make_user(make_org().branch_a1))
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert_error(response, 401, "unauthenticated")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_scheme_is_case_insensitive(app, api, client):
    secret = make_token(make_user(make_org().branch_a1))
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"bearer {secret}"}).status_code == 200
    )


def test_a_revoked_token_is_refused(app, api):
    user = make_user(make_org().branch_a1)
    secret = make_token(user)
    revoke_token(db.session, _token(), now=now(), actor=user)
    db.session.commit()
    error = assert_error(api.get("/api/v1/me", secret), 401, "unauthenticated")
    assert "revoked" in error["message"]


def test_a_token_works_until_it_expires(app, api):
    user = make_user(make_org().branch_a1)
    secret = make_token(user, days=7)
    app.config["CLOCK_OFFSET"] = timedelta(days=6, hours=23)
    assert api.get("/api/v1/me", secret).status_code == 200
    app.config["CLOCK_OFFSET"] = timedelta(days=7)
    error = assert_error(api.get("/api/v1/me", secret), 401, "unauthenticated")
    assert "expired" in error["message"]


def test_a_deactivated_users_token_is_refused(app, api):
    org = make_org()
    user = make_user(org.branch_a1)
    secret = make_token(user)
    deactivate_user(db.session, user, actor=None, ip=None)
    db.session.commit()
    # Deactivation revokes the tokens (end_sessions); even a token left unrevoked would be
    # refused for its deactivated user.
    error = assert_error(api.get("/api/v1/me", secret), 401, "unauthenticated")
    assert "revoked" in error["message"]
    db.session.execute(sa.update(ApiToken).values(revoked_at=None))
    db.session.commit()
    error = assert_error(api.get("/api/v1/me", secret), 401, "unauthenticated")
    assert "deactivated" in error["message"]


def test_a_cookie_session_does_not_open_the_api(app, client):
    org = make_org()
    login_as(client, make_user(org.network, Role.ADMIN))
    assert client.get("/profile").status_code == 200  # the session itself is valid
    for path in ("/api/v1/me", "/api/v1/people", "/api/v1/units"):
        response = client.get(path)
        assert_error(response, 401, "unauthenticated")
        assert "Set-Cookie" not in response.headers


def test_with_a_cookie_and_a_token_the_token_decides(app, client):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN)
    learner = make_user(org.branch_a1, Role.LEARNER)
    login_as(client, admin)
    secret = make_token(learner)
    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.get_json()["data"]["id"] == learner.id
    assert_error(client.get("/api/v1/people", headers=bearer(secret)), 403, "forbidden")


def test_a_token_does_not_sign_in_to_html_pages(app, client):
    secret = make_token(make_user(make_org().branch_a1))
    response = client.get("/profile", headers=bearer(secret))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/nothing-here", "/api/v1/openapi.json"])
def test_api_answers_set_no_cookie_and_are_not_cached(app, client, path):
    org = make_org()
    user = make_user(org.branch_a1)
    secret = make_token(user)
    login_as(client, user)  # even with a browser session present, none is refreshed
    for headers in ({}, bearer(secret)):
        response = client.get(path, headers=headers)
        assert "Set-Cookie" not in response.headers, (path, response.status_code)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_last_use_is_written_at_most_once_a_minute(app, api):
    user = make_user(make_org().branch_a1)
    secret = make_token(user)
    assert _token().last_used_at is None

    assert api.get("/api/v1/me", secret).status_code == 200
    first = _token().last_used_at
    assert first is not None

    app.config["CLOCK_OFFSET"] = timedelta(seconds=30)
    assert api.get("/api/v1/me", secret).status_code == 200
    assert _token().last_used_at == first

    app.config["CLOCK_OFFSET"] = timedelta(minutes=2)
    assert api.get("/api/v1/me", secret).status_code == 200
    assert _token().last_used_at > first


def test_stamping_the_last_use_does_not_break_a_later_write_in_a_read_request(app, api):
    """A 403 writes an audit row; on SQLite that GET must still be able to write after the stamp."""
    from app.platform.audit import AuditEvent

    learner = make_user(make_org().branch_a1, Role.LEARNER)
    secret = make_token(learner)
    assert_error(api.get("/api/v1/people", secret), 403, "forbidden")
    assert _token().last_used_at is not None
    denied = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.denied")
    ).all()
    assert [event.actor_id for event in denied] == [learner.id]


def test_unknown_api_paths_and_methods_answer_json(app, client):
    secret = make_token(make_user(make_org().branch_a1))
    assert_error(client.get("/api/v1/nothing-here", headers=bearer(secret)), 404, "not_found")
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    response = client.post("/api/v1/me", headers=bearer(secret))
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_answers_json_without_internals(app, client):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/test-explode", "test_explode", public(explode))
    response = client.get("/api/v1/test-explode")
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert error["message"]


def test_api_error_messages_follow_the_users_language(app, api):
    """Messages are translated like the rest of the platform (English is the source)."""
    response = api.get("/api/v1/me", headers={"Accept-Language": "en"})
    assert "Authorization" in response.get_json()["error"]["message"]
