"""Campaign tests run against a real SMTP server (aiosmtpd on loopback) in Zurich time."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config: dict, smtp_server) -> dict:
    """The usual test configuration, with mail going to the test SMTP server."""
    app_config.update(
        {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "BABEL_DEFAULT_TIMEZONE": "Europe/Zurich",
            "CAMPAIGNS_BASE_URL": "https://ready.example.org",
        }
    )
    return app_config


@pytest.fixture
def org(app):
    """The standard small organisation tree."""
    from tests.factories import make_org

    return make_org()
