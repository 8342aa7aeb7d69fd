"""`flask api create-token`: prints the secret once, stores only its hash."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.api.models import ApiToken
from app.api.tokens import TOKEN_RE, hash_secret
from app.extensions import db
from app.people.operations import deactivate_user
from tests.api.conftest import bearer
from tests.factories import make_org, make_user


def test_create_token_prints_a_working_token_once(app, runner, client):
    user = make_user(make_org().branch_a1, email="script.owner@example.org")
    result = runner.invoke(
        args=[
            "api",
            "create-token",
            "Script.Owner@example.org",
            "--name",
            "HR sync",
            "--days",
            "90",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert TOKEN_RE.match(secret)
    assert "cannot be shown again" in result.stderr
    assert secret not in result.stderr

    token = db.session.scalar(sa.select(ApiToken))
    assert token.user_id == user.id
    assert token.name == "HR sync"
    assert token.token_hash == hash_secret(secret)
    assert token.expires_at - token.created_at == timedelta(days=90)

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.get_json()["data"]["email"] == "script.owner@example.org"


def test_create_token_without_days_expires_after_the_configured_lifetime(app, runner):
    make_user(make_org().branch_a1, email="script@example.org")
    from flask import current_app

    current_app.config["API_TOKEN_DAYS"] = 45  # the command runs in the test's app context
    result = runner.invoke(args=["api", "create-token", "script@example.org"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(sa.select(ApiToken))
    assert (token.expires_at - token.created_at).days == 45


def test_create_token_refuses_unknown_and_deactivated_users(app, runner):
    user = make_user(make_org().branch_a1, email="gone@example.org")
    deactivate_user(db.session, user, actor=None, ip=None)
    db.session.commit()
    for email in ("nobody@example.org", "gone@example.org"):
        result = runner.invoke(args=["api", "create-token", email])
        assert result.exit_code != 0
        assert "no active user" in result.output
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_create_token_refuses_absurd_lifetimes(app, runner):
    make_user(make_org().branch_a1, email="x@example.org")
    result = runner.invoke(args=["api", "create-token", "x@example.org", "--days", "0"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0
