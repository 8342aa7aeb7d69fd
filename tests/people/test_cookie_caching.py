"""A response that sets a cookie is never cacheable by shared caches, and public pages such as
certificate checks set no cookie for anonymous visitors."""

from __future__ import annotations

import pytest
from flask import Response
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

from app.extensions import db
from app.people.models import User
from app.web.security_headers import keep_cookies_out_of_shared_caches
from tests.conftest import get_csrf, login_as
from tests.factories import make_org, make_user


def cache_control(response) -> ResponseCacheControl:
    return parse_cache_control_header(
        response.headers.get("Cache-Control"), cls=ResponseCacheControl
    )


def test_an_anonymous_certificate_check_sets_no_cookie_and_stays_publicly_cacheable(app, client):
    for path in ("/verify", "/verify/ABCD-EFGH-JKLM"):
        response = client.get(path)
        assert response.status_code in (200, 404)
        assert "Set-Cookie" not in response.headers, path
        directives = cache_control(response)
        assert directives.public and directives.max_age == 300, path


def test_a_public_page_that_does_set_a_cookie_becomes_private(app, client):
    # A failed language switch leaves a flash message; showing it rewrites the session cookie.
    client.post("/language", data={"language": "xx", "next": "/verify"})
    response = client.get("/verify/ABCD-EFGH-JKLM")
    assert "Set-Cookie" in response.headers
    directives = cache_control(response)
    assert directives.private and not directives.public
    assert directives.max_age == 300


def test_the_sign_in_page_sets_a_cookie_and_is_not_stored(app, client):
    response = client.get("/login")
    assert "Set-Cookie" in response.headers  # the CSRF token lives in the session
    assert cache_control(response).no_store


def test_static_files_carry_no_cookie_even_when_signed_in(app, client):
    login_as(client, make_user(make_org().branch_a1))
    response = client.get("/static/css/app.css")
    assert "Set-Cookie" not in response.headers
    assert cache_control(response).public


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("public, max-age=300", "private, max-age=300"),
        ("public, max-age=60, s-maxage=600", "private, max-age=60"),
        (None, "no-store"),
        ("no-cache", "no-store"),
        ("no-store", "no-store"),
        ("private, max-age=30", "private, max-age=30"),
    ],
)
def test_cookie_responses_are_kept_out_of_shared_caches(before, after):
    response = Response("x")
    if before:
        response.headers["Cache-Control"] = before
    response.set_cookie("session", "v")
    assert keep_cookies_out_of_shared_caches(response).headers["Cache-Control"] == after


def test_responses_without_cookies_keep_their_cache_policy():
    response = Response("x", headers={"Cache-Control": "public, max-age=300"})
    assert keep_cookies_out_of_shared_caches(response).headers["Cache-Control"] == (
        "public, max-age=300"
    )


def test_signed_out_language_switch_needs_no_session(app, client):
    response = client.post("/language", data={"language": "it", "next": "/login"})
    assert response.status_code == 303
    assert 'lang="it-CH"' in client.get("/login").get_data(as_text=True)


def test_signed_in_language_switch_still_needs_the_csrf_token(app, client):
    user = make_user(make_org().branch_a1, language="de")
    login_as(client, user)
    client.post("/language", data={"language": "it", "next": "/home"})
    assert db.session.get(User, user.id).preferred_language == "de"
    token = get_csrf(client, "/profile")
    client.post("/language", data={"csrf_token": token, "language": "it", "next": "/home"})
    db.session.expire_all()
    assert db.session.get(User, user.id).preferred_language == "it"
