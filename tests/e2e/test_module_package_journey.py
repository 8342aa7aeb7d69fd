"""Module packages in Chromium: a trainer of provider A downloads a module as a package, a
trainer of provider B checks it and imports it as a copy, and a learner sees where it came from."""

from __future__ import annotations

import zipfile

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.content.models import Module
from app.extensions import db
from app.people.models import Role
from tests.e2e.browser import assert_no_axe_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user
from tests.module_packages.package_builders import shipped_module

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    app_config["PUBLIC_BASE_URL"] = "https://ready.jura.example"
    return app_config


def test_a_package_goes_from_provider_a_to_provider_b_and_the_learner_sees_its_origin(
    live_server, page, new_page, js_errors, tmp_path
):
    org = make_org()
    shipped_module(tmp_path / "library", provider=org.provider.slug)
    trainer_a = make_user(org.branch_a1, Role.TRAINER, provider=org.provider)
    trainer_b = make_user(org.branch_b1, Role.TRAINER, provider=org.other_provider)
    learner = make_user(org.branch_b1)
    original = db.session.scalar(select(Module).where(Module.slug == "tax-online"))

    # Provider A: choose a licence and download the package.
    sign_in(page, live_server.url, trainer_a.email, PASSWORD)
    page.goto(f"{live_server.url}/authoring/modules/{original.id}")
    share = page.locator("#share")
    share.locator("#licence").select_option("CC-BY-4.0")
    with page.expect_download() as download_info:
        share.get_by_role("button", name="Download the package").click()
    download = download_info.value
    assert download.suggested_filename == "tax-online-v1.zip"
    package = tmp_path / download.suggested_filename
    download.save_as(package)
    with zipfile.ZipFile(package) as archive:
        assert "courses/tax-online/media/login.png" in archive.namelist()

    # Provider B: upload, read the preview, import under an id of its own.
    other = new_page()
    sign_in(other, live_server.url, trainer_b.email, PASSWORD)
    other.goto(f"{live_server.url}/authoring/modules")
    with other.expect_navigation():
        other.get_by_role("link", name="Import a module package").click()
    other.set_input_files("#package", str(package))
    with other.expect_navigation():
        other.get_by_role("button", name="Check the package").click()
    assert other.url.endswith("/authoring/packages/import/preview")
    facts = other.locator("#package-facts")
    expect(facts).to_contain_text("Jura IT – https://ready.jura.example")
    expect(facts).to_contain_text("CC-BY-4.0")
    expect(other.locator("#package-plan")).to_contain_text("tax-online-bs-it-quiz")
    other.locator("#slug").fill("steuern-online")
    with other.expect_navigation():
        other.get_by_role("button", name="Import as my copy").click()
    expect(other.locator("#module-origin-facts")).to_contain_text("Jura IT")
    db.session.expire_all()
    copy = db.session.scalar(select(Module).where(Module.slug == "steuern-online"))
    assert copy is not None and copy.provider_id == org.other_provider.id
    assert other.url.endswith(f"/authoring/modules/{copy.id}")

    # The learner reads the copy and sees whose work it adapts, under which licence.
    reader = new_page()
    sign_in(reader, live_server.url, learner.email, PASSWORD)
    reader.goto(f"{live_server.url}/modules/steuern-online")
    origin = reader.locator("#module-origin")
    expect(origin).to_contain_text("Jura IT (ready.jura.example)")
    expect(origin.get_by_role("link", name="CC-BY-4.0")).to_have_attribute(
        "href", "https://spdx.org/licenses/CC-BY-4.0.html"
    )

    # The new pages pass axe (CSP bypassed for the scanner only).
    scanner = new_page(bypass_csp=True)
    sign_in(scanner, live_server.url, trainer_b.email, PASSWORD)
    for path in ("/authoring/packages/import", f"/authoring/modules/{copy.id}"):
        scanner.goto(live_server.url + path)
        assert_no_axe_violations(scanner, ("serious", "critical"))
    scanner.goto(f"{live_server.url}/authoring/packages/import")
    scanner.set_input_files("#package", str(package))
    with scanner.expect_navigation():
        scanner.get_by_role("button", name="Check the package").click()
    assert_no_axe_violations(scanner, ("serious", "critical"))
