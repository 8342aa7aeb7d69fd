"""The content feature plugs itself in: blueprints, permission rules, navigation, CLI, demo."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from app.people.forms import LANGUAGE_NAMES
from app.people.models import Role, User
from app.permissions import is_admin, register_rule, trainer_provider_ids
from app.platform.hooks import DEMO_LOADERS, HOME_PANELS, NAV_ENTRIES
from app.platform.reads import Deferred

VIEW_MODULE = "content.view_module"

# Language names in the interface language (for notes such as "not available in German").
LANGUAGE_LABELS = {"de": _l("German"), "fr": _l("French"), "it": _l("Italian"), "en": _l("English")}


def _may_view_module(user: User, module: Any) -> bool:
    """Learners see published modules; trainers of the provider and admins see every module."""
    from app.content.models import ModuleStatus

    if is_admin(user) or module.provider_id in trainer_provider_ids(user):
        return True
    return module.status == ModuleStatus.PUBLISHED and module.current_version_id is not None


def _continue_reading_panel(user: User, now: Any) -> Deferred | None:
    """Home panel: the modules the learner started, with a link to where they left off."""
    from app.content.reading import continue_reading

    if Role.LEARNER not in user.role_set:
        return None
    return continue_reading(user.id).then(_continue_panel)


def _continue_panel(rows: list[Any]) -> dict[str, Any] | None:
    return {"template": "content/_home_panel.html", "rows": rows} if rows else None


def load_demo_library(echo: Callable[[str], None] = print) -> None:
    """`flask demo`: import the shipped courses and quizzes (again: only what changed)."""
    from pathlib import Path

    from app.content.importing import import_library
    from app.extensions import db
    from app.timekeeping.clock import now

    paths = [current_app.config["COURSES_PATH"]]
    quizzes = current_app.config.get("QUIZZES_PATH")
    report = import_library(
        db.session,
        paths,
        now=now(),
        major=None,
        actor=None,
        quiz_paths=[quizzes] if quizzes and Path(quizzes).exists() else [],
    )
    echo(
        f"modules: {report.created} created, {report.new_versions} new version(s), "
        f"{report.unchanged} unchanged"
    )
    quizzes = report.quiz_report
    if quizzes is not None:
        echo(
            f"quizzes: {len(getattr(quizzes, 'created', []))} created, "
            f"{len(getattr(quizzes, 'updated', []))} new version(s), "
            f"{len(getattr(quizzes, 'unchanged', []))} unchanged"
        )


def register(app: Flask) -> None:
    """Register the content blueprints, rules, navigation, home panel, CLI and demo loader."""
    from app.content import editor_views  # noqa: F401 - adds the editor's routes to authoring_bp
    from app.content.authoring_views import bp as authoring_bp
    from app.content.cli import content_cli
    from app.content.reader_views import bp as content_bp

    max_upload = app.config.get("MAX_CONTENT_LENGTH") or 20 * 2**20
    app.config.setdefault("CONTENT_MAX_IMAGE_BYTES", min(5 * 2**20, max_upload))
    app.config.setdefault("CONTENT_MAX_VIDEO_BYTES", max_upload)
    app.config.setdefault("CONTENT_MAX_DOCUMENT_BYTES", min(10 * 2**20, max_upload))

    app.register_blueprint(content_bp)
    app.register_blueprint(authoring_bp)
    register_rule(VIEW_MODULE, _may_view_module)
    app.cli.add_command(content_cli)

    app.jinja_env.globals.update(
        content_language_names=LANGUAGE_LABELS, content_language_endonyms=LANGUAGE_NAMES
    )
    NAV_ENTRIES.connect_all(
        app,
        [
            (
                "content.catalogue_page",
                _l("Modules"),
                {Role.LEARNER, Role.TRAINER, Role.MANAGER, Role.ADMIN},
            ),
            ("authoring.modules", _l("Authoring"), {Role.TRAINER, Role.ADMIN}),
        ],
    )
    HOME_PANELS.connect(app, _continue_reading_panel)
    DEMO_LOADERS.connect(app, load_demo_library)
    # The tracking feature appends (session, user, page, now) callables here.
