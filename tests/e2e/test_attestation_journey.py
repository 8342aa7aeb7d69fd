"""Attesting in Chromium: a learner reads the shipped home-office agreement, types a wrong
password (told so on the form, nothing recorded), then the right one, opens the signed record,
prints it and checks it on the public page; the manager sees who has not confirmed; axe on
every page of the journey."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.content.importing import import_library
from app.extensions import db
from app.people.models import Role
from app.tracking.certificates import format_code
from app.tracking.models import Certificate, Statement
from app.tracking.statements import Verb
from tests.e2e.browser import app_text, assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user
from tests.tracking.helpers import T0

pytestmark = pytest.mark.browser

AGREEMENT = Path(__file__).resolve().parents[2] / "courses" / "engagement-teletravail"


def click_and_wait(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def scan(axe_page: Any, url: str) -> None:
    axe_page.goto(url)
    assert_no_axe_violations(axe_page)


def attested() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count(Statement.id)).where(Statement.verb == Verb.ATTESTED)
    )


def test_learner_confirms_the_agreement_and_prints_the_signed_record(
    live_server, page, axe_page, new_page, js_errors
):
    app = live_server.app
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER, language="fr")
    colleague = make_user(org.branch_a1, Role.LEARNER, language="fr")
    manager = make_user(org.branch_a1, Role.MANAGER, language="fr")
    import_library(db.session, [AGREEMENT], now=T0, major=None, actor=None)
    db.session.commit()
    sign_in(page, live_server.url, learner.email, PASSWORD)
    sign_in(axe_page, live_server.url, learner.email, PASSWORD)

    # The learner reads the agreement page by page; the last page asks for the confirmation.
    page.goto(live_server.url + "/modules/engagement-teletravail/pages/1")
    expect(page.locator("h1.reader-module")).to_have_text(
        "Engagement de confidentialité en télétravail"
    )
    scan(axe_page, live_server.url + "/modules/engagement-teletravail/pages/1")
    click_and_wait(page, page.locator("button[data-next-page]"))
    click_and_wait(page, page.locator("button[data-next-page]"))
    assert page.url.endswith("/modules/engagement-teletravail/pages/3")
    expect(page.locator("button[data-next-page]")).to_have_count(0)
    confirm_button = page.get_by_role("button", name=app_text(app, "Confirm with my password"))
    expect(confirm_button).to_be_visible()
    scan(axe_page, page.url)

    # A wrong password: a clear message on the form, and nothing recorded.
    password = page.get_by_label(app_text(app, "Your password"))
    password.fill("pas mon mot de passe")
    click_and_wait(page, confirm_button)
    error = app_text(app, "This password is not correct. Nothing was recorded.")
    expect(page.locator("#password-error")).to_have_text(error)
    expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[role=alert]")).to_contain_text(error)
    assert attested() == 0
    # The form with its error passes axe too (the same wrong password, in the axe page).
    axe_page.get_by_label(app_text(app, "Your password")).fill("pas mon mot de passe")
    click_and_wait(
        axe_page, axe_page.get_by_role("button", name=app_text(app, "Confirm with my password"))
    )
    expect(axe_page.locator("#password-error")).to_have_text(error)
    assert_no_axe_violations(axe_page)
    assert attested() == 0

    # The right password: recorded, and the signed record opens.
    page.get_by_label(app_text(app, "Your password")).fill(PASSWORD)
    click_and_wait(page, page.get_by_role("button", name=app_text(app, "Confirm with my password")))
    expect(page.locator(".flash-success")).to_contain_text(
        app_text(app, "Thank you. Your confirmation has been recorded.")
    )
    assert attested() == 1
    code = format_code(db.session.scalar(select(Certificate.code)))
    assert page.url.endswith(f"/attestations/records/{code}")
    expect(page.locator(".certificate-name")).to_have_text(learner.display_name)
    expect(page.locator(".certificate-code")).to_have_text(code)
    expect(page.locator(".record-text")).to_contain_text("pièce séparée")
    scan(axe_page, page.url)

    # Printed: only the record remains.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".attestation-record")).to_be_visible()
    expect(page.locator(".actions")).to_be_hidden()
    page.emulate_media(media="screen")

    # Anyone, signed out, can check it with the code printed on it.
    stranger = new_page()
    stranger.goto(live_server.url + "/attestations/verify")
    stranger.get_by_label(app_text(app, "Verification code")).fill(code.lower())
    click_and_wait(stranger, stranger.get_by_role("button", name=app_text(app, "Check")))
    expect(stranger.locator("#verification-result")).to_have_text(
        app_text(app, "Valid confirmation")
    )
    expect(stranger.locator("main")).to_contain_text(learner.display_name)
    expect(stranger.locator("main")).not_to_contain_text(learner.email)
    stranger_axe = new_page(bypass_csp=True)
    scan(stranger_axe, live_server.url + f"/attestations/verify/{code}")

    # The manager sees who has not confirmed yet.
    boss = new_page()
    sign_in(boss, live_server.url, manager.email, PASSWORD)
    boss.goto(live_server.url + "/attestations/")
    click_and_wait(
        boss, boss.get_by_role("link", name="Engagement de confidentialité en télétravail")
    )
    rows = boss.locator("tbody tr")
    expect(rows.first).to_contain_text(colleague.display_name)
    expect(rows.first.locator(".badge-bad")).to_have_text(app_text(app, "Not confirmed"))
    expect(boss.locator("tbody")).to_contain_text(learner.display_name)
    boss_axe = new_page(bypass_csp=True)
    sign_in(boss_axe, live_server.url, manager.email, PASSWORD)
    scan(boss_axe, boss.url)
    scan(boss_axe, live_server.url + "/attestations/")
