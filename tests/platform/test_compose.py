"""compose.yaml, the reference deployment, stays in step with the app (no Docker engine here:
tests/platform/test_two_app_servers.py runs the same shape without containers)."""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

# Read by gunicorn.conf.py, the nginx and postfix images, or compose itself, not by the app.
NOT_APP_SETTINGS = {"GUNICORN_WORKERS", "FORWARDED_ALLOW_IPS", "RELAYHOST", "FLASK_APP"}


def _app_settings() -> set[str]:
    """Every environment variable the app reads (app/config.py and the app factory)."""
    source = (REPO / "app" / "config.py").read_text() + (REPO / "app" / "__init__.py").read_text()
    return set(re.findall(r'(?:env\.get|environ\.get|_int|_bool)\((?:env, )?"([A-Z_]+)"', source))


def _compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text())


def test_every_service_of_the_reference_deployment_is_there():
    services = _compose()["services"]
    assert {"db", "migrate", "app", "scheduler", "proxy", "mail"} <= set(services)
    assert services["migrate"]["command"] == ["flask", "db", "upgrade"]
    assert services["scheduler"]["command"][:3] == ["flask", "campaigns", "run-scheduler"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )


def test_the_app_services_set_only_settings_the_app_reads():
    known = _app_settings() | NOT_APP_SETTINGS
    assert {"DATABASE_URL", "SECRET_KEY", "PROXY_FIX_HOPS", "TRUSTED_HOSTS"} <= known
    environment = _compose()["services"]["app"]["environment"]
    example = (REPO / "deploy" / "compose.env.example").read_text()
    names = set(environment) | set(re.findall(r"^([A-Z_]+)=", example, re.M))
    assert names - known == set()


def test_the_image_copies_only_what_exists_and_installs_from_the_lock():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "--require-hashes" in dockerfile and "requirements/runtime.txt" in dockerfile
    for line in re.findall(r"^COPY (.+) \S+$", dockerfile, re.M):
        for path in line.split():
            assert (REPO / path).exists(), path
