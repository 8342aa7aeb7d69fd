"""Browser-test helpers: sign-in through the real form, axe scans, JS-error and CSP collectors."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import app_text  # noqa: F401  (re-exported for the browser tests)

# Debian's chromium runs as root in containers only without the sandbox; the other switches
# stop it from phoning home (component updates, sync, QUIC probes) so runs stay offline.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# A counter-desk tablet: the size every journey is checked at unless a test says otherwise.
VIEWPORT = {"width": 1024, "height": 768}
LOCALE = "fr-CH"

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


def chromium_executable() -> str:
    """Return the system Chromium (no `playwright install`: nothing can be downloaded)."""
    return shutil.which("chromium") or "/usr/bin/chromium"


def browser_required() -> bool:
    """Tell whether a missing browser must fail the run (CI sets REQUIRE_BROWSER=1)."""
    return os.environ.get("REQUIRE_BROWSER", "") == "1"


def no_browser(reason: str) -> None:
    """Fail (when the browser is required) or skip the test, with a message saying why."""
    message = f"{reason}. Browser tests use the system Chromium: `apt-get install -y chromium`."
    if browser_required():
        pytest.fail(message + " REQUIRE_BROWSER=1 is set, so this is an error.", pytrace=False)
    pytest.skip(message + " Set REQUIRE_BROWSER=1 to make this a failure.")


# --- journeys -------------------------------------------------------------------------------


def sign_in(page: Any, base_url: str, email: str, password: str) -> None:
    """Open the sign-in page, fill the real form and submit it; waits for the next page."""
    page.goto(f"{base_url}/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def sign_out(page: Any) -> None:
    """Press the sign-out button in the header; waits for the sign-in page."""
    with page.expect_navigation():
        page.locator("form.logout button[type=submit]").click()


# --- accessibility --------------------------------------------------------------------------


def axe_source() -> str:
    """Return the axe-core script bundled with axe-playwright-python (no download needed)."""
    from axe_playwright_python.base import AXE_SCRIPT

    return AXE_SCRIPT


def axe_scan(page: Any, *, tags: tuple[str, ...] = AXE_TAGS) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations (axe's own dicts).

    The page must come from the `axe_page` fixture (a context with `bypass_csp=True`). axe is
    injected with `add_script_tag(content=...)`, i.e. an inline <script>, which the app's
    `script-src 'self'` policy refuses; bypassing CSP only in the scanning context keeps the
    CSP checks of the ordinary `page` fixture meaningful.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "resultTypes": ["violations"],
    }
    results = page.evaluate("async (options) => await window.axe.run(document, options)", options)
    return results["violations"]


def format_violations(violations: list[dict[str, Any]], url: str = "") -> str:
    """Describe violations for a failure message: rule id, impact, help and every node."""
    lines = [f"{len(violations)} accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} [{violation.get('impact')}] {violation['help']}"
            f" ({violation.get('helpUrl', '')})"
        )
        for node in violation.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}: {node.get('html', '')[:160]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


def assert_no_axe_violations(
    page: Any, impacts: tuple[str, ...] | None = None, *, tags: tuple[str, ...] = AXE_TAGS
) -> None:
    """Fail when axe finds violations of the given impacts (None: any impact at all)."""
    wanted = impacts or ALL_IMPACTS
    violations = [v for v in axe_scan(page, tags=tags) if (v.get("impact") or "minor") in wanted]
    if violations:
        text = format_violations(violations, page.url)
        print(text)
        pytest.fail(text, pytrace=False)


# --- JavaScript errors and CSP violations ---------------------------------------------------


@dataclass
class JsErrors:
    """Everything that went wrong inside the browser while a test ran."""

    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_resources: list[str] = field(default_factory=list)
    # A test that provokes errors on purpose sets this so the fixture does not fail it.
    expected: bool = False

    def attach(self, page: Any) -> JsErrors:
        """Listen to uncaught exceptions, console errors and failed sub-resources of `page`."""
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("console", self._on_console)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_request_failed)
        return self

    def _on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        text = message.text
        # Pages answer 400/401/403/404 on purpose (form errors, denials); Chromium logs each
        # such document as "Failed to load resource". Broken sub-resources are caught below.
        if text.startswith("Failed to load resource"):
            return
        self.console_errors.append(text)

    def _on_response(self, response: Any) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            self.failed_resources.append(f"{response.status} {response.url}")

    def _on_request_failed(self, request: Any) -> None:
        # ERR_ABORTED: the page navigated on before the fetch ended (the favicon, typically).
        if request.resource_type != "document" and request.failure != "net::ERR_ABORTED":
            self.failed_resources.append(f"{request.failure} {request.url}")

    @property
    def csp_violations(self) -> list[str]:
        """Console reports of things the Content-Security-Policy refused."""
        return [t for t in self.console_errors if "Content Security Policy" in t]

    @property
    def all(self) -> list[str]:
        """Every problem collected so far, one line each."""
        return [
            *(f"uncaught: {e}" for e in self.page_errors),
            *(f"console: {e}" for e in self.console_errors),
            *(f"resource: {e}" for e in self.failed_resources),
        ]

    def clear(self) -> None:
        """Forget what was collected (after a step that provokes errors on purpose)."""
        self.page_errors.clear()
        self.console_errors.clear()
        self.failed_resources.clear()

    def assert_clean(self) -> None:
        """Fail when any JS error, console error or failed sub-resource was seen."""
        if self.all:
            pytest.fail("errors in the browser:\n" + "\n".join(self.all), pytrace=False)


def assert_no_csp_violations(errors: JsErrors) -> None:
    """Fail when the browser reported a Content-Security-Policy violation."""
    if errors.csp_violations:
        pytest.fail(
            "Content-Security-Policy violations:\n" + "\n".join(errors.csp_violations),
            pytrace=False,
        )


def scroll_width(page: Any) -> int:
    """Return the document's scroll width (more than the viewport means horizontal scroll)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth"))
