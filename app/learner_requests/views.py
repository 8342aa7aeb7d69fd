"""How requests plug into the app: the pages, permission rules, notice words, menu and home panel.

The pages are in `my_requests_views` (the person who asked) and `inbox_views` (the trainers);
importing them adds their routes to the one blueprint.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.campaigns import phrases
from app.extensions import db
from app.learner_requests import (
    access,
    inbox_views,  # noqa: F401 - adds the trainers' inbox to bp
    my_requests_views,  # noqa: F401 - adds the asker's pages to bp
    queries,
)
from app.learner_requests.pages import HANDLERS, bp, page_language
from app.learner_requests.words import (
    NOTICE_KIND,
    RequestWords,
    status_label,
)
from app.people.models import Role, User
from app.permissions import register_rule
from app.platform.hooks import HOME_PANELS, NAV_ENTRIES
from app.platform.reads import Deferred


def _home_panel(user: User, now: Any) -> Deferred:
    """Home panel: my requests not yet handled, and (trainers) how many wait for an answer."""
    waiting = queries.open_inbox_count(db.session, user) if access.is_request_handler(user) else 0
    # One more than shown, to know whether to offer "more" (the panel shows five).
    requests = queries.my_open_requests(user.id, page_language(), limit=6)
    return requests.then(lambda rows: _requests_panel(rows, waiting))


def _requests_panel(rows: list[Any], waiting: int) -> dict[str, Any] | None:
    if not rows and not waiting:
        return None
    return {
        "template": "learner_requests/_home_panel.html",
        "rows": rows[:5],
        "more": len(rows) > 5,
        "waiting": waiting,
        "status_label": status_label,
    }


def register(app: Flask) -> None:
    """Register the blueprint, permission rules, notice words, navigation and home panel."""
    app.register_blueprint(bp)
    register_rule(access.VIEW_REQUEST, access.may_view_request)
    register_rule(access.HANDLE_REQUEST, access.may_handle_request)
    phrases.register_kind(NOTICE_KIND, RequestWords)
    everyone = {Role.LEARNER, Role.TRAINER, Role.MANAGER, Role.ADMIN}
    NAV_ENTRIES.connect_all(
        app,
        [
            ("requests.mine", _l("My requests"), everyone),
            ("requests.inbox", _l("Requests to answer"), set(HANDLERS)),
        ],
    )
    HOME_PANELS.connect(app, _home_panel)
