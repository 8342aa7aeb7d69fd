"""Journeys without dead ends (issue 12), in Chromium with axe on every page:

- a learner reads a module to its last page, is led to the quiz, fails, sees when the next
  attempt opens and what to re-read (and no answer key), passes, and opens the certificate;
- a manager plans a campaign "in weeks 46-47" and widens it from 3 pilot branches to the 17 of
  the region without pulling in the region's staff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.campaigns.models import Campaign
from app.extensions import db
from app.people.models import Role, UnitKind
from app.people.unit_operations import create_unit
from tests.assessment.quiz_factories import make_quiz
from tests.campaigns.builders import make_module as make_campaign_module
from tests.e2e.browser import assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user
from tests.tracking import helpers as tracking

pytestmark = pytest.mark.browser

QUIZ = """\
id: path-check
module: {module}
title: Path check
pass_mark: 100
attempts: 3
cooldown_minutes: 10
questions:
  - id: login
    type: single
    stem: How does the person sign in?
    explanation: SECRET-EXPLANATION only the eID is accepted.
    options:
      - id: eid
        text: With their eID
        correct: true
      - id: avs
        text: With their AVS number
        feedback: SECRET-FEEDBACK the AVS number is no log-in.
"""


def scan(axe_page: Any, url: str) -> None:
    """Open `url` in the CSP-free scanning context and fail on any axe violation."""
    axe_page.goto(url)
    assert_no_axe_violations(axe_page)


def click(page: Any, locator: Any) -> None:
    """Click something that loads a new page, and wait for it."""
    with page.expect_navigation():
        locator.click()


def test_module_last_page_quiz_fail_reread_pass_certificate(live_server, page, axe_page, js_errors):
    app = live_server.app
    org = make_org()
    learner = make_user(org.branch_a1, language="en")
    built = tracking.make_module(org.provider, languages={"en": 2})
    slug = built.module.slug
    quiz = make_quiz(org.provider, QUIZ.format(module=slug), module=built.module)
    base = live_server.url
    sign_in(page, base, learner.email, PASSWORD)
    sign_in(axe_page, base, learner.email, PASSWORD)

    # The module, then its pages; the last page's button leads to the quiz.
    page.goto(f"{base}/modules/{slug}")
    expect(page.get_by_role("link", name="Go to the quiz")).to_be_visible()
    scan(axe_page, page.url)
    click(page, page.get_by_role("link", name="Start", exact=True))
    scan(axe_page, page.url)
    click(page, page.locator("[data-next-page]"))
    assert page.url.endswith(f"/modules/{slug}/pages/2")
    scan(axe_page, page.url)
    click(page, page.locator("[data-next-page]"))
    assert page.url.endswith(f"/quizzes/{quiz.slug}")
    expect(page.locator(".flash-success")).to_contain_text("Now check what you learnt")
    expect(page.locator("main")).to_contain_text("shown once you have passed, or after")
    scan(axe_page, page.url)

    # A wrong answer: not passed, no answer key, when to retry and what to re-read.
    click(page, page.locator("main form button[type=submit]"))
    page.locator("#q-login-avs").check()
    click(page, page.locator('button[name="go"][value="finish"]'))
    click(page, page.locator("main form button[type=submit]"))
    result_url = page.url
    expect(page.locator(".result-summary")).to_contain_text("Not passed")
    expect(page.locator("#cooldown")).to_be_visible()
    reread = page.locator("#reread")
    expect(reread.locator("li a")).to_have_count(2)
    expect(reread.get_by_role("link", name="Start reading again")).to_have_attribute(
        "href", f"/modules/{slug}/pages/1"
    )
    assert "SECRET-" not in page.content()
    expect(page.locator("main button", has_text="Start attempt")).to_have_count(0)
    scan(axe_page, result_url)

    # Re-read the first page from the result, then wait out the cool-down.
    click(page, reread.locator("li a").first)
    assert page.url.endswith(f"/modules/{slug}/pages/1")
    app.config["CLOCK_OFFSET"] = timedelta(minutes=11)
    page.goto(result_url)
    expect(page.locator("#cooldown")).to_have_count(0)
    click(page, page.locator(".result-summary form button[type=submit]"))
    page.locator("#q-login-eid").check()
    click(page, page.locator('button[name="go"][value="finish"]'))
    click(page, page.locator("main form button[type=submit]"))

    # Passed: the key is shown now, no other attempt is offered, the certificate is one click.
    expect(page.locator(".result-summary")).to_contain_text("Passed")
    expect(page.locator("main")).to_contain_text("SECRET-EXPLANATION")
    expect(page.locator("main button", has_text="Start attempt")).to_have_count(0)
    scan(axe_page, page.url)
    click(page, page.get_by_role("link", name="See my certificate"))
    assert "/learning/certificates/" in page.url
    expect(page.locator("main")).to_contain_text(built.module.slug)
    scan(axe_page, page.url)
    assert_no_csp_violations(js_errors)


def test_campaign_in_weeks_46_47_widened_from_3_branches_to_17(
    live_server, page, axe_page, js_errors
):
    org = make_org()
    region = org.region_a  # branches A1 and A2, and 15 more: the canton's 17
    branches = [org.branch_a1, org.branch_a2] + [
        create_unit(
            db.session, code=f"a{n}", name=f"Branch A{n:02d}", kind=UnitKind.BRANCH, parent=region
        )
        for n in range(3, 18)
    ]
    db.session.commit()
    for branch in branches:
        make_user(branch, language="en")  # one learner per branch
    manager = make_user(region, Role.MANAGER, language="en", email="mia@example.org")
    make_user(region, Role.TRAINER, provider=org.provider, language="en")
    make_user(branches[4], Role.MANAGER, language="en")  # a branch manager, staff too
    make_campaign_module(org.provider, "proxy-access", titles={"en": "Proxy access"})
    base = live_server.url
    sign_in(page, base, manager.email, PASSWORD)
    sign_in(axe_page, base, manager.email, PASSWORD)

    page.goto(f"{base}/campaigns/new")
    scan(axe_page, page.url)
    page.locator("#name_en").fill("Digital post weeks 46-47")
    page.locator("#description_en").fill("Proxy and read access for **relatives**.")
    page.locator("#description_de").fill("Vollmacht und Lesezugriff für **Angehörige**.")
    page.locator("#assign_on").fill("2027-10-11")
    page.locator("#due_on").fill("2027-11-14")
    page.locator("#starts_week").fill("2027-W46")
    page.locator("#ends_week").fill("2027-W47")
    # The weeks fill the dates at once (and the server again on save).
    expect(page.locator("#starts_on")).to_have_value("2027-11-15")
    expect(page.locator("#ends_on")).to_have_value("2027-11-28")
    click(page, page.get_by_role("button", name="Create the draft"))
    expect(page.locator(".campaign-when")).to_contain_text("Weeks 46-47 2027")
    expect(page.locator(".prose")).to_contain_text("Proxy and read access for relatives.")
    scan(axe_page, page.url)
    db.session.expire_all()
    campaign = db.session.scalar(select(Campaign))
    assert campaign.audience_roles == [Role.LEARNER.value]

    page.locator("#module").select_option(label="Proxy access (proxy-access)")
    click(page, page.get_by_role("button", name="Add the module"))

    # The pilot: three branches.
    click(page, page.get_by_role("link", name="Audience", exact=True))
    for branch in branches[:3]:
        page.locator("#unit-unit").select_option(value=str(branch.id))
        click(page, page.get_by_role("button", name="Add the unit"))
    expect(page.locator(".big-number")).to_contain_text("3 people")
    scan(axe_page, page.url)

    # The whole region: its 17 branches' learners, not the region's manager or trainer.
    page.locator("#unit-unit").select_option(value=str(region.id))
    click(page, page.get_by_role("button", name="Add the unit"))
    expect(page.locator(".big-number")).to_contain_text("17 people")
    expect(page.locator("main")).not_to_contain_text("mia@example.org")
    scan(axe_page, page.url)
    assert_no_csp_violations(js_errors)
