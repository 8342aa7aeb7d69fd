"""Single sign-on callbacks against the real test provider: forged, replayed and foreign ones.

The app runs under the Flask test client (redirect URI http://localhost/sso/callback); the
provider (panva's oidc-provider on Node.js) is driven over HTTP like a browser would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import select

from app.extensions import db
from app.people.models import User
from app.people.sso_models import UserIdentity
from app.platform.audit import AuditEvent
from tests.conftest import free_port, get_csrf
from tests.e2e.oidc.harness import OTHER_CLIENT_ID, RunningProvider, running_provider
from tests.factories import make_org, make_user

APP = "http://localhost"


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningProvider]:
    """The provider, with the test client's host as the only client address."""
    log_dir: Path = tmp_path_factory.mktemp("oidc")
    with running_provider(
        free_port(), [f"{APP}/sso/callback"], [f"{APP}/sso/logged-out"], log_dir
    ) as provider:
        yield provider


@pytest.fixture
def sso_settings() -> dict:
    """Overrides of the provider's default app settings for one test."""
    return {}


@pytest.fixture
def app_config(app_config: dict, oidc_provider: RunningProvider, sso_settings: dict) -> dict:
    app_config.update(oidc_provider.app_settings(**sso_settings))
    return app_config


@pytest.fixture
def org(app):
    return make_org()


@pytest.fixture
def anna(org) -> User:
    person = make_user(org.branch_a1, email="a.muster@jura.example")
    person.hr_number = "HR-1001"
    db.session.commit()
    return person


def start(client, next_path: str = "") -> str:
    """Press the SSO button; return the provider's authorisation URL."""
    token = get_csrf(client)
    answer = client.post("/sso/login", data={"csrf_token": token, "next": next_path})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer.headers["Location"]


def at_provider(authorize_url: str, login: str, password: str) -> str:
    """Sign in and consent at the provider as a browser would; return the callback URL."""
    browser = requests.Session()
    url = authorize_url
    for _step in range(10):
        answer = browser.get(url, allow_redirects=False, timeout=10)
        if answer.status_code in (302, 303):
            url = urljoin(url, answer.headers["Location"])
            if url.startswith(APP):
                return url
            continue
        assert answer.status_code == 200, answer.text
        form = {"login": login, "password": password}
        action = "login" if 'id="op-login"' in answer.text else "confirm"
        answer = browser.post(f"{url}/{action}", data=form, allow_redirects=False, timeout=10)
        assert answer.status_code == 303, answer.text
        url = urljoin(url, answer.headers["Location"])
    raise AssertionError("the provider never sent the browser back")


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def refusals() -> list[str]:
    db.session.expire_all()
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sso.refused"))
    return [row.details["reason"] for row in rows]


def signed_in_user_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def test_callback_signs_in_once_and_a_replay_is_refused(client, anna, oidc_provider):
    callback = at_provider(start(client), "anna", "anna-secret")
    answer = client.get(path_of(callback))
    assert answer.status_code == 302 and answer.headers["Location"] == "/home"
    assert signed_in_user_id(client) == anna.get_id()
    assert refusals() == []

    # The same answer again (a stolen or replayed URL, in a fresh browser): state unknown.
    thief = client.application.test_client()
    replay = thief.get(path_of(callback))
    assert replay.status_code == 400
    assert "forged, used twice or has expired" in replay.get_data(as_text=True)
    assert signed_in_user_id(thief) is None
    assert refusals() == ["state"]


def test_the_page_asked_for_is_opened_after_sign_in(client, anna, oidc_provider):
    callback = at_provider(start(client, "/profile"), "anna", "anna-secret")
    assert client.get(path_of(callback)).headers["Location"] == "/profile"
    other = client.application.test_client()
    # An address on another site is never a place to go after sign-in.
    callback = at_provider(start(other, "https://evil.example/x"), "anna", "anna-secret")
    assert other.get(path_of(callback)).headers["Location"] == "/home"


def test_start_needs_the_csrf_token(client, oidc_provider):
    assert client.post("/sso/login", data={"next": ""}).status_code == 400


def test_tampered_state_is_refused(client, anna, oidc_provider):
    callback = at_provider(start(client), "anna", "anna-secret")
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    state = query["state"][0]
    # Change its first character (to one it is not: a state starting with "x" is 1 in 64).
    query["state"] = [("y" if state[0] == "x" else "x") + state[1:]]
    forged = client.get(f"{parts.path}?{urlencode(query, doseq=True)}")
    assert forged.status_code == 400
    assert signed_in_user_id(client) is None
    assert refusals() == ["state"]


def test_wrong_nonce_is_refused(client, anna, oidc_provider):
    callback = at_provider(start(client), "anna", "anna-secret")
    # The ID token answers another sign-in attempt than the one this browser started.
    with client.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_oidc_"))
        stored = session[key]
        stored["data"]["nonce"] = "a-nonce-from-another-attempt"
        session[key] = stored
    answer = client.get(path_of(callback))
    assert answer.status_code == 400
    assert "identity token is not valid" in answer.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    assert refusals() == ["id_token"]
    assert db.session.scalars(select(UserIdentity)).all() == []


def test_code_issued_to_another_client_is_refused(client, anna, oidc_provider):
    # An attacker's code, obtained through another client of the same provider, injected
    # into our callback with our state: the token endpoint refuses to exchange it for us.
    parts = urlsplit(start(client))
    query = parse_qs(parts.query)
    query["client_id"] = [OTHER_CLIENT_ID]
    foreign = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    callback = at_provider(foreign, "anna", "anna-secret")
    answer = client.get(path_of(callback))
    assert answer.status_code == 400
    assert "refused to confirm this sign-in" in answer.get_data(as_text=True)
    assert signed_in_user_id(client) is None
    assert refusals() == ["token"]


def test_missing_code_and_provider_errors_are_refused(client, anna, oidc_provider):
    start(client)
    assert client.get("/sso/callback?state=abc").status_code == 400
    denied = client.get("/sso/callback?error=access_denied&state=abc")
    assert denied.status_code == 400
    assert "access_denied" in denied.get_data(as_text=True)
    assert refusals() == ["missing_code", "provider_error"]


def test_unknown_person_is_refused_without_jit(client, org, oidc_provider):
    answer = client.get(path_of(at_provider(start(client), "bruno", "bruno-secret")))
    assert answer.status_code == 403
    assert "ask an administrator to add you" in answer.get_data(as_text=True)
    assert refusals() == ["unknown"]


@pytest.mark.parametrize("sso_settings", [{"OIDC_JIT_UNIT": "a2", "OIDC_MATCH_BY": "email"}])
def test_jit_creates_an_unknown_person_and_signs_them_in(client, org, oidc_provider):
    answer = client.get(path_of(at_provider(start(client), "bruno", "bruno-secret")))
    assert answer.status_code == 302
    bruno = db.session.scalar(select(User).where(User.email == "bruno.neu@example.ch"))
    assert (bruno.unit_id, bruno.hr_number, bruno.preferred_language) == (
        org.branch_a2.id,
        "HR-2002",
        "de",
    )
    assert signed_in_user_id(client) == bruno.get_id()
    link = db.session.scalar(select(UserIdentity))
    assert (link.user_id, link.subject, link.matched_by) == (
        bruno.id,
        "c0ffee-bruno-0002",
        "created",
    )


def test_log_out_sends_the_browser_to_the_provider(client, anna, oidc_provider):
    client.get(path_of(at_provider(start(client), "anna", "anna-secret")))
    answer = client.post("/logout", data={"csrf_token": get_csrf(client, "/profile")})
    assert answer.status_code == 302
    target = urlsplit(answer.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        f"{oidc_provider.issuer}/session/end"
    )
    query = parse_qs(target.query)
    assert query["post_logout_redirect_uri"] == [f"{APP}/sso/logged-out"]
    assert query["id_token_hint"][0].count(".") == 2
    assert signed_in_user_id(client) is None
    # Back from the provider with the state we sent: on to the sign-in page.
    back = client.get(f"/sso/logged-out?state={query['state'][0]}")
    assert back.status_code == 302 and back.headers["Location"] == "/login"


def test_password_sign_out_stays_local(client, anna, oidc_provider):
    from tests.factories import PASSWORD

    token = get_csrf(client)
    client.post("/login", data={"csrf_token": token, "email": anna.email, "password": PASSWORD})
    assert signed_in_user_id(client) == anna.get_id()
    answer = client.post("/logout", data={"csrf_token": get_csrf(client, "/profile")})
    assert answer.headers["Location"] == "/login"


@pytest.mark.parametrize("sso_settings", [{"LOCAL_PASSWORDS": False}])
def test_local_passwords_off_closes_password_sign_in(client, anna, oidc_provider):
    from tests.factories import PASSWORD

    page = client.get("/login").get_data(as_text=True)
    assert 'id="sso-button"' in page and 'name="password"' not in page
    token = get_csrf(client)
    answer = client.post(
        "/login", data={"csrf_token": token, "email": anna.email, "password": PASSWORD}
    )
    assert answer.status_code == 303
    assert signed_in_user_id(client) is None
    assert client.get("/reset").status_code == 303


def test_sign_in_page_names_the_provider_and_allows_its_origin(client, oidc_provider):
    answer = client.get("/login")
    assert "Jura ID" in answer.get_data(as_text=True)
    policy = answer.headers["Content-Security-Policy"]
    assert f"form-action 'self' {oidc_provider.issuer}" in policy


@pytest.mark.parametrize(
    "sso_settings",
    [{"OIDC_DISCOVERY_URL": f"http://127.0.0.1:{free_port()}/.well-known/openid-configuration"}],
)
def test_unreachable_provider_is_said_and_logged(client, oidc_provider):
    answer = client.post("/sso/login", data={"csrf_token": get_csrf(client), "next": ""})
    assert answer.status_code == 503
    assert "cannot be reached" in answer.get_data(as_text=True)
    assert refusals() == ["unreachable"]
