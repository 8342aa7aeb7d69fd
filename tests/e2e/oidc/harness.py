"""Starts the test OpenID provider (panva's oidc-provider on Node.js) and stops it afterwards."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "counter-ready"
CLIENT_SECRET = "counter-ready-secret"
OTHER_CLIENT_ID = "other-app"
OTHER_CLIENT_SECRET = "other-app-secret"
START_SECONDS = 20


@dataclass(frozen=True)
class RunningProvider:
    """A running provider: its issuer URL and the settings that point the app at it."""

    issuer: str
    log_path: Path

    @property
    def discovery_url(self) -> str:
        """Return the provider's discovery document URL."""
        return f"{self.issuer}/.well-known/openid-configuration"

    def app_settings(self, **overrides: object) -> dict[str, object]:
        """Return the app configuration keys for single sign-on through this provider."""
        settings: dict[str, object] = {
            "OIDC_ISSUER": self.issuer,
            "OIDC_DISCOVERY_URL": self.discovery_url,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPES": "openid email profile hr",
            "OIDC_PROVIDER_NAME": "Jura ID",
            "OIDC_MATCH_BY": "hr_number",
            "OIDC_HR_NUMBER_CLAIM": "hr_number",
            "OIDC_JIT_UNIT": "",
            "LOCAL_PASSWORDS": True,
        }
        settings.update(overrides)
        return settings

    def log(self) -> str:
        """Return what the provider printed (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def no_node(reason: str) -> None:
    """Skip (or fail, when REQUIRE_BROWSER=1) because the provider cannot run here."""
    message = f"{reason}: the single sign-on tests run panva's oidc-provider on Node.js."
    if os.environ.get("REQUIRE_BROWSER", "") == "1":
        pytest.fail(message + " REQUIRE_BROWSER=1 is set, so this is an error.", pytrace=False)
    pytest.skip(message + " Install nodejs and npm (Debian packages) to run them.")


def install_provider() -> None:
    """Install the pinned provider from the lock file unless node_modules is there already."""
    installed = HERE / "node_modules" / "oidc-provider" / "package.json"
    if installed.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        no_node("npm was not found")
    # Test workers run side by side: one installs, the others wait (npm ci starts by
    # deleting node_modules, so two at once would pull it from under each other).
    with (HERE / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.exists():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HERE,
                check=True,
                timeout=300,
            )


@contextmanager
def running_provider(
    port: int, redirect_uris: list[str], post_logout_uris: list[str], log_dir: Path
) -> Iterator[RunningProvider]:
    """Run `node provider.mjs` on 127.0.0.1:port until the block ends."""
    node = shutil.which("node")
    if node is None:
        no_node("node was not found")
    install_provider()
    log_path = log_dir / "oidc-provider.log"
    provider = RunningProvider(issuer=f"http://127.0.0.1:{port}", log_path=log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, "provider.mjs", str(port), ",".join(redirect_uris), ",".join(post_logout_uris)],
            cwd=HERE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_discovery(provider, process)
            yield provider
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_for_discovery(provider: RunningProvider, process: subprocess.Popen) -> None:
    """Poll the discovery document until the provider answers (the process is starting)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the OpenID provider exited:\n{provider.log()}", pytrace=False)
        try:
            answer = requests.get(provider.discovery_url, timeout=2)
            if answer.status_code == 200 and answer.json().get("issuer") == provider.issuer:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"the OpenID provider did not start:\n{provider.log()}", pytrace=False)
