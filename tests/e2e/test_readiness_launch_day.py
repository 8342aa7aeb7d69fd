"""Launch day in Chromium: 17 branches, nobody ready yet, and no branch is called "at risk".

The region's headline must be the sum of its branches. With SCREENSHOTS=1 the page is saved
as docs/screenshot-readiness-launch-day.png.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.db import utcnow
from app.extensions import db
from app.people.models import Role, UnitKind
from app.people.unit_operations import create_unit, get_or_create_provider
from tests.e2e.browser import assert_no_axe_violations, assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_user
from tests.readiness.helpers import NOW, assign, make_campaign, make_module

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-readiness-launch-day.png"
BRANCHES = 17


@pytest.fixture
def app_config(app_config):
    """The readiness clock: 15 February 2027."""
    app_config["CLOCK_OFFSET"] = NOW - utcnow()
    return app_config


def launch_day_region():
    """A canton's region of 17 branches whose campaign was assigned an hour ago."""
    network = create_unit(db.session, code="post", name="Post network", kind=UnitKind.NETWORK)
    region = create_unit(
        db.session, code="ju", name="Canton of Jura", kind=UnitKind.REGION, parent=network
    )
    branches = [
        create_unit(
            db.session,
            code=f"ju{n:02d}",
            name=f"Branch {n:02d}",
            kind=UnitKind.BRANCH,
            parent=region,
        )
        for n in range(1, BRANCHES + 1)
    ]
    db.session.commit()
    provider = get_or_create_provider(db.session, slug="canton-it", name="Canton IT")
    db.session.commit()
    setup = make_campaign(
        network,
        [make_module(provider, slug="virtual-counter"), make_module(provider, slug="tax-2027")],
        percent=80,
        assign_at=NOW - timedelta(hours=1),
        due_at=NOW + timedelta(days=28),
        name="Virtual counter 2027",
    )
    for index, branch in enumerate(branches):
        for _ in range(2 + index % 5):  # 2 to 6 people, so that the sum is not a multiple
            assign(setup, make_user(branch))
    manager = make_user(region, Role.MANAGER)
    return setup, region, manager


def test_launch_day_says_too_early_to_tell_for_every_branch(live_server, page, js_errors):
    setup, region, manager = launch_day_region()
    sign_in(page, live_server.url, manager.email, PASSWORD)
    page.goto(f"{live_server.url}/readiness/campaigns/{setup.campaign.id}/units/{region.id}")

    rows = page.locator("#units-table tbody tr")
    expect(rows).to_have_count(BRANCHES)
    assigned = ready = 0
    for index in range(BRANCHES):
        row = rows.nth(index)
        expect(row).to_contain_text("Too early to tell")
        expect(row).not_to_contain_text("At risk")
        cells = row.locator("td")
        assigned += int(cells.nth(0).inner_text())
        ready += int(cells.nth(1).inner_text())
    assert ready == 0
    summary = page.locator(".readiness-summary")
    expect(summary).to_contain_text("Too early to tell")
    expect(summary).not_to_contain_text("At risk")
    # The region's headline is the sum of its branches.
    expect(summary.locator("div", has_text="Ready").first.locator("dd")).to_have_text(
        f"{ready} / {assigned}"
    )
    expect(page.locator("main")).to_contain_text(
        f"Branches: {BRANCHES}, of which 0 at risk and {BRANCHES} too early to tell."
    )
    # No snapshot yet, so no trend chart: no note about which units the chart shows.
    expect(page.locator("#trend-note")).to_have_count(0)
    if os.environ.get("SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert_no_csp_violations(js_errors)


def test_launch_day_page_has_no_accessibility_violations(live_server, axe_page):
    setup, region, manager = launch_day_region()
    sign_in(axe_page, live_server.url, manager.email, PASSWORD)
    axe_page.goto(f"{live_server.url}/readiness/campaigns/{setup.campaign.id}/units/{region.id}")
    axe_page.wait_for_load_state("networkidle")
    assert_no_axe_violations(axe_page)
