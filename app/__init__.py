"""The readiness platform: application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, NamedTuple

from flask import Flask, request, url_for
from flask_babel import lazy_gettext as _l

from app.config import load_settings
from app.i18n.languages import LANGUAGES
from app.platform.hooks import NAV_ENTRIES, TICK_TASKS

__all__ = ["create_app"]


def _configure_logging(level: str) -> None:
    # LOG_LEVEL is for the platform's own loggers; libraries speak up only from WARNING (their
    # INFO lines, such as Alembic's plugin set-up, are noise for an operator).
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("app").setLevel(level)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, blueprints, CLI."""
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    settings = load_settings(Path(app.instance_path))
    app.config.from_mapping(settings.flask_config())
    app.config["MAIL_DELIVERY"] = os.environ.get("MAIL_DELIVERY", "thread")
    app.config["LANGUAGES"] = LANGUAGES
    app.config["COURSES_PATH"] = os.environ.get(
        "COURSES_PATH", str(Path(app.root_path).parent / "courses")
    )
    app.config["QUIZZES_PATH"] = os.environ.get(
        "QUIZZES_PATH", str(Path(app.root_path).parent / "quizzes")
    )
    app.config["UPLOAD_PATH"] = os.environ.get(
        "UPLOAD_PATH", str(Path(app.instance_path) / "uploads")
    )
    if test_config:
        app.config.update(test_config)
    _configure_logging(app.config["LOG_LEVEL"])
    if app.config.get("ENV_NAME") == "production" and app.debug:
        raise RuntimeError("debug mode must not be on in production")

    if app.config.get("TRUSTED_HOSTS"):
        from app.web.links import refuse_untrusted_hosts

        app.wsgi_app = refuse_untrusted_hosts(app.wsgi_app, app.config["TRUSTED_HOSTS"])  # type: ignore[method-assign]
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        # Behind a reverse proxy: trust its X-Forwarded-* headers, exactly `hops` of them, so
        # absolute links (e-mails, iCal, API paging) and client addresses are the real ones.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )

    _init_extensions(app)
    _register_blueprints(app)
    _register_hooks(app)
    _register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from app.db import configure_engine
    from app.extensions import babel, csrf, db, login_manager, migrate
    from app.i18n.formatting import format_date, format_datetime, format_decimal, format_percent
    from app.i18n.request_language import (
        TranslatingRequest,
        install_template_gettext,
        request_locale,
    )
    from app.people.sessions import SignedCookieSessions
    from app.platform.model_registry import import_all_models

    import_all_models()

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    app.session_interface = SignedCookieSessions()
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"
    babel.init_app(app, locale_selector=request_locale)
    install_template_gettext(app.jinja_env)
    app.request_class = TranslatingRequest

    with app.app_context():
        configure_engine(db.engine)

    app.jinja_env.globals.update(
        format_date=format_date,
        format_datetime=format_datetime,
        format_decimal=format_decimal,
        format_percent=format_percent,
    )


def _register_blueprints(app: Flask) -> None:
    from app.main.views import bp as main_bp
    from app.people.auth_views import bp as auth_bp
    from app.people.views import bp as people_bp
    from app.platform.features import register_features

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(people_bp)

    register_features(app)


def _register_hooks(app: Flask) -> None:
    from flask_babel import get_locale

    from app.extensions import db
    from app.people.sessions import check_session_age
    from app.permissions import enforce_access
    from app.web.errors import end_session_quietly, register_error_handlers
    from app.web.security_headers import add_security_headers

    app.before_request(check_session_age)
    app.before_request(enforce_access)
    app.after_request(add_security_headers)
    register_error_handlers(app)

    @app.teardown_appcontext
    def _end_session(exc: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order): a
        # connection the database dropped after the answer was made is discarded, so the
        # answer still goes out instead of a 500 and a traceback.
        end_session_quietly(db.session)

    nav_cache: dict[tuple[frozenset[Any], str], tuple[NavLink, ...]] = {}
    links_cache: dict[str, dict[str, str]] = {}

    @app.context_processor
    def _layout_context() -> dict[str, Any]:
        from flask_login import current_user

        babel_locale = get_locale()
        locale = babel_locale.language if babel_locale else app.config["BABEL_DEFAULT_LOCALE"]
        context: dict[str, Any] = {
            "current_locale": locale,
            "html_lang": f"{locale}-CH",
            "layout_links": _layout_links(links_cache),
        }
        if getattr(current_user, "is_authenticated", False):
            # Signed in, the layout shows the navigation and no language switcher (the
            # profile page brings its own form): the switcher's form is not built at all.
            context["nav_items"] = _nav_items(app, nav_cache, current_user.role_set)
        else:
            context["nav_items"] = []
            context.update(_language_switcher())
        return context


# The addresses every page's layout links to, by name: (endpoint, arguments).
LAYOUT_LINKS: dict[str, tuple[str, dict[str, str]]] = {
    "stylesheet": ("static", {"filename": "css/app.css"}),
    "icon": ("static", {"filename": "img/favicon.svg"}),
    "home": ("main.home", {}),
    "login": ("auth.login", {}),
    "profile": ("auth.profile", {}),
    "logout": ("auth.logout", {}),
    "set_language": ("auth.set_language", {}),
}


def _layout_links(cache: dict[str, dict[str, str]]) -> dict[str, str]:
    """The layout's addresses, built once per script root (they differ only behind a proxy
    that sets a prefix), not with a url_for each on every page."""
    links = cache.get(request.script_root)
    if links is None:
        links = cache[request.script_root] = {
            name: url_for(endpoint, **values) for name, (endpoint, values) in LAYOUT_LINKS.items()
        }
    return links


class NavLink(NamedTuple):
    """One navigation entry the user's roles allow: its endpoint, address and label."""

    endpoint: str
    url: str
    label: Any


def _nav_links(app: Flask, roles: frozenset[Any]) -> tuple[NavLink, ...]:
    """Build the navigation entries that `roles` allow, from the features' declared entries."""
    from app.people.models import Role

    entries = [
        ("people.units", _l("Organisation"), {Role.MANAGER, Role.ADMIN}),
        ("people.people", _l("People"), {Role.MANAGER, Role.ADMIN}),
        *NAV_ENTRIES.receivers(app),
    ]
    return tuple(
        NavLink(endpoint, url_for(endpoint), label)
        for endpoint, label, allowed in entries
        if roles & set(allowed)
    )


def _nav_items(
    app: Flask, cache: dict[tuple[frozenset[Any], str], tuple[NavLink, ...]], roles: frozenset[Any]
) -> list[dict[str, Any]]:
    """Return the signed-in user's navigation, with the entry of this page marked current.

    The entries and their addresses depend only on the app's features, the role set and the
    script root (a proxy's X-Forwarded-Prefix), so each combination is built once per app;
    the labels stay lazy (translated when shown) and `current` is decided per request.
    """
    key = (roles, request.script_root)
    links = cache.get(key)
    if links is None:
        links = cache[key] = _nav_links(app, roles)
    endpoint = request.endpoint
    return [
        {"url": link.url, "label": link.label, "current": endpoint == link.endpoint}
        for link in links
    ]


def _language_switcher() -> dict[str, Any]:
    """What the signed-out language switcher shows: the languages, and the page to return to.

    Signed out, the switcher's form carries no CSRF token (see LanguageForm), so the layout
    writes its few fields itself instead of building a form on every public page;
    `auth.set_language` still validates the choice with LanguageForm.
    """
    from app.people.forms import LANGUAGE_NAMES

    return {
        "language_choices": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        "language_next": request.full_path.rstrip("?"),
    }


def _register_cli(app: Flask) -> None:
    from app.platform.tick import run_scheduler_command, tick_command
    from app.web.ratelimit import purge_old_counters

    # The platform's tick (`flask tick`) also clears old sign-in throttling counters.
    TICK_TASKS.connect(app, purge_old_counters)
    app.cli.add_command(tick_command)
    app.cli.add_command(run_scheduler_command)
    from app.demo.command import demo_command
    from app.notifications.delivery import mail_cli
    from app.people.cli import users_cli

    app.cli.add_command(demo_command)
    app.cli.add_command(mail_cli)
    from app.people.hr_cli import add_hr_commands

    add_hr_commands(users_cli)
    app.cli.add_command(users_cli)
