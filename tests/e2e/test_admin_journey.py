"""Administration in Chromium: a rollout by hand, axe on every admin page, reflow at 320 px."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.people.models import Role, Unit, User
from tests.e2e.browser import axe_scan, format_violations, scroll_width, sign_in
from tests.factories import PASSWORD, make_org, make_user


def admin_pages(org: Any, learner: User) -> list[str]:
    """Every administration page, with a person and a unit to show."""
    return [
        "/admin/",
        "/admin/units",
        f"/admin/units/{org.branch_a1.id}",
        f"/admin/units/{org.branch_a2.id}/close",
        "/admin/providers",
        "/admin/people",
        "/admin/people/new",
        f"/admin/people/{learner.id}/edit",
        f"/admin/people/{learner.id}/deactivate",
        f"/admin/people/{learner.id}/roles",
        "/admin/audit",
    ]


def test_an_admin_rolls_out_a_branch_in_the_browser(live_server, page):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN, language="en")
    base = live_server.url
    sign_in(page, base, admin.email, PASSWORD)
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Organisation tree").click()
    page.get_by_label("Name", exact=True).fill("Courgenay")
    page.get_by_label("Code").fill("ju-courgenay")
    page.get_by_label("Level").select_option("branch")
    page.get_by_label("Parent unit").select_option(label="\u2003Region A (ra)")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the unit").click()
    assert "Courgenay has been added." in page.inner_text("main")
    courgenay = db.session.scalar(select(Unit).where(Unit.code == "ju-courgenay"))

    page.goto(base + "/admin/people/new")
    page.get_by_label("First name").fill("Lina")
    page.get_by_label("Last name").fill("Rossi")
    page.get_by_label("E-mail address").fill("lina@example.org")
    page.get_by_label("Language").select_option("it")
    page.get_by_label("Unit").select_option(str(courgenay.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Add the person").click()
    assert "Lina Rossi has been added." in page.inner_text("main")

    page.get_by_label("Role", exact=True).select_option("manager")
    page.get_by_label("Unit (for a manager)").select_option(str(courgenay.id))
    with page.expect_navigation():
        page.get_by_role("button", name="Grant the role").click()
    assert "Courgenay and the units below it" in page.inner_text("main")

    lina = db.session.scalar(select(User).where(User.email == "lina@example.org"))
    page.goto(f"{base}/admin/people/{lina.id}/deactivate")
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, deactivate Lina Rossi").click()
    assert "Lina Rossi has been deactivated." in page.inner_text("main")
    db.session.expire_all()
    assert not db.session.get(User, lina.id).is_active

    page.goto(base + "/admin/audit?action=user.deactivated")
    assert "user.deactivated" in page.inner_text("main table")


def test_admin_pages_have_no_axe_violations_and_reflow(live_server, new_page):
    org = make_org()
    admin = make_user(org.network, Role.ADMIN, language="en")
    manager = make_user(org.region_a, Role.MANAGER, language="en")
    learner = make_user(org.branch_a1, Role.LEARNER, language="en")
    found: list[str] = []
    too_wide: list[str] = []
    page = new_page(bypass_csp=True)
    sign_in(page, live_server.url, admin.email, PASSWORD)
    for path in admin_pages(org, learner):
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        violations = axe_scan(page)
        if violations:
            found.append(format_violations(violations, path))
    # Forms answered with their errors are scanned too.
    page.goto(live_server.url + "/admin/people/new")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the person").click()
    violations = axe_scan(page)
    if violations:
        found.append(format_violations(violations, "people/new with errors"))
    narrow = new_page(viewport={"width": 320, "height": 640})
    sign_in(narrow, live_server.url, manager.email, PASSWORD)
    for path in (
        "/admin/",
        "/admin/people",
        "/admin/people/new",
        f"/admin/people/{learner.id}/roles",
    ):
        narrow.goto(live_server.url + path)
        width = scroll_width(narrow)
        if width > 321:
            too_wide.append(f"{path}: {width}px")
    assert not found, "\n\n".join(found)
    assert not too_wide, "horizontal scrolling at 320 px:\n" + "\n".join(too_wide)
