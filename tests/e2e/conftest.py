"""Browser-test fixtures: the real app on a live server, and one Chromium shared by all tests.

- `live_server`: the test's `app` (its own migrated database, SQLite or PostgreSQL) served on
  127.0.0.1 by one werkzeug server per test session; each test plugs its app in and out.
- `browser`: one headless Chromium per session (system binary, nothing downloaded).
- `page`: a fresh context per test (1024x768, fr-CH), CSP enforced; `axe_page` bypasses CSP
  for axe-core only; `new_page(**options)` opens more (one per signed-in user, other sizes).
- `js_errors`: uncaught exceptions, console errors, CSP reports and broken sub-resources of
  every page above; the test fails at teardown unless it sets `js_errors.expected = True`.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.e2e.browser import (
    CHROMIUM_ARGS,
    LOCALE,
    VIEWPORT,
    JsErrors,
    chromium_executable,
    no_browser,
)

HERE = Path(__file__).resolve().parent
DRAIN_SECONDS = 10


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as `browser` (before `-m` selection runs)."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


# --- live server ----------------------------------------------------------------------------


class _AppSwitch:
    """The WSGI app of the shared server: forwards to the current test's app, counts requests."""

    def __init__(self) -> None:
        self.app: Any = None
        self._in_flight = 0
        self._idle = threading.Condition()

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        app = self.app
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"no test is using the live server now"]
        with self._idle:
            self._in_flight += 1
        # Flask has run the view and popped its contexts (the database session is back in
        # the pool) when the call returns; only streamed bodies would outlive it. Counting
        # on close() would not do: werkzeug skips it when the browser resets the socket.
        try:
            return app(environ, start_response)
        finally:
            self._finished()

    def _finished(self) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def unplug(self, timeout: float) -> bool:
        """Stop forwarding; wait for requests in flight so the app's engine can be disposed."""
        self.app = None
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)


@dataclass
class LiveServer:
    """The app under test, reachable over HTTP at `url` (no trailing slash)."""

    url: str
    app: Any
    server_errors: list[str] = field(default_factory=list)
    # A test that makes the server log errors on purpose sets this.
    allow_server_errors: bool = False

    def url_for(self, endpoint: str, **values: Any) -> str:
        """Return the absolute URL of a Flask endpoint on the live server."""
        from flask import url_for

        with self.app.test_request_context():
            return self.url + url_for(endpoint, **values)


class _ErrorLog(logging.Handler):
    """Collects what the app and werkzeug log at ERROR (tracebacks, refused endpoints)."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(level=logging.ERROR)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{record.name}: {self.format(record)}")


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not log every request (errors are still logged)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@pytest.fixture(scope="session")
def _live_server_thread() -> Iterator[tuple[Any, _AppSwitch]]:
    switch = _AppSwitch()
    server = make_server("127.0.0.1", 0, switch, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="live-server", daemon=True
    )
    thread.start()
    yield server, switch
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def live_server(app: Any, _live_server_thread: tuple[Any, _AppSwitch]) -> Iterator[LiveServer]:
    """Serve this test's app (and its database) over HTTP until the test ends.

    Create data with the factories (they commit) before the browser loads pages. The test
    body's session is the twin app's (see `tests.conftest.serving`): same database, its own
    connections, SQLite in autocommit so the test's reads never hold a lock the server needs.
    Objects loaded before the browser acted may be stale: `db.session.expire_all()` first.
    """
    server, switch = _live_server_thread
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    handler = _ErrorLog(live.server_errors)
    loggers = [logging.getLogger("app"), logging.getLogger("werkzeug")]
    for logger in loggers:
        logger.addHandler(handler)
    switch.app = app
    try:
        yield live
    finally:
        drained = switch.unplug(DRAIN_SECONDS)
        for logger in loggers:
            logger.removeHandler(handler)
    if not drained:
        warnings.warn(
            f"live server: requests still running {DRAIN_SECONDS}s after the test",
            stacklevel=1,
        )
    if live.server_errors and not live.allow_server_errors:
        pytest.fail("the server logged errors:\n" + "\n".join(live.server_errors), pytrace=False)


# --- browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless system Chromium for the whole session (fails or skips if missing)."""
    path = chromium_executable()
    if not os.path.exists(path):
        no_browser(f"Chromium was not found at {path}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        no_browser(f"Playwright is not installed ({exc})")
    playwright = sync_playwright().start()
    try:
        instance = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
    except Exception as exc:
        playwright.stop()
        no_browser(f"Chromium at {path} did not start: {exc}")
    yield instance
    instance.close()
    playwright.stop()


@pytest.fixture
def js_errors() -> JsErrors:
    """What went wrong in the browser during this test (every page the fixtures opened)."""
    return JsErrors()


def _safe_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:]


@pytest.fixture
def new_page(
    browser: Any, js_errors: JsErrors, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., Any]]:
    """Factory: `new_page(**context_options)` opens a page in a fresh browser context.

    Defaults: 1024x768 viewport, fr-CH locale, CSP enforced, 10 s timeouts. Pass
    `bypass_csp=True` only to run axe (see `tests.e2e.browser.axe_scan`).
    """
    contexts: list[Any] = []

    def open_page(**options: Any) -> Any:
        settings = {"viewport": dict(VIEWPORT), "locale": LOCALE, **options}
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        js_errors.attach(page)
        return page

    yield open_page
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        for index, context in enumerate(contexts):
            for number, page in enumerate(context.pages):
                shot = tmp_path / f"{_safe_name(request.node.nodeid)}-{index}-{number}.png"
                try:
                    page.screenshot(path=str(shot), full_page=True)
                    print(f"screenshot of {page.url}: {shot}")
                except Exception as exc:  # a crashed page must not hide the real failure
                    print(f"no screenshot of {page.url}: {exc}")
    for context in contexts:
        context.close()
    if call is not None and call.passed and not js_errors.expected:
        js_errors.assert_clean()


@pytest.fixture
def page(new_page: Callable[..., Any]) -> Any:
    """A page in a fresh context: tablet size, fr-CH, the app's CSP enforced."""
    return new_page()


@pytest.fixture
def axe_page(new_page: Callable[..., Any]) -> Any:
    """A page whose context bypasses CSP so axe-core can be injected (use it for scans only)."""
    return new_page(bypass_csp=True)
