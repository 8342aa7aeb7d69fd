"""The session cookie is written when the session changes, not re-signed on every page: a
signed-in page seen again within the minute sends no Set-Cookie, and the once-a-minute "seen"
stamp still slides the idle limit."""

from __future__ import annotations

import time

from tests.conftest import login_as
from tests.factories import make_org, make_user


def test_the_cookie_is_written_when_the_session_changes_not_on_every_page(app, client):
    login_as(client, make_user(make_org().branch_a1))
    with client.session_transaction() as session:
        session.permanent = True  # as app.people.sessions.start_session makes it
    client.get("/home")  # the first page may store the CSRF secret in the session

    again = client.get("/home")

    assert again.status_code == 200
    assert "Set-Cookie" not in again.headers

    two_minutes_ago = int(time.time()) - 120
    with client.session_transaction() as session:
        session["seen_at"] = two_minutes_ago

    later = client.get("/home")

    assert later.status_code == 200
    assert "Set-Cookie" in later.headers
    with client.session_transaction() as session:
        assert session["seen_at"] > two_minutes_ago
        assert session.permanent


def test_the_signing_keys_are_read_on_every_request_though_the_serializer_is_kept(app, client):
    login_as(client, make_user(make_org().branch_a1))
    assert client.get("/home").status_code == 200
    interface = app.session_interface.inner  # under app.api.auth's cookie-free API wrapper
    assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)
    old_key = app.config["SECRET_KEY"]

    app.config["SECRET_KEY"] = "a-rotated-secret-key-" + "y" * 40
    assert client.get("/home").status_code == 302  # the old cookie no longer signs anyone in

    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get("/home").status_code == 200  # unless the old key is still accepted
