"""Security headers, cookies, CSRF, error pages and production configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import ConfigError, load_settings
from app.people.models import Role
from tests.conftest import login_as
from tests.factories import make_org, make_user


def test_security_headers_on_every_response(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_signed_in_pages_are_not_cached(client, app):
    org = make_org()
    login_as(client, make_user(org.branch_a1))
    assert client.get("/home").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_templates():
    templates = Path(__file__).resolve().parents[2] / "app" / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text()
        assert "<script>" not in text and "<script " not in text.replace("<script src=", ""), path
        assert " style=" not in text, path
        assert "onclick=" not in text.lower(), path


def test_safe_filter_is_not_used_on_unsanitised_values():
    """`|safe` and Markup() appear only on the sanitiser's output (reviewed list)."""
    root = Path(__file__).resolve().parents[2] / "app"
    offenders = []
    for path in list(root.rglob("*.html")) + list(root.rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            marked_safe = "|safe" in line.replace(" ", "") or "Markup(" in line
            if marked_safe and "sanitised" not in line and "noqa: safe" not in line:
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


def test_missing_csrf_token_is_refused_with_a_clear_message(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 400
    assert "The form had expired or was not sent from this site" in response.get_data(as_text=True)


def test_errors_show_no_internals(app, client):
    org = make_org()
    login_as(client, make_user(org.branch_a1))

    @app.get("/boom-test")
    def boom():  # pragma: no cover - raises on purpose
        raise RuntimeError("secret internals here")

    boom.access = __import__("app.permissions", fromlist=["Access"]).Access()
    response = client.get("/boom-test")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text


def test_404_page_is_translated_and_generic(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "de"})
    assert response.status_code == 404
    assert 'lang="de-CH"' in response.get_data(as_text=True)


def test_production_refuses_to_start_without_secret_key(tmp_path: Path):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings(tmp_path, {"APP_ENV": "production"})
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings(tmp_path, {"APP_ENV": "production", "SECRET_KEY": "short"})


def test_bad_environment_values_are_named(tmp_path: Path):
    with pytest.raises(ConfigError, match="MAIL_PORT"):
        load_settings(tmp_path, {"MAIL_PORT": "twenty-five"})
    with pytest.raises(ConfigError, match="MAIL_USE_TLS"):
        load_settings(tmp_path, {"MAIL_USE_TLS": "maybe"})


def test_production_cookies_are_secure_host_only(tmp_path: Path):
    config = load_settings(
        tmp_path,
        {
            "APP_ENV": "production",
            "SECRET_KEY": "k" * 40,
            "PUBLIC_BASE_URL": "https://ready.example.ch",
            "TRUSTED_HOSTS": "ready.example.ch",
        },
    ).flask_config()
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["MAX_CONTENT_LENGTH"] > 0


def test_local_secret_key_is_generated_once_and_kept(tmp_path: Path):
    first = load_settings(tmp_path, {}).secret_key
    assert len(first) >= 48
    assert load_settings(tmp_path, {}).secret_key == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_session_cookie_flags(client, app):
    from tests.factories import PASSWORD
    from tests.people.test_auth import sign_in

    org = make_org()
    user = make_user(org.branch_a1)
    response = sign_in(client, user.email, PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_health_endpoints(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["database"] == "ok"


def test_readyz_reports_an_unreachable_database(app_config):
    from tests.conftest import serving

    broken = dict(app_config, SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-dir/x/db.sqlite3")
    with serving(broken) as application:
        response = application.test_client().get("/readyz")
    assert response.status_code == 503


def test_manager_cannot_open_a_person_outside_scope(app, client):
    org = make_org()
    outsider = make_user(org.branch_b1)
    login_as(client, make_user(org.branch_a1, Role.MANAGER, scope_unit=org.region_a))
    assert client.get(f"/people/{outsider.id}").status_code == 404
    assert client.get("/people/999999").status_code == 404


def test_audit_log_encodes_line_breaks(app):
    from app.extensions import db
    from app.platform.audit import record_event

    event = record_event(db.session, "login.failed", email="x@example.org\r\nadmin login ok")
    assert "\n" not in event.details["email"] and "\r" not in event.details["email"]


def test_static_files_may_be_cached_but_signed_in_pages_not(app, client):
    org = make_org()
    login_as(client, make_user(org.branch_a1))
    static = client.get("/static/css/app.css")
    assert static.status_code == 200
    assert static.headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/home").headers["Cache-Control"] == "no-store"


def test_proxy_headers_are_trusted_only_when_configured(app_config):
    """Behind one proxy the audit log records the client's address, never a spoofed one."""
    from sqlalchemy import select

    from app.extensions import db
    from app.platform.audit import AuditEvent
    from tests.conftest import get_csrf, serving

    def failed_login_ip(config) -> str:
        with serving(config) as application:
            client = application.test_client()
            token = get_csrf(client)
            client.post(
                "/login",
                data={"csrf_token": token, "email": "x@example.org", "password": "wrong password"},
                headers={"X-Forwarded-For": "203.0.113.7"},
            )
            db.session.rollback()
            return db.session.scalars(
                select(AuditEvent.ip_address)
                .where(AuditEvent.action == "login.failed")
                .order_by(AuditEvent.id)
            ).all()[-1]

    assert failed_login_ip(dict(app_config, PROXY_FIX_HOPS=1)) == "203.0.113.7"
    assert failed_login_ip(app_config) == "127.0.0.1"
