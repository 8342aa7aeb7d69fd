"""Imports every feature's models so that the metadata (and Alembic) sees all tables."""

import importlib

FEATURE_MODEL_MODULES = (
    "app.people.models",
    "app.people.sso_models",
    "app.people.hr_models",
    "app.audit",
    "app.ratelimit",
    "app.notifications.models",
    "app.content.models",
    "app.assessment.models",
    "app.tracking.models",
    "app.campaigns.models",
    "app.readiness.models",
    "app.assists.models",
    "app.plain_language.models",
    "app.learner_requests.models",
    "app.api.models",
)


def import_all_models() -> None:
    """Import the model modules that exist (features land one by one)."""
    for name in FEATURE_MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
