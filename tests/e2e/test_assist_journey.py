"""The counter assist log in Chromium: from the home page, three taps log an assist (the taps
are counted); the confirmation offers an undo; it works without JavaScript; the manager sees
it beside the branch's readiness. axe-core on the counter and the managers' page. With
SCREENSHOTS=1 the managers' page is saved as docs/screenshot-assists.png."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.assists.models import CounterAssist
from app.extensions import db
from app.people.models import Role
from tests.assists.helpers import NOW, make_tagged_module
from tests.e2e.browser import app_text, assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user
from tests.readiness.helpers import assign, complete, make_campaign

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-assists.png"
MIN_TARGET = 44  # px, the platform's touch-target size


@pytest.fixture
def app_config(app_config):
    # The campaign builders live in February 2027; the app's clock is moved there.
    app_config["CLOCK_OFFSET"] = NOW - datetime.now(UTC)
    return app_config


class Taps:
    """Counts the taps of a journey (each one a click on the page)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.count = 0

    def tap(self, locator: Any, *, navigates: bool = False) -> None:
        """Tap once (and wait for the page it opens, if any)."""
        self.count += 1
        if navigates:
            with self.page.expect_navigation():
                locator.click()
        else:
            locator.click()


def assert_big_enough(locator: Any) -> None:
    for index in range(locator.count()):
        box = locator.nth(index).bounding_box()
        assert box is not None
        assert box["width"] >= MIN_TARGET and box["height"] >= MIN_TARGET, box


def test_three_taps_log_an_assist_that_the_manager_sees(live_server, page, axe_page, new_page):
    app = live_server.app
    org = make_org()
    tax = make_tagged_module(
        org.provider, {"fr": ["impots", "declaration", "guichet-virtuel"]}, slug="impots"
    )
    campaign = make_campaign(org.network, [tax], name="Déclaration d'impôt 2027")
    helper = make_user(org.branch_a1, Role.LEARNER, language="fr")
    colleague = make_user(org.branch_a1, Role.LEARNER, language="fr")
    for person in (helper, colleague):
        assign(campaign, person)
    complete(helper, tax)
    manager = make_user(org.region_a, Role.MANAGER, language="fr")

    sign_in(page, live_server.url, helper.email, PASSWORD)
    taps = Taps(page)
    started = time.monotonic()
    # Tap 1: the home page's button opens the counter.
    taps.tap(page.get_by_role("link", name=app_text(app, "I helped a citizen")), navigates=True)
    tiles = page.locator(".assist-tile")
    expect(tiles).to_have_count(3)
    assert_big_enough(tiles)
    assert_big_enough(page.locator(".assist-outcome"))
    # Tap 2: the topic. Tap 3: how it ended, which logs it.
    taps.tap(page.locator(".assist-tile", has_text="impots"))
    expect(page.get_by_role("radio", name="impots")).to_be_checked()
    taps.tap(page.get_by_role("button", name=app_text(app, "Referred")), navigates=True)
    elapsed = time.monotonic() - started
    confirmation = page.get_by_role("status").filter(has_text="impots")
    expect(confirmation).to_contain_text(app_text(app, "Referred"))
    assert taps.count == 3
    assert elapsed < 5, f"three taps took {elapsed:.1f} s"
    print(f"assist logged in {taps.count} taps, {elapsed:.2f} s from the home page")
    db.session.expire_all()
    logged = db.session.scalars(select(CounterAssist)).all()
    assert [(a.topic, a.outcome.value) for a in logged] == [("impots", "referred")]

    # A wrong tap is undone from the confirmation (within a minute).
    page.locator(".assist-tile", has_text="declaration").click()
    page.get_by_role("button", name=app_text(app, "Solved")).click()
    page.wait_for_url("**/assists/counter?logged=*")
    page.get_by_role("button", name=app_text(app, "Undo")).click()
    expect(page.locator(".flashes")).to_contain_text(
        app_text(app, "Undone: that assist no longer counts.")
    )

    # Without JavaScript the same form works (radio tiles and submit buttons).
    plain = new_page(java_script_enabled=False)
    sign_in(plain, live_server.url, colleague.email, PASSWORD)
    plain.goto(live_server.url + "/assists/counter")
    plain.locator(".assist-tile", has_text="guichet-virtuel").click()
    plain.get_by_role("button", name=app_text(app, "Solved")).click()
    expect(plain.get_by_role("status").filter(has_text="guichet-virtuel")).to_be_visible()

    sign_in(axe_page, live_server.url, helper.email, PASSWORD)
    axe_page.goto(live_server.url + "/assists/counter")
    assert_no_axe_violations(axe_page)
    axe_page.locator(".assist-tile").first.click()
    assert_no_axe_violations(axe_page)

    # The manager sees the branch's assists beside its readiness (one of two people ready).
    boss = new_page()
    sign_in(boss, live_server.url, manager.email, PASSWORD)
    boss.goto(live_server.url + "/assists/branches")
    row = boss.locator("#assists-by-branch tbody tr", has_text="Branch A1")
    expect(row).to_contain_text("50")
    expect(row.locator("td.num strong")).to_have_text("2")  # the undone one does not count
    expect(row).to_contain_text("impots (1)")
    expect(boss.locator("#assists-by-branch tbody")).not_to_contain_text("Branch B1")
    boss_axe = new_page(bypass_csp=True)
    sign_in(boss_axe, live_server.url, manager.email, PASSWORD)
    boss_axe.goto(live_server.url + "/assists/branches")
    assert_no_axe_violations(boss_axe)
    if os.environ.get("SCREENSHOTS") == "1":
        boss.screenshot(path=str(SCREENSHOT), full_page=True)
