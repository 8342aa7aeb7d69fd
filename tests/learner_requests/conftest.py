"""Request tests: a small organisation with two providers' modules, mail to a real SMTP server."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from app.people.models import Role, User
from tests.factories import make_org, make_user
from tests.tracking.helpers import Built, make_module


@pytest.fixture
def app_config(app_config: dict, smtp_server) -> dict:
    """The usual test configuration, with mail going to the test SMTP server (aiosmtpd)."""
    app_config.update(
        {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "CAMPAIGNS_BASE_URL": "https://ready.example.org",
        }
    )
    return app_config


@dataclass
class World:
    """Who and what the request tests use."""

    org: Any
    module: Built  # Jura IT's module
    other_module: Built  # Basel IT's module
    learner: User
    other_learner: User
    manager: User
    trainer: User  # Jura IT
    outsider: User  # a trainer of Basel IT
    admin: User


@pytest.fixture
def world(app) -> World:
    """Two providers' modules; a learner (German), another learner, a manager, two trainers."""
    org = make_org()
    return World(
        org=org,
        module=make_module(org.provider, slug="digital-post"),
        other_module=make_module(org.other_provider, slug="tax-online"),
        learner=make_user(org.branch_a1, email="lea@example.org", language="de"),
        other_learner=make_user(org.branch_a2, email="leo@example.org"),
        manager=make_user(org.region_a, Role.MANAGER, email="mia@example.org"),
        trainer=make_user(
            org.network, Role.TRAINER, provider=org.provider, email="tom@example.org"
        ),
        outsider=make_user(
            org.network, Role.TRAINER, provider=org.other_provider, email="bea@example.org"
        ),
        admin=make_user(org.network, Role.ADMIN, email="ada@example.org"),
    )
