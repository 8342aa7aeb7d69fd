"""Tracking in Chromium: read a module, pass its quiz, see it completed in "my learning",
open the certificate and check it on the public verification page; axe on each page."""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale, ngettext
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.people.models import Role
from app.tracking.certificates import format_code
from app.tracking.models import Certificate, Completion
from tests.e2e.browser import (
    app_text,
    assert_no_axe_violations,
    assert_no_csp_violations,
    scroll_width,
    sign_in,
)
from tests.factories import PASSWORD, make_org, make_user
from tests.tracking.helpers import make_module

pytestmark = pytest.mark.browser


def click_and_wait(page: Any, locator: Any) -> None:
    with page.expect_navigation():
        locator.click()


def scan(axe_page: Any, url: str) -> None:
    axe_page.goto(url)
    assert_no_axe_violations(axe_page)


def test_learner_reads_passes_and_gets_a_verifiable_certificate(
    live_server, page, axe_page, new_page, js_errors
):
    app = live_server.app
    org = make_org()
    learner = make_user(org.branch_a1, Role.LEARNER, language="fr")
    make_module(org.provider, slug="guichet-virtuel", languages={"fr": 3}, with_quiz=True)
    sign_in(page, live_server.url, learner.email, PASSWORD)
    sign_in(axe_page, live_server.url, learner.email, PASSWORD)

    # My learning is empty, then the learner reads the module page by page.
    page.goto(live_server.url + "/learning")
    expect(page.locator("main")).to_contain_text(
        app_text(app, "You have not started any module yet.")
    )
    page.goto(live_server.url + "/modules/guichet-virtuel/pages/1")
    click_and_wait(page, page.locator("button[data-next-page]"))

    # Half-way, my learning shows the progress and resumes on the next page in one tap.
    page.goto(live_server.url + "/learning")
    item = page.locator(".learning-item", has_text="guichet-virtuel")
    expect(item.locator("progress")).to_have_attribute("value", "1")
    with app.test_request_context(), force_locale("fr_CH"):
        progress = ngettext(
            "%(num)d of %(total)d pages read", "%(num)d of %(total)d pages read", 1, total=3
        )
    expect(item).to_contain_text(progress)
    scan(axe_page, live_server.url + "/learning")
    click_and_wait(page, item.locator(".learning-actions a"))
    assert page.url.endswith("/modules/guichet-virtuel/pages/2")
    click_and_wait(page, page.locator("button[data-next-page]"))
    click_and_wait(page, page.locator("button[data-next-page]"))

    # Every page read: the next step is the quiz, one tap away.
    page.goto(live_server.url + "/learning")
    item = page.locator(".learning-item", has_text="guichet-virtuel")
    click_and_wait(page, item.get_by_role("link", name=app_text(app, "Take the quiz"), exact=False))
    click_and_wait(page, page.locator("main form button[type=submit]"))
    for question in ("q1", "q2"):
        page.locator(f"#q-{question}-a").check()
    click_and_wait(page, page.locator('button[name="go"][value="finish"]'))
    click_and_wait(page, page.locator("main form button[type=submit]"))
    expect(page.locator(".result-summary")).to_contain_text(app_text(app, "Passed"))

    # My learning: completed, with the date, the score and the certificate.
    page.goto(live_server.url + "/learning")
    completed = page.locator("section[aria-labelledby=section-completed] .learning-item")
    expect(completed).to_have_count(1)
    expect(completed).to_contain_text("guichet-virtuel")
    expect(completed).to_contain_text("100")
    expect(completed.locator(".badge-ok")).to_have_text(app_text(app, "Completed"))
    db.session.expire_all()
    done = db.session.scalar(select(Completion))
    assert done is not None and done.score_percent == 100.0
    code = format_code(db.session.scalar(select(Certificate.code)))
    certificate_link = completed.get_by_role("link", name=app_text(app, "Certificate"), exact=False)
    expect(certificate_link).to_have_attribute("href", f"/learning/certificates/{code}")
    scan(axe_page, live_server.url + "/learning")

    click_and_wait(page, certificate_link)
    expect(page.locator(".certificate-name")).to_have_text(learner.display_name)
    expect(page.locator(".certificate-code")).to_have_text(code)
    scan(axe_page, page.url)
    # Printed, only the certificate remains.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".certificate")).to_be_visible()
    page.emulate_media(media="screen")

    # Anyone, signed out, can check it.
    stranger = new_page()
    stranger.goto(live_server.url + f"/verify/{code}")
    expect(stranger.locator("#verification-result")).to_have_text(
        app_text(app, "Valid certificate")
    )
    expect(stranger.locator("main")).to_contain_text(learner.display_name)
    expect(stranger.locator("main")).not_to_contain_text(learner.email)
    stranger_axe = new_page(bypass_csp=True)
    scan(stranger_axe, live_server.url + f"/verify/{code}")
    scan(stranger_axe, live_server.url + "/verify?code=AAAA-BBBB-CCCC")

    # A phone-sized screen does not scroll sideways.
    small = new_page(viewport={"width": 320, "height": 640})
    sign_in(small, live_server.url, learner.email, PASSWORD)
    small.goto(live_server.url + "/learning")
    assert scroll_width(small) <= 320
    assert_no_csp_violations(js_errors)
