"""Campaign journeys in Chromium: a manager creates and schedules a campaign; the scheduler
sends it out; the learner sees the bell; axe-core finds nothing on the campaign pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.campaigns.links import unsubscribe_token
from app.campaigns.models import Campaign, CampaignState
from app.db import utcnow
from app.extensions import db
from app.people.models import Role
from tests.campaigns.builders import make_campaign, make_module, tick
from tests.e2e.browser import assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser


def test_a_manager_creates_and_schedules_a_campaign(live_server, page, new_page, js_errors):
    org = make_org()
    manager = make_user(org.region_a, Role.MANAGER, email="mia@example.org")
    learner = make_user(org.branch_a1, Role.LEARNER, email="lea@example.org")
    make_module(org.provider, "tax-basics", titles={"en": "Tax basics", "fr": "Impôts"})
    base = live_server.url

    sign_in(page, base, manager.email, PASSWORD)
    page.get_by_role("link", name="Campaigns", exact=True).click()
    expect(page.locator("h1")).to_have_text("Campaigns")
    page.get_by_role("link", name="New campaign").click()

    # A mistake first: the due date before the assignment date is named at the field.
    page.locator("#name_en").fill("Tax season 2027")
    page.locator("#theme_en").fill("March: the tax declaration")
    page.locator("#description_en").fill("Everything about **the tax declaration**.")
    page.locator("#due_on").fill("2020-01-01")
    page.get_by_role("button", name="Create the draft").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("The due date must be after the date assignments go out.")
    expect(page.locator("#due_on")).to_have_attribute("aria-invalid", "true")
    page.locator("#due_on").fill("2099-12-01")
    page.locator("#starts_on").fill("2099-12-01")
    page.locator("#ends_on").fill("2099-12-31")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator("h1")).to_contain_text("Tax season 2027")
    expect(page.locator(".lifecycle [aria-current=step]")).to_contain_text("Draft")

    # Scheduling without modules and audience explains what is missing.
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".error-summary")).to_contain_text("Add at least one required module")
    expect(page.locator(".error-summary")).to_contain_text("The audience is empty")

    page.locator("#module").select_option(label="Tax basics (tax-basics)")
    page.get_by_role("button", name="Add the module").click()
    expect(page.locator("#modules table")).to_contain_text("Tax basics")

    page.get_by_role("link", name="Audience", exact=True).click()
    page.locator("#unit-unit").select_option(value=str(org.branch_a1.id))
    page.get_by_role("button", name="Add the unit").click()
    expect(page.locator(".big-number")).to_contain_text("1 person")
    page.get_by_role("link", name="Tax season 2027").click()

    page.get_by_role("button", name="Schedule").click()
    expect(page.locator(".flash-success")).to_contain_text("scheduled")
    expect(page.locator(".lifecycle [aria-current=step]")).to_contain_text("Scheduled")

    db.session.expire_all()
    campaign = db.session.scalar(select(Campaign))
    assert campaign.state == CampaignState.SCHEDULED

    # The scheduler runs on the assignment date; the learner's bell shows one notice.
    tick(campaign.assign_at, deliver=False)
    learner_page = new_page()
    sign_in(learner_page, base, learner.email, PASSWORD)
    bell = learner_page.locator("a.notice-bell")
    expect(bell).to_have_attribute("aria-label", "Notices: 1 unread")
    bell.click()
    expect(learner_page.locator(".notice-list")).to_contain_text("Tax season 2027")
    learner_page.get_by_role("link", name="Home", exact=True).click()
    learner_page.get_by_role("link", name="My campaigns").click()
    expect(learner_page.locator("main")).to_contain_text("Tax basics")
    expect(learner_page.locator("main .badge-bad")).to_have_count(0)
    # Two days after the due date (the app's clock moved, as a test may): overdue.
    live_server.app.config["CLOCK_OFFSET"] = campaign.due_at + timedelta(days=2) - utcnow()
    try:
        learner_page.reload()
        expect(learner_page.locator("main .badge-bad")).to_have_text("overdue")
    finally:
        live_server.app.config.pop("CLOCK_OFFSET", None)
    assert_no_csp_violations(js_errors)


def _campaign_pages(org: Any, manager: Any) -> tuple[Campaign, list[str]]:
    module = make_module(org.provider, "tax-basics", titles={"en": "Tax basics"})
    other = make_module(org.provider, "tax-online", titles={"en": "Online"})
    campaign = make_campaign(
        owner_unit=org.region_a,
        modules=[module, other],
        units=[org.region_a],
        schedule=True,
        roles=[],  # everyone: the manager is the only person in region A here
    )
    tick(campaign.assign_at, deliver=False)
    cm = campaign.modules[1]
    return campaign, [
        "/campaigns",
        "/campaigns/new",
        "/campaigns/calendar?from=2027-01",
        f"/campaigns/{campaign.id}",
        f"/campaigns/{campaign.id}/edit",
        f"/campaigns/{campaign.id}/audience",
        f"/campaigns/{campaign.id}/close",
        f"/campaigns/{campaign.id}/modules/{cm.id}/remove",
        "/notices",
        "/notices/settings",
        "/my-campaigns",
        "/home",
    ]


def test_campaign_pages_pass_axe(live_server, axe_page):
    org = make_org()
    manager = make_user(org.region_a, Role.MANAGER, email="mia@example.org")
    campaign, paths = _campaign_pages(org, manager)
    base = live_server.url
    sign_in(axe_page, base, manager.email, PASSWORD)
    for path in paths:
        axe_page.goto(base + path)
        assert_no_axe_violations(axe_page)
    # A form with errors, and the page with a feed address shown once.
    axe_page.goto(f"{base}/campaigns/new")
    axe_page.locator("#name_en").fill("")
    axe_page.get_by_role("button", name="Create the draft").click()
    expect(axe_page.locator(".error-summary")).to_be_visible()
    assert_no_axe_violations(axe_page)
    axe_page.goto(f"{base}/campaigns/{campaign.id}")
    axe_page.get_by_role("button", name="Make a calendar address").click()
    expect(axe_page.locator(".secret")).to_be_visible()
    assert_no_axe_violations(axe_page)
    # The unsubscribe page, signed out.
    with live_server.app.app_context():
        token = unsubscribe_token(manager.id)
    axe_page.context.clear_cookies()
    axe_page.goto(f"{base}/unsubscribe/{token}")
    assert_no_axe_violations(axe_page)
    axe_page.locator("main form button[type=submit]").click()
    expect(axe_page.locator("[role=status]")).to_be_visible()
    assert_no_axe_violations(axe_page)
