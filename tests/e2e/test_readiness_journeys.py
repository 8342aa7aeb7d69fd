"""Readiness in Chromium: a region manager drills down to an overdue person and reminds them;
charts draw under the strict CSP; axe-core finds no violation on the readiness pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from app.db import utcnow
from app.extensions import db
from app.notifications.models import OutboxEmail
from tests.e2e.browser import assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD
from tests.readiness.helpers import NOW
from tests.readiness.scene import build_scene

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config):
    """The readiness scene's clock: 15 February 2027."""
    app_config["CLOCK_OFFSET"] = NOW - utcnow()
    return app_config


def test_region_manager_drills_down_to_an_overdue_person_and_reminds_them(
    live_server, page, js_errors
):
    scene = build_scene()
    cat = scene.people["cat"]
    sign_in(page, live_server.url, scene.region_a_manager.email, PASSWORD)

    page.locator("nav.main-nav").get_by_role("link", name="Readiness").click()
    page.get_by_role("link", name="Tax declaration 2027").click()
    expect(page.locator("h1")).to_contain_text("Region A")
    expect(page.locator("#units-table")).to_contain_text("Branch A2")
    expect(page.locator("#units-table")).not_to_contain_text("Branch B1")
    # The charts are drawn by Plotly from the app itself, without breaking the CSP.
    expect(page.locator("#chart-overdue[data-chart-drawn=true]")).to_have_count(1)
    expect(page.locator("#chart-overdue .main-svg").first).to_be_visible()
    # The heat map is a shaded table: every cell written as a number.
    expect(page.locator("#chart-heat td.heat").first).to_be_visible()

    page.locator("#units-table").get_by_role("link", name="Branch A1").click()
    expect(page.locator(".breadcrumb")).to_contain_text("Region A")
    expect(page.locator(".breadcrumb [aria-current=page]")).to_have_text("Branch A1")
    page.locator("#people-table").get_by_role("link", name="Cat Muster").click()

    expect(page.locator("h1")).to_have_text("Cat Muster")
    expect(page.locator("#person-modules")).to_contain_text("Overdue")
    page.get_by_role("button", name="Send a reminder to Cat Muster").click()
    expect(page.locator(".flashes")).to_contain_text("A reminder has been sent to Cat Muster")
    expect(page.locator("main")).to_contain_text("was reminded today")

    db.session.expire_all()
    emails = db.session.query(OutboxEmail).filter_by(user_id=cat.id).all()
    assert len(emails) == 1
    # Back up the breadcrumb to the region: Cat is marked as reminded in the overdue list.
    page.locator(".breadcrumb").get_by_role("link", name="Region A").click()
    overdue = page.locator("table.overdue-table")
    expect(overdue.locator("tr", has_text="Cat Muster")).to_contain_text("Reminded today")
    assert_no_csp_violations(js_errors)


def test_readiness_pages_have_no_accessibility_violations(live_server, axe_page):
    scene = build_scene()
    c = scene.campaign_id
    sign_in(axe_page, live_server.url, scene.network_manager.email, PASSWORD)
    for path in (
        "/readiness/",
        f"/readiness/campaigns/{c}",
        f"/readiness/campaigns/{c}/units/{scene.org.region_a.id}",
        f"/readiness/campaigns/{c}/units/{scene.org.region_a.id}?trend=all",
        f"/readiness/campaigns/{c}/units/{scene.org.branch_a1.id}",
        f"/readiness/campaigns/{c}/people/{scene.people['cat'].id}",
        f"/readiness/campaigns/{c}/overdue",
    ):
        axe_page.goto(live_server.url + path)
        axe_page.wait_for_load_state("networkidle")
        assert_no_axe_violations(axe_page)


def test_trainer_and_learner_pages_have_no_accessibility_violations(live_server, axe_page):
    scene = build_scene()
    sign_in(axe_page, live_server.url, scene.trainer.email, PASSWORD)
    for path in (
        "/readiness/quizzes",
        f"/readiness/quizzes/{scene.quiz.slug}",
        "/readiness/feedback",
        "/readiness/modules",
        f"/readiness/modules/{scene.setup.modules[0].id}",
    ):
        axe_page.goto(live_server.url + path)
        axe_page.wait_for_load_state("networkidle")
        assert_no_axe_violations(axe_page)


def test_launch_day_readiness_says_too_early_to_tell(live_server, axe_page, tmp_path):
    """On the day the assignments go out, no branch is "at risk" with a 0 % forecast."""
    from datetime import timedelta

    from app.campaigns.models import Campaign

    scene = build_scene()
    campaign = db.session.get(Campaign, scene.campaign_id)
    campaign.assign_at = NOW - timedelta(hours=2)
    campaign.due_at = NOW + timedelta(days=28)
    db.session.commit()
    sign_in(axe_page, live_server.url, scene.region_a_manager.email, PASSWORD)
    axe_page.goto(f"{live_server.url}/readiness/campaigns/{scene.campaign_id}")
    summary = axe_page.locator(".readiness-summary")
    expect(summary).to_contain_text("Too early to tell")
    expect(axe_page.locator("#units-table")).not_to_contain_text("At risk")
    expect(axe_page.locator(".method-note").first).to_contain_text("How the forecast works")
    axe_page.screenshot(path=str(tmp_path / "launch-day-readiness.png"), full_page=True)
    assert_no_axe_violations(axe_page)
