"""A campaign scene shared by the readiness view, API and export tests (see `scene.py`)."""

from __future__ import annotations

import pytest

from app.db import utcnow
from tests.readiness.helpers import NOW
from tests.readiness.scene import Scene, build_scene


@pytest.fixture
def app_config(app_config):
    """Every readiness test runs on 15 February 2027 (the app's clock is shifted)."""
    app_config["CLOCK_OFFSET"] = NOW - utcnow()
    return app_config


@pytest.fixture
def scene(app) -> Scene:
    """The readiness scene (committed)."""
    return build_scene()
