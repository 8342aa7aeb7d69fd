"""Links in e-mails come from PUBLIC_BASE_URL, never from a forged Host header; production
refuses to start without it or without trusted hosts; forwarded headers need PROXY_FIX_HOPS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from app.config import ConfigError, load_settings
from app.extensions import db
from app.notifications.models import OutboxEmail
from app.web.links import public_url
from tests.conftest import get_csrf, serving
from tests.factories import make_user

PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "k" * 40,
    "PUBLIC_BASE_URL": "https://ready.example.ch",
    "TRUSTED_HOSTS": "ready.example.ch",
}
FORGED = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Prefix": "/x"}


def reset_link(client, email: str, headers: dict | None = None) -> str:
    token = get_csrf(client, "/reset")
    response = client.post(
        "/reset", data={"csrf_token": token, "email": email}, headers=headers or {}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    mail = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc())).first()
    return re.search(r"https?://\S+/reset/[\w.-]+", mail.body_text).group(0)


@pytest.fixture
def offline_mail(app_config: dict) -> dict:
    # Mail stays in the outbox, where the test reads the link.
    return dict(app_config, MAIL_DELIVERY="off")


def test_reset_links_use_the_public_base_url_whatever_the_host_header(offline_mail):
    # Even behind a proxy that passed the forged headers on, the configured address wins.
    config = dict(offline_mail, PUBLIC_BASE_URL="https://ready.example.ch/jura", PROXY_FIX_HOPS=1)
    with serving(config) as app:
        make_user(None, email="lea@example.org")
        link = reset_link(app.test_client(), "lea@example.org", FORGED)
    assert link.startswith("https://ready.example.ch/jura/reset/")
    assert "evil" not in link


def test_forwarded_host_and_prefix_are_ignored_without_proxy_fix_hops(offline_mail):
    """No PUBLIC_BASE_URL (development): the link follows the request, not X-Forwarded-*."""
    with serving(dict(offline_mail, PROXY_FIX_HOPS=0)) as app:
        make_user(None, email="lea@example.org")
        link = reset_link(app.test_client(), "lea@example.org", FORGED)
    assert link.startswith("http://localhost/reset/")


def test_forwarded_host_is_believed_only_with_proxy_fix_hops(offline_mail):
    with serving(dict(offline_mail, PROXY_FIX_HOPS=1)) as app:
        make_user(None, email="lea@example.org")
        link = reset_link(
            app.test_client(),
            "lea@example.org",
            {"X-Forwarded-Host": "proxy.example", "X-Forwarded-Proto": "https"},
        )
    assert link.startswith("https://proxy.example/reset/")


def test_an_untrusted_host_header_is_refused(app_config):
    with serving(dict(app_config, TRUSTED_HOSTS=["ready.example.ch"])) as app:
        client = app.test_client()
        assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/login", headers={"Host": "ready.example.ch"}).status_code == 200
    # Behind a trusted proxy, the forwarded host is what is checked.
    config = dict(app_config, TRUSTED_HOSTS=["ready.example.ch"], PROXY_FIX_HOPS=1)
    with serving(config) as app:
        client = app.test_client()
        forged = {"Host": "ready.example.ch", "X-Forwarded-Host": "evil.example"}
        assert client.get("/login", headers=forged).status_code == 400


def test_public_url_works_outside_a_request(app):
    app.config["PUBLIC_BASE_URL"] = "https://ready.example.ch/pilot"
    with app.app_context():
        assert public_url("auth.reset_password", token="abc") == (
            "https://ready.example.ch/pilot/reset/abc"
        )
        assert public_url("auth.login") == "https://ready.example.ch/pilot/login"


def test_production_settings_carry_the_public_address_and_trusted_hosts(tmp_path: Path):
    config = load_settings(tmp_path, PRODUCTION).flask_config()
    assert config["PUBLIC_BASE_URL"] == "https://ready.example.ch"
    assert config["TRUSTED_HOSTS"] == ["ready.example.ch"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PUBLIC_BASE_URL": ""}, "PUBLIC_BASE_URL must be set in production"),
        ({"TRUSTED_HOSTS": ""}, "TRUSTED_HOSTS must be set in production"),
        ({"PUBLIC_BASE_URL": "http://ready.example.ch"}, "must start with https://"),
        ({"PUBLIC_BASE_URL": "ready.example.ch"}, "PUBLIC_BASE_URL must be an http"),
        ({"TRUSTED_HOSTS": "other.example.ch"}, "must include the host of PUBLIC_BASE_URL"),
        ({"API_TOKEN_DAYS": "0"}, "API_TOKEN_DAYS must be between 1 and 3650"),
        ({"LOGIN_ACCOUNT_WINDOW_HOURS": "48"}, "LOGIN_ACCOUNT_WINDOW_HOURS must be between"),
    ],
)
def test_production_refuses_to_start_without_safe_link_settings(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(tmp_path, {**PRODUCTION, **change})


def test_subdomain_patterns_are_accepted_for_trusted_hosts(tmp_path: Path):
    settings = load_settings(tmp_path, {**PRODUCTION, "TRUSTED_HOSTS": ".example.ch, localhost"})
    assert settings.trusted_hosts == (".example.ch", "localhost")
