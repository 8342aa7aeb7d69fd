"""Imports every feature's models so that the metadata (and Alembic) sees all tables."""

from __future__ import annotations


def import_all_models() -> None:
    """Import each feature's model module (the import registers its tables)."""
    import app.api.models
    import app.assessment.models
    import app.assists.models
    import app.campaigns.models
    import app.content.models
    import app.learner_requests.models
    import app.notifications.models
    import app.page_feedback.models
    import app.people.hr_models
    import app.people.models
    import app.people.sso_models
    import app.plain_language.models
    import app.platform.audit
    import app.readiness.models
    import app.tracking.models
    import app.web.ratelimit  # noqa: F401  (the sign-in throttle's counters)
