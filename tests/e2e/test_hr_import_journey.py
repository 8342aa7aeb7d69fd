"""HR import and invitation in Chromium: an admin uploads a file whose name carries markup,
checks the dry run (nothing runs), imports, and the new person sets their password from the
invitation link and is signed in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.notifications.models import OutboxEmail
from app.people.hr_file import EXPORT_HEADER
from app.people.models import Role, User
from tests.e2e.browser import assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.xss=1">'


def test_import_preview_is_inert_and_the_invitation_signs_the_newcomer_in(
    live_server, page, new_page, js_errors
):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN)
    csv_text = "\r\n".join(
        [
            ";".join(EXPORT_HEADER),
            f"7001;{PAYLOAD};Muster;nina@example.org;a1;de;",
            "7002;Bad;Row;not-an-address;a1;;",
        ]
    )
    sign_in(page, live_server.url, admin.email, PASSWORD)
    page.goto(f"{live_server.url}/people/import")
    page.set_input_files(
        "#file",
        files=[{"name": "hr.csv", "mimeType": "text/csv", "buffer": csv_text.encode("utf-8")}],
    )
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert re.search(r"/people/import/\d+$", page.url)
    expect(page.locator("#import-creations")).to_contain_text(PAYLOAD)
    expect(page.locator("#import-errors")).to_contain_text("not-an-address")
    assert page.evaluate("window.xss") is None
    assert page.locator("#import-creations img").count() == 0
    # axe-core needs a page that lets it inject its script (CSP bypassed for the scan only).
    scanner = new_page(bypass_csp=True)
    sign_in(scanner, live_server.url, admin.email, PASSWORD)
    for url in (f"{live_server.url}/people/import", page.url):
        scanner.goto(url)
        assert_no_axe_violations(scanner, ("serious", "critical"))

    page.locator("#skip_errors").check()
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert page.url.endswith("/result")
    db.session.expire_all()
    nina = db.session.scalar(select(User).where(User.email == "nina@example.org"))
    assert nina is not None and nina.first_name == PAYLOAD

    mail = db.session.scalar(select(OutboxEmail).where(OutboxEmail.user_id == nina.id))
    link = re.search(r"https?://\S+/invitation/[\w.\-]+", mail.body_text).group(0)
    tablet = new_page()
    tablet.goto(live_server.url + "/" + link.split("/", 3)[3])
    assert tablet.evaluate("window.xss") is None
    tablet.locator("#password").fill("a tablet password of her own")
    tablet.locator("#confirm").fill("a tablet password of her own")
    with tablet.expect_navigation():
        tablet.locator("main form button[type=submit]").click()
    assert tablet.url == live_server.url + "/home"
    # The link is spent: opening it again says so.
    tablet.goto(live_server.url + "/" + link.split("/", 3)[3])
    expect(tablet.locator("[role=alert]").first).to_be_visible()
    assert tablet.evaluate("window.xss") is None
