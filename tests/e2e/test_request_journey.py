"""A request followed like a parcel, in Chromium: a learner asks the trainers a question from
a module page, a trainer answers it from their inbox, the learner reads the answer in the
request's timeline and in the bell; axe-core finds nothing on the request pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.learner_requests.models import ProblemReport
from app.people.models import Role
from tests.e2e.browser import (
    assert_no_axe_violations,
    assert_no_csp_violations,
    scroll_width,
    sign_in,
)
from tests.factories import PASSWORD, make_org, make_user
from tests.tracking.helpers import make_module

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config: dict, smtp_server) -> dict:
    """Mail goes to the test SMTP server, so the answer's e-mail really leaves the outbox."""
    app_config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port})
    return app_config


def test_a_question_is_answered_and_followed_to_the_end(
    live_server, page, new_page, js_errors, smtp_server
):
    org = make_org()
    make_module(org.provider, slug="digital-post")
    learner = make_user(org.branch_a1, email="lea@example.org")
    trainer = make_user(org.network, Role.TRAINER, provider=org.provider, email="tom@example.org")
    base = live_server.url

    # The learner reads a page and asks the module's trainers a question from there.
    sign_in(page, base, learner.email, PASSWORD)
    page.goto(f"{base}/modules/digital-post/pages/1")
    page.get_by_role("link", name="Ask the trainers a question about this module").click()
    expect(page.locator("#module")).to_have_value("digital-post")
    page.locator("#subject").fill("Proxy access for a daughter")
    page.locator("#text").fill("Can a daughter read her mother's digital letters?")
    page.get_by_role("button", name="Send the question").click()
    expect(page.locator(".flash-success")).to_contain_text("Your question was received")
    expect(page.locator("h1")).to_have_text("Proxy access for a daughter")
    expect(page.locator(".tracker [aria-current=step]")).to_contain_text("Received")

    # The trainer finds it in their inbox and answers it, closing it in the same step.
    trainer_page = new_page()
    sign_in(trainer_page, base, trainer.email, PASSWORD)
    trainer_page.get_by_role("link", name="Requests to answer").click()
    trainer_page.get_by_role("link", name="Proxy access for a daughter").click()
    trainer_page.locator("#answer").fill("Yes, with read access: see page 3 of the module.")
    trainer_page.locator("#status").select_option("handled")
    trainer_page.get_by_role("button", name="Save and tell the person").click()
    expect(trainer_page.locator(".flash-success")).to_contain_text("has been told")
    expect(trainer_page.locator(".timeline")).to_contain_text("Yes, with read access")

    # The learner sees the answer in the timeline, the last step reached, and the notice.
    page.reload()
    expect(page.locator(".timeline")).to_contain_text("Yes, with read access: see page 3")
    expect(page.locator(".tracker [aria-current=step]")).to_contain_text("Answered")
    expect(page.locator(".tracker .is-done")).to_have_count(3)
    bell = page.locator("a.notice-bell")
    expect(bell).to_have_attribute("aria-label", "Notices: 1 unread")
    bell.click()
    notice = page.locator(".notice-list .notice").first
    expect(notice).to_contain_text("The trainers answered your request")
    notice.get_by_role("button", name="Open").click()
    expect(page.locator("h1")).to_have_text("Proxy access for a daughter")

    [mail] = smtp_server.messages
    assert mail["To"] == learner.email
    assert "Yes, with read access" in mail.get_body(("plain",)).get_content()
    assert_no_csp_violations(js_errors)


def test_request_pages_pass_axe(live_server, new_page):
    org = make_org()
    make_module(org.provider, slug="digital-post")
    learner = make_user(org.branch_a1, email="lea@example.org")
    trainer = make_user(org.network, Role.TRAINER, provider=org.provider, email="tom@example.org")
    base = live_server.url

    learner_page = new_page(bypass_csp=True)
    sign_in(learner_page, base, learner.email, PASSWORD)
    learner_page.goto(f"{base}/requests/ask?module=digital-post")
    assert_no_axe_violations(learner_page)
    learner_page.get_by_role("button", name="Send the question").click()  # empty: errors
    expect(learner_page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(learner_page)
    learner_page.locator("#subject").fill("Where is the proxy form?")
    learner_page.locator("#text").fill("I cannot find it.\nSecond line.")
    learner_page.get_by_role("button", name="Send the question").click()
    expect(learner_page.locator(".tracker")).to_be_visible()
    db.session.expire_all()
    request = db.session.scalars(select(ProblemReport)).one()

    trainer_page = new_page(bypass_csp=True)
    sign_in(trainer_page, base, trainer.email, PASSWORD)
    for path in ("/requests/inbox", f"/requests/inbox/{request.id}"):
        trainer_page.goto(base + path)
        assert_no_axe_violations(trainer_page)
    trainer_page.locator("#answer").fill("On page 2.")
    trainer_page.locator("#status").select_option("in_progress")
    trainer_page.get_by_role("button", name="Save and tell the person").click()
    expect(trainer_page.locator(".flash-success")).to_be_visible()
    assert_no_axe_violations(trainer_page)

    for path in (f"/requests/{request.id}", "/requests/", "/requests/new-module", "/home"):
        learner_page.goto(base + path)
        assert_no_axe_violations(learner_page)
    # The timeline at phone width too (reflow, WCAG 1.4.10).
    learner_page.set_viewport_size({"width": 320, "height": 640})
    learner_page.goto(f"{base}/requests/{request.id}")
    assert_no_axe_violations(learner_page)
    assert scroll_width(learner_page) <= 320
