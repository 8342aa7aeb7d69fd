"""Foundation journeys in Chromium: sign-in per role, sign-out, language, keyboard, reflow, axe."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.demo.command import DEMO_PASSWORD
from app.extensions import db
from app.people.models import Role, Unit, User
from app.people.reset_tokens import make_reset_token
from tests.e2e.browser import (
    app_text,
    assert_no_csp_violations,
    axe_scan,
    format_violations,
    scroll_width,
    sign_in,
    sign_out,
)
from tests.factories import PASSWORD, Org, make_org, make_user

pytestmark = pytest.mark.browser

FOCUS_IN_MAIN = "() => document.querySelector('main').contains(document.activeElement)"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-home.png"


@dataclass
class Cast:
    """One person per role in the standard small organisation."""

    org: Org
    learner: User
    trainer: User
    manager: User
    admin: User

    def credentials(self) -> dict[str, tuple[str, int]]:
        """Return the e-mail address and id of each role's person."""
        return {
            role: (getattr(self, role).email, getattr(self, role).id)
            for role in ("learner", "trainer", "manager", "admin")
        }


def make_cast() -> Cast:
    """Build the organisation and a learner, trainer, manager (region A) and admin (French)."""
    org = make_org()
    return Cast(
        org=org,
        learner=make_user(org.branch_a1, language="fr"),
        trainer=make_user(org.branch_a1, Role.TRAINER, provider=org.provider, language="fr"),
        manager=make_user(org.region_a, Role.MANAGER, language="fr"),
        admin=make_user(org.network, Role.ADMIN, language="fr"),
    )


def nav_paths(page: Any) -> list[str]:
    """Return the paths the main navigation links to."""
    return [a.get_attribute("href") for a in page.locator("nav.main-nav a").all()]


def headings(page: Any) -> list[str]:
    """Return the text of the section headings in <main>."""
    return [h.strip() for h in page.locator("main h2").all_inner_texts()]


def test_each_role_signs_in_through_the_form_and_gets_its_own_home(live_server, page, js_errors):
    cast = make_cast()
    app = live_server.app
    people = cast.credentials()
    unit_names = {u.name for u in db.session.scalars(select(Unit))}
    provider_name = cast.org.provider.name
    seen: dict[str, tuple[list[str], list[str]]] = {}

    for role, (email, _id) in people.items():
        sign_in(page, live_server.url, email, PASSWORD)
        assert page.url == live_server.url + "/home", role
        expect(page.locator("h1")).to_contain_text(getattr(cast, role).first_name)
        nav, sections = nav_paths(page), headings(page)
        seen[role] = (nav, sections)
        assert "/home" in nav and "/profile" in nav, (role, nav)
        listed = set(page.locator(".unit-list li").all_inner_texts())
        listed = {re.sub(r"\s*\(.*\)$", "", text).strip() for text in listed}
        if role in ("manager", "admin"):
            assert {"/units", "/people"} <= set(nav), (role, nav)
            assert app_text(app, "My units") in sections
        else:
            assert not {"/units", "/people"} & set(nav), (role, nav)
            assert app_text(app, "My units") not in sections
        if role == "learner":
            assert app_text(app, "My learning") in sections
            response = page.goto(live_server.url + "/units")
            assert response.status == 403
            expect(page.locator("h1")).to_have_text(
                app_text(app, "You do not have access to this page")
            )
        if role == "trainer":
            assert app_text(app, "Content I look after") in sections
            expect(page.locator("main")).to_contain_text(provider_name)
        if role == "manager":
            assert listed == {"Region A", "Branch A1", "Branch A2"}
        if role == "admin":
            assert listed == unit_names

        sign_out(page)
        assert page.url == live_server.url + "/login"
        expect(page.locator(".flash")).to_have_text(app_text(app, "You are signed out."))
        page.goto(live_server.url + "/home")
        assert page.url.startswith(live_server.url + "/login?next=")

    # Learner, trainer and manager each get their own panels; manager and admin differ by
    # the units listed (checked above). Navigation splits staff from management.
    assert len({tuple(seen[role][1]) for role in ("learner", "trainer", "manager")}) == 3
    assert seen["learner"][0] != seen["manager"][0]
    assert_no_csp_violations(js_errors)


def test_wrong_password_shows_the_error_and_keeps_the_address(live_server, page):
    email = make_user().email
    page.goto(live_server.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill("not the right password")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    assert posted.value.status == 401
    expect(page.locator(".flash-error")).to_have_text(
        app_text(live_server.app, "The e-mail address or the password is not correct.")
    )
    assert page.url.endswith("/login")
    expect(page.locator("#email")).to_have_value(email)
    expect(page.locator("#password")).to_have_value("")


def test_language_switcher_on_sign_in_page_switches_to_german(live_server, page):
    page.goto(live_server.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^fr\b"))
    page.locator("#language").select_option("de")
    with page.expect_navigation():
        page.locator("form.language-switcher button[type=submit]").click()
    assert page.url.endswith("/login")
    expect(page.locator("html")).to_have_attribute("lang", re.compile(r"^de\b"))
    expect(page.locator("#language")).to_have_value("de")
    expect(page.locator("main h1")).to_have_text(app_text(live_server.app, "Sign in", "de"))


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(live_server, page):
    manager = make_user(make_org().region_a, Role.MANAGER)
    email = manager.email
    for signed_in in (False, True):
        if signed_in:
            sign_in(page, live_server.url, email, PASSWORD)
        else:
            page.goto(live_server.url + "/login")
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link")
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["y"] >= 0, f"skip link off screen: {box}"
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_IN_MAIN), "Tab after the skip link left <main>"


def _luminance(rgb: tuple[int, ...]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG contrast ratio of two sRGB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


RING_JS = """(el) => {
  const style = getComputedStyle(el);
  let node = el.parentElement, bg = 'rgba(0, 0, 0, 0)';
  while (node && /rgba\\(.*, 0\\)$/.test(bg)) {
    bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  return {outline: style.outlineStyle !== 'none' ? style.outlineColor : null,
          shadow: style.boxShadow, background: bg};
}"""


def _colours(text: str | None) -> list[tuple[int, ...]]:
    return [
        tuple(int(float(v)) for v in m.split(",")[:3])
        for m in re.findall(r"rgba?\(([^)]*)\)", text or "")
    ]


def test_focus_ring_contrasts_with_its_surroundings(live_server, page):
    """WCAG 1.4.11: the keyboard focus indicator has 3:1 against what is next to it."""
    page.goto(live_server.url + "/login")
    weak: list[str] = []
    for selector in ("#language", "form.language-switcher button", "#email", "main a"):
        target = page.locator(selector).first
        for _press in range(40):
            if target.evaluate("(el) => el === document.activeElement"):
                break
            page.keyboard.press("Tab")
        else:
            pytest.fail(f"Tab never reached {selector}")
        ring = target.evaluate(RING_JS)
        background = _colours(ring["background"])[0]
        colours = _colours(ring["outline"]) + _colours(ring["shadow"])
        best = max((contrast(c, background) for c in colours), default=0.0)
        if best < 3:
            weak.append(f"{selector}: ring {colours} on {background}: {best:.2f}:1")
    assert not weak, "focus indicator below 3:1:\n" + "\n".join(weak)


def test_pages_reflow_at_320_css_pixels(live_server, new_page):
    cast = make_cast()
    people = cast.credentials()
    token = make_reset_token(live_server.app.config["SECRET_KEY"], cast.learner)
    page = new_page(viewport={"width": 320, "height": 640})
    too_wide: list[str] = []

    def check(path: str) -> None:
        page.goto(live_server.url + path)
        width = scroll_width(page)
        if width > 321:
            too_wide.append(f"{path}: {width}px")

    for path in ("/login", "/reset", f"/reset/{token}", "/reset/not-a-token", "/nowhere"):
        check(path)
    sign_in(page, live_server.url, people["admin"][0], PASSWORD)
    for path in ("/home", "/profile", "/units", "/people", f"/people/{people['manager'][1]}"):
        check(path)
    assert not too_wide, "horizontal scrolling at 320 px:\n" + "\n".join(too_wide)


def test_every_foundation_page_has_no_axe_violations(live_server, new_page):
    cast = make_cast()
    people = cast.credentials()
    token = make_reset_token(live_server.app.config["SECRET_KEY"], cast.learner)
    found: list[str] = []
    scanned: list[str] = []

    def scan(page: Any, label: str, path: str | None = None, status: int = 200) -> None:
        if path is not None:
            response = page.goto(live_server.url + path)
            assert response.status == status, f"{label}: {response.status}"
        scanned.append(label)
        violations = axe_scan(page)
        if violations:
            found.append(f"[{label}] " + format_violations(violations, page.url))

    page = new_page(bypass_csp=True)
    scan(page, "login", "/login")
    page.locator("main form button[type=submit]").click()  # empty form: field errors
    page.wait_for_load_state()
    scan(page, "login with field errors")
    page.locator("#email").fill(people["learner"][0])
    page.locator("#password").fill("wrong password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    scan(page, "login with wrong password")
    scan(page, "reset request", "/reset")
    scan(page, "reset form", f"/reset/{token}")
    page.locator("#password").fill("short")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    scan(page, "reset form with errors")
    scan(page, "reset invalid", "/reset/not-a-token", status=400)
    scan(page, "404 signed out", "/nowhere", status=404)

    pages_per_role = {
        "learner": [("/home", 200), ("/profile", 200), ("/units", 403)],
        "trainer": [("/home", 200)],
        "manager": [
            ("/home", 200),
            ("/units", 200),
            ("/people", 200),
            (f"/people/{people['learner'][1]}", 200),
        ],
        "admin": [
            ("/home", 200),
            (f"/people/{people['manager'][1]}", 200),
            ("/people?q=zzz-nobody", 200),
            ("/nowhere", 404),
        ],
    }
    for role, paths in pages_per_role.items():
        page = new_page(bypass_csp=True)
        sign_in(page, live_server.url, people[role][0], PASSWORD)
        for path, status in paths:
            scan(page, f"{role} {path}", path, status)

    assert len(scanned) == 20
    assert not found, "\n\n".join(found)


def test_manager_home_with_the_demo_data(app, live_server, page, tmp_path):
    """The README screenshot: a region manager's home with the demo network loaded."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    email = db.session.scalar(select(User.email).where(User.hr_number == "DEMO-M002"))
    sign_in(page, live_server.url, email, DEMO_PASSWORD)
    expect(page.locator("main h1")).to_contain_text("Philippe")
    expect(page.locator(".unit-list")).to_contain_text("Région Jura")
    assert page.locator(".unit-list li").count() == 18  # the region and its 17 branches
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        target = SCREENSHOT
    else:
        target = tmp_path / SCREENSHOT.name
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
