"""Single sign-on in Chromium against a real OpenID provider (panva's oidc-provider on Node.js).

Sign in through the provider (log-in, consent), land signed in as the person matched by HR
number; a tampered callback is refused and logged; log-out ends the session at the app and
at the provider; a deactivated person is refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.sso_models import UserIdentity
from app.platform.audit import AuditEvent
from tests.conftest import free_port
from tests.e2e.browser import app_text, assert_no_axe_violations
from tests.e2e.oidc.harness import RunningProvider, running_provider
from tests.factories import make_org, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def oidc_provider(
    _live_server_thread: tuple[Any, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningProvider]:
    """The provider, started once for this module, with the live server as its client."""
    server, _switch = _live_server_thread
    base = f"http://127.0.0.1:{server.server_port}"
    with running_provider(
        free_port(),
        [f"{base}/sso/callback"],
        [f"{base}/sso/logged-out"],
        tmp_path_factory.mktemp("oidc"),
    ) as provider:
        yield provider


@pytest.fixture
def app_config(app_config: dict, oidc_provider: RunningProvider) -> dict:
    """The app under test signs in through the test provider, matching by HR number."""
    app_config.update(oidc_provider.app_settings())
    return app_config


def audit(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def sign_in_at_provider(page: Any, login: str, password: str, *, consent: bool) -> None:
    """Fill the provider's sign-in page and, the first time, its consent page."""
    page.locator("#op-login").fill(login)
    page.locator("#op-password").fill(password)
    with page.expect_navigation():
        page.locator("#op-sign-in").click()
    if consent:
        with page.expect_navigation():
            page.locator("#op-allow").click()


def refusal_texts(app: Any, message: str) -> set[str]:
    return {app_text(app, message, lang) for lang in ("en", "fr")}


def test_sign_in_forged_callback_and_log_out(live_server, page, oidc_provider):
    org = make_org()
    anna = make_user(org.branch_a1, email="a.muster@jura.example", language="fr")
    anna.first_name, anna.last_name, anna.hr_number = "Anna", "Muster", "HR-1001"
    db.session.commit()
    base = live_server.url

    # Sign in: the button on the sign-in page, the provider's log-in and consent pages.
    page.goto(f"{base}/login")
    with page.expect_navigation():
        page.locator("#sso-button").click()
    assert page.url.startswith(oidc_provider.issuer + "/interaction/")
    sign_in_at_provider(page, "anna", "anna-secret", consent=True)
    assert page.url == live_server.url_for("main.home"), page.content()[:2000]
    assert page.locator("form.logout .who").inner_text() == "Anna Muster"

    links = db.session.scalars(select(UserIdentity)).all()
    assert [(i.user_id, i.issuer, i.subject, i.matched_by) for i in links] == [
        (anna.id, oidc_provider.issuer, "c0ffee-anna-0001", "hr_number")
    ]
    logins = audit("login.succeeded")
    assert [(e.actor_id, e.details.get("method")) for e in logins] == [(anna.id, "oidc")]
    db.session.refresh(anna)
    assert anna.last_login_at is not None

    # Log-out: the app's session ends, then the provider's (its confirmation page).
    with page.expect_navigation():
        page.locator("form.logout button[type=submit]").click()
    assert page.url.startswith(oidc_provider.issuer + "/session/end")
    with page.expect_navigation(url=f"{base}/login"):
        page.locator("button[name=logout]").click()
    page.goto(f"{base}/profile")
    assert page.url.startswith(f"{base}/login"), "the app session survived the log-out"

    # The provider forgot Anna too: the next sign-in asks for her password again.
    with page.expect_navigation():
        page.locator("#sso-button").click()
    assert page.locator("#op-login").is_visible(), "the provider session survived the log-out"

    # A forged callback (a state this browser never got) is refused and logged.
    response = page.goto(f"{base}/sso/callback?code=stolen-code&state=tampered-state")
    assert response.status == 400
    assert page.locator("#sso-refusal").inner_text() in refusal_texts(
        live_server.app,
        "This sign-in link is not valid: it was forged, used twice or has expired. "
        "Please start the sign-in again.",
    )
    assert page.locator("form.logout").count() == 0
    refused = audit("sso.refused")
    assert [e.details["reason"] for e in refused] == ["state"]


def test_deactivated_person_is_refused(live_server, page, oidc_provider):
    org = make_org()
    carla = make_user(org.branch_a1, email="carla@jura.example", is_active=False)
    carla.hr_number = "HR-3003"
    db.session.commit()
    base = live_server.url

    page.goto(f"{base}/login")
    with page.expect_navigation():
        page.locator("#sso-button").click()
    sign_in_at_provider(page, "carla", "carla-secret", consent=True)
    assert page.url.startswith(f"{base}/sso/callback")
    assert page.locator("#sso-refusal").inner_text() in refusal_texts(
        live_server.app,
        "Your account is deactivated. Please ask your manager or an administrator to "
        "reactivate it.",
    )
    assert page.locator("form.logout").count() == 0
    refused = audit("sso.refused")
    assert [(e.details["reason"], e.details["user_id"]) for e in refused] == [
        ("deactivated", carla.id)
    ]
    assert db.session.scalars(select(UserIdentity)).all() == []


def test_sign_in_and_refusal_pages_pass_axe(live_server, axe_page, oidc_provider):
    base = live_server.url
    axe_page.goto(f"{base}/login")
    assert axe_page.locator("#sso-button").inner_text() == app_text(
        live_server.app, "Sign in with %(provider)s", "fr", provider="Jura ID"
    )
    assert_no_axe_violations(axe_page)
    axe_page.goto(f"{base}/sso/callback?code=x&state=y")
    assert axe_page.locator("#sso-refusal").is_visible()
    assert_no_axe_violations(axe_page)
