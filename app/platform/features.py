"""The one list of the platform's features, in the order they plug into the app.

Each feature's `register(app)` adds its blueprints, CLI commands, permission rules and hook
receivers (`app.platform.hooks`). Nothing else wires features together.
"""

from __future__ import annotations

from flask import Flask


def register_features(app: Flask) -> None:
    """Plug every feature into `app`."""
    from app.api import views as api_views
    from app.assessment import item_analysis_views
    from app.assessment import views as assessment_views
    from app.assists import views as assists_views
    from app.attestations import views as attestations_views
    from app.campaigns import views as campaigns_views
    from app.content import views as content_views
    from app.job_aids import views as job_aids_views
    from app.learner_requests import views as learner_requests_views
    from app.module_packages import views as module_packages_views
    from app.page_feedback import views as page_feedback_views
    from app.people import admin_views, hr_import_views, sso
    from app.plain_language import views as plain_language_views
    from app.readiness import views as readiness_views
    from app.tracking import views as tracking_views

    for feature in (
        content_views,
        assessment_views,
        tracking_views,
        attestations_views,
        campaigns_views,
        item_analysis_views,  # before readiness: the trainers' menu keeps its order
        page_feedback_views,
        readiness_views,
        api_views,
        learner_requests_views,
        admin_views,
        sso,
        hr_import_views,
        job_aids_views,
        assists_views,
        module_packages_views,
        plain_language_views,
    ):
        feature.register(app)
