"""How the plain-language feature plugs into the app: its pages, rule, menu entry, CLI and demo.

The pages are in `glossary_views` (the glossaries) and `module_check_views` (a module's check);
importing them adds their routes to the one blueprint.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l

from app.people.models import Role
from app.permissions import register_rule
from app.plain_language import module_check_views  # noqa: F401 - adds a module's check to bp
from app.plain_language.blueprint import EDIT_ENTRY, bp
from app.plain_language.cli import load_glossaries, plain_language_cli
from app.plain_language.content_check import check_module_sources
from app.plain_language.editor_preview import editor_remarks
from app.plain_language.glossary_views import may_edit_entry
from app.platform.hooks import DEMO_LOADERS, EDITOR_REMARKS, MODULE_SOURCE_CHECKS, NAV_ENTRIES


def register(app: Flask) -> None:
    """Register the blueprint, rule, menu entry, CLI, demo loader and the module editor's and
    `flask content check`'s plain-language remarks."""
    app.register_blueprint(bp)
    register_rule(EDIT_ENTRY, may_edit_entry)
    app.cli.add_command(plain_language_cli)
    NAV_ENTRIES.connect(app, ("plain_language.index", _l("Glossary"), {Role.TRAINER, Role.ADMIN}))
    DEMO_LOADERS.connect(app, load_glossaries)
    EDITOR_REMARKS.connect(app, editor_remarks)
    MODULE_SOURCE_CHECKS.connect(app, check_module_sources)
