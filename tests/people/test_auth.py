"""Sign-in, sign-out, sessions, password reset over real SMTP, and throttling."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.people.models import Role, User
from app.people.passwords import hash_password, needs_rehash
from app.people.reset_tokens import make_reset_token
from app.platform.audit import AuditEvent
from tests.conftest import get_csrf, login_as
from tests.factories import PASSWORD, make_org, make_user

NEW_PASSWORD = "tram station blue meadow 42"


def sign_in(client, email: str, password: str, next_path: str = ""):
    token = get_csrf(client)
    return client.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password, "next": next_path},
    )


def sign_out(client):
    token = get_csrf(client, "/profile")
    return client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def learner(org):
    return make_user(org.branch_a1, Role.LEARNER, email="lea@example.org")


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_sign_in_success_redirects_home_and_records_event(client, learner):
    response = sign_in(client, "LEA@example.org ", PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "login.succeeded" in actions
    assert db.session.get(User, learner.id).last_login_at is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [("lea@example.org", "wrong password here"), ("nobody@example.org", PASSWORD)],
)
def test_wrong_password_and_unknown_user_get_the_same_message(client, learner, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert "The e-mail address or the password is not correct." in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_inactive_user_cannot_sign_in(client, org):
    make_user(org.branch_a1, email="gone@example.org", is_active=False)
    assert sign_in(client, "gone@example.org", PASSWORD).status_code == 401


def test_overlong_field_is_refused_with_a_message(client, learner):
    response = sign_in(client, "x" * 300 + "@example.org", PASSWORD)
    assert response.status_code == 400
    assert "The e-mail address is too long." in response.get_data(as_text=True)


def test_new_session_on_every_sign_in(client, learner):
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker-fixed"
    sign_in(client, learner.email, PASSWORD)
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_replayed_cookie_is_dead_after_sign_out(app, learner):
    first = app.test_client()
    sign_in(first, learner.email, PASSWORD)
    stolen = session_cookie(first)
    assert stolen
    assert sign_out(first).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/home")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_sign_out_needs_post_and_csrf(client, learner):
    login_as(client, learner)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/home").status_code == 200


def test_password_change_ends_other_sessions(app, learner):
    tablet, phone = app.test_client(), app.test_client()
    sign_in(tablet, learner.email, PASSWORD)
    sign_in(phone, learner.email, PASSWORD)
    token = get_csrf(tablet, "/profile")
    response = tablet.post(
        "/profile",
        data={
            "pw-csrf_token": token,
            "pw-current": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
            "pw-submit": "1",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert tablet.get("/home").status_code == 200
    assert phone.get("/home").status_code == 302


def test_weak_new_password_is_refused(client, learner):
    login_as(client, learner)
    token = get_csrf(client, "/profile")
    response = client.post(
        "/profile",
        data={
            "pw-csrf_token": token,
            "pw-current": PASSWORD,
            "pw-password": "password1234",
            "pw-confirm": "password1234",
            "pw-submit": "1",
        },
    )
    assert response.status_code == 400
    assert "commonly used passwords" in response.get_data(as_text=True)


def test_deactivation_ends_the_session(app, org, learner):
    admin = make_user(org.network, Role.ADMIN)
    lea = app.test_client()
    sign_in(lea, learner.email, PASSWORD)
    boss = app.test_client()
    login_as(boss, admin)
    token = get_csrf(boss, f"/people/{learner.id}")
    assert (
        boss.post(f"/people/{learner.id}/deactivate", data={"csrf_token": token}).status_code == 303
    )
    assert lea.get("/home").status_code == 302
    assert sign_in(app.test_client(), learner.email, PASSWORD).status_code == 401


def test_idle_session_is_signed_out(client, learner):
    login_as(client, learner)
    with client.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - 31 * 60
    response = client.get("/home")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert client.get("/home").status_code == 302


def test_absolute_session_limit(client, learner):
    login_as(client, learner)
    with client.session_transaction() as sess:
        sess["login_at"] = int(time.time()) - 13 * 3600
    assert client.get("/home").status_code == 302


def test_idle_timeout_is_configurable(app, client, learner):
    app.config["IDLE_TIMEOUT_MINUTES"] = 5
    login_as(client, learner)
    with client.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - 6 * 60
    assert client.get("/home").status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "/home\r\nSet-Cookie: x=1",
        "\\\\evil",
    ],
)
def test_next_only_allows_same_origin_paths(client, learner, target):
    response = sign_in(client, learner.email, PASSWORD, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")


def test_next_keeps_a_safe_path(client, learner):
    response = sign_in(client, learner.email, PASSWORD, next_path="/profile?tab=1")
    assert response.headers["Location"].endswith("/profile?tab=1")


def test_outdated_hash_is_upgraded_on_sign_in(app, client, org):
    weak = {"time_cost": 1, "memory_cost": 512, "parallelism": 1}
    user = make_user(org.branch_a1, email="old@example.org", password=None)
    user.password_hash = hash_password(PASSWORD, weak)
    db.session.commit()
    assert needs_rehash(user.password_hash, app.config["PASSWORD_HASH"])
    assert sign_in(client, "old@example.org", PASSWORD).status_code == 302
    db.session.rollback()  # end the test's read snapshot to see the app's commit
    stored = db.session.get(User, user.id).password_hash
    assert not needs_rehash(stored, app.config["PASSWORD_HASH"])


def test_production_hash_parameters_are_argon2id_at_recommended_strength():
    from app.config import load_settings

    settings = load_settings(__import__("pathlib").Path("/tmp"), {"SECRET_KEY": "k" * 40})
    params = settings.flask_config()["PASSWORD_HASH"]
    digest = hash_password("some long passphrase", params)
    assert digest.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


# Throttling is tested in tests/people/test_throttle.py.


# --- password reset over real SMTP ---------------------------------------------------------


@pytest.fixture
def mail_app(mail_app_config):
    from tests.conftest import serving

    with serving(mail_app_config) as application:
        yield application


def request_reset(client, email: str):
    token = get_csrf(client, "/reset")
    return client.post("/reset", data={"csrf_token": token, "email": email})


def test_reset_by_email_link_works_once(mail_app, smtp_server):
    make_org()
    user = make_user(None, email="reset@example.org", language="de")
    client = mail_app.test_client()
    response = request_reset(client, "reset@example.org")
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "reset@example.org"
    assert message["Subject"] == "Neues Passwort wählen"
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"http://\S+/reset/\S+", body).group(0)
    path = link.split("localhost", 1)[-1]
    form = client.get(path)
    assert form.status_code == 200
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.get_data(as_text=True))
    data = {"csrf_token": token.group(1), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert client.post(path, data=data).status_code == 302
    assert sign_in(mail_app.test_client(), user.email, NEW_PASSWORD).status_code == 302
    again = client.get(path)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True) or "bereits" in again.get_data(
        as_text=True
    )


def test_reset_does_not_reveal_whether_the_account_exists(mail_app, smtp_server):
    make_user(None, email="known@example.org")
    client = mail_app.test_client()
    known = request_reset(client, "known@example.org")
    unknown = request_reset(client, "unknown@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m["To"] for m in smtp_server.messages] == ["known@example.org"]


def test_reset_mail_survives_a_refusing_smtp_server(mail_app, smtp_server):
    from app.notifications.models import OutboxEmail
    from app.notifications.operations import deliver_due, smtp_settings_from_config

    make_user(None, email="later@example.org")
    smtp_server.refuse = True
    request_reset(mail_app.test_client(), "later@example.org")
    pending = db.session.scalars(select(OutboxEmail)).one()
    assert pending.sent_at is None and pending.attempts == 1 and pending.last_error
    smtp_server.refuse = False
    sent, failed = deliver_due(db.session, smtp_settings_from_config(), now=pending.next_attempt_at)
    assert (sent, failed) == (1, 0)
    assert len(smtp_server.messages) == 1
    assert deliver_due(db.session, smtp_settings_from_config(), now=pending.next_attempt_at) == (
        0,
        0,
    )


def test_expired_and_tampered_tokens_are_refused(app, client, learner, monkeypatch):
    token = make_reset_token(app.config["SECRET_KEY"], learner)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/reset/{tampered}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3601)
    response = client.get(f"/reset/{token}")
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)


def test_reset_is_throttled(app, client, learner):
    app.config["RESET_LIMIT_PER_ACCOUNT"] = 2
    request_reset(client, learner.email)
    request_reset(client, learner.email)
    assert request_reset(client, learner.email).status_code == 429


def test_failed_logins_are_audited(client, learner):
    sign_in(client, learner.email, "not the password")
    count = db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "login.failed")
    )
    assert count == 1


def test_the_tick_clears_old_throttling_events(app, learner):
    """Throttle events older than a day go with the scheduler's tick; recent ones stay."""
    from datetime import timedelta

    from app.db import utcnow
    from app.platform.tick import run_tick
    from app.web.ratelimit import ThrottleEvent, note_event

    now = utcnow()
    note_event(
        db.session, "sign_in", account="old", address="10.0.0.1", now=now - timedelta(days=3)
    )
    note_event(db.session, "sign_in", account="new", address="10.0.0.1", now=now)
    db.session.commit()
    run_tick(db.session, now=now)
    db.session.commit()
    accounts = set(db.session.scalars(select(ThrottleEvent.account)))
    assert accounts == {"new"}
