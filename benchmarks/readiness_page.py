"""How soon a readiness page is usable in Chromium, with a cold and a warm cache.

    .venv/bin/python benchmarks/readiness_page.py [--runs 5]

Loads the demo (`flask demo`, SQLite, a temporary directory), serves it under gunicorn as the
benchmark does, signs the Jura region's manager in through the form in Debian's Chromium
(Playwright, headless) and opens the campaign's readiness page for the region: first with an
empty cache, then again with a warm one, `--runs` times each. It prints, per load, the times
from navigation start (the page's own Navigation Timing): the HTML parsed (every
table and figure in the page, before the deferred chart scripts run), every chart
drawn (readiness-charts.js marks each chart once plotly.js has built it) and the load
event, and the bytes of script fetched from the network (0 when the cache served them).
Figures only: no assertion, no timing test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench import commands, server  # noqa: E402

MANAGER = "philippe.crevoisier@post.example.org"  # the Jura region's manager in the demo
PASSWORD = "counter-ready-2027"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Everything measured from the navigation's start, in the page's own clock.
TIMINGS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const scripts = performance.getEntriesByType('resource')
    .filter((r) => r.initiatorType === 'script');
  return {
    parsed: nav.domInteractive,
    load: nav.loadEventEnd,
    charts: window.__chartsDrawn,
    scriptBytes: scripts.reduce((sum, r) => sum + r.transferSize, 0),
    html: nav.transferSize,
  };
}"""
# Notes when every chart on the page is drawn (readiness-charts.js marks each one once
# plotly.js has built it), in the page's clock.
WATCH_CHARTS = """(() => {
  new MutationObserver((_changes, observer) => {
    const charts = document.querySelectorAll('.chart[data-figure]');
    const drawn = document.querySelectorAll('.chart[data-chart-drawn]');
    if (charts.length && drawn.length === charts.length) {
      window.__chartsDrawn = performance.now();
      observer.disconnect();
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-chart-drawn']});
})();"""


def _flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "flask"), *args],
        cwd=REPO,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _load(page, url: str) -> dict[str, float]:
    page.goto(url, wait_until="load")
    page.wait_for_function("() => window.__chartsDrawn !== undefined", timeout=30_000)
    return page.evaluate(TIMINGS)


def main() -> None:
    """Load the demo, serve it, and print the readiness page's timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="readiness-page-"))
    (work / "instance").mkdir()
    env = commands.environment(f"sqlite:///{work / 'demo.sqlite3'}", work / "instance")
    try:
        _flask(env, "db", "upgrade")
        _flask(env, "demo")
        running = server.start(REPO, REPO / ".venv" / "bin", env)
        try:
            _measure(running.base, args.runs)
        finally:
            running.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(base: str, runs: int) -> None:
    from playwright.sync_api import sync_playwright

    url = f"{base}/readiness/campaigns/1/units/2"  # the demo's campaign, the Jura region
    results: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1024, "height": 768})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.locator("#email").fill(MANAGER)
            page.locator("#password").fill(PASSWORD)
            with page.expect_navigation():
                page.locator("#password").press("Enter")
            page.add_init_script(WATCH_CHARTS)
            results["cold"].append(_load(page, url))  # nothing of the page cached yet
            results["warm"].append(_load(page, url))  # scripts and stylesheet from the cache
            context.close()
        browser.close()
    print(f"# Readiness page of a region in Chromium, {runs} runs per cache state: {url}")
    print("| cache | HTML parsed ms | charts drawn ms | load event ms | script KB fetched |")
    print("|---|---|---|---|---|")
    for state, loads in results.items():
        print(
            f"| {state} | {_median(loads, 'parsed')} | {_median(loads, 'charts')} | "
            f"{_median(loads, 'load')} | {_kilobytes(loads)} |"
        )
    print("(medians; each ms figure is from the navigation's start)")


def _kilobytes(loads: list[dict[str, float]]) -> str:
    return f"{statistics.median(load['scriptBytes'] for load in loads) / 1024:.0f}"


def _median(loads: list[dict[str, float]], key: str) -> str:
    values = [load[key] for load in loads]
    return f"{statistics.median(values):.0f} (max {max(values):.0f})"


if __name__ == "__main__":
    main()
