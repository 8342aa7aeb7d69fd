"""How attestations plug into the app: their pages, the reader's panel, the home panel and menu.

The pages are in `confirm_views` (by password), `sso_views` (by signing in again) and
`record_views` (the record, its public check, the managers' lists); importing them adds their
routes to the one blueprint.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.attestations import (
    confirm_views,  # noqa: F401 - adds confirming by password to bp
    record_views,  # noqa: F401 - adds the record, its check and the managers' lists to bp
    sso_views,  # noqa: F401 - adds confirming by signing in again to bp
)
from app.attestations.blueprint import bp
from app.attestations.panels import attestation_panel, home_panel
from app.people.models import Role
from app.platform.hooks import HOME_PANELS, NAV_ENTRIES


def register(app: Flask) -> None:
    """Plug attestations in: routes, the reader's panel, the home panel and navigation."""
    app.register_blueprint(bp)
    app.jinja_env.globals["attestation_panel"] = attestation_panel
    HOME_PANELS.connect(app, home_panel)
    NAV_ENTRIES.connect(
        app, ("attestations.overview", _l("Attestations"), {Role.MANAGER, Role.ADMIN})
    )
